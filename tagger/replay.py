"""What fine-tuning keeps of a model's own training data (tagger/finetune.py, tagger/adapt.py):
sentences of its corpora replayed while it learns something new, and the dev sentences on which
its default standard is checked.

The data are the corpora named in the model's metadata that are registered here
(tagger/corpora.py); a model whose corpora are not here fine-tunes without them.
"""
from __future__ import annotations

import random
from typing import Callable, Iterable, Mapping, Sequence

from .errors import TaggerError
from .tasks import Sample, Task

GUARD_SENTENCES = 500  # dev sentences a corpus on which the default standard's F1 is checked
DEFAULT_REPLAY = 3  # every third replayed sentence is read with the mixed standard, where that is the default


def samples_of(items: Iterable, task: Task) -> list[Sample]:
    """Samples of a corpus's items, long segmented paragraphs cut at sentence ends (as training does)."""
    from .trainset import prepare
    return prepare(items, task)


def replay_samples(tagger, count: int, seed: int, log: Callable[[str], None],
                   corpora: Mapping[str | None, Iterable] | None = None,
                   hold_default: bool = False) -> tuple[list, str]:
    """Up to `count` sentences of the model's own training data, each with its standard;
    (sentences, where they come from). `corpora`: {standard or None: items} given by the
    caller; by default the corpora named in the model's metadata that are registered here.

    A default standard shared by all the corpora (mixed) is replayed too (every
    DEFAULT_REPLAY-th sentence), or it drifts: with the corpus's gold, which keeps the original
    supervision (self-training, which trains that standard itself), or, with `hold_default`,
    with the model's own outputs (fine-tuning another standard, where they must not move)."""
    from .corpora import corpus_list, get_corpus, is_name, read_part
    from .trainset import MIXED
    if corpora is None:
        spec = str(tagger.metadata.get("corpus", ""))
        names = [n for n in (corpus_list(spec) or [spec]) if n and is_name(n)]
        corpora = {name: _lazy(lambda name=name: read_part(get_corpus(name).train, task=tagger.task.name))
                   for name in names}
    if not corpora or count <= 0:
        return [], ""
    rng = random.Random(seed)
    standards = set(tagger.encoder.standards)
    shared = MIXED if tagger.encoder.default_standard == MIXED else None  # trained on every corpus's sentences
    per_corpus = max(1, count // len(corpora))
    out, anchors, used = [], [], []
    for name, items in corpora.items():
        try:
            samples = samples_of(items, tagger.task)
        except (TaggerError, OSError) as error:
            log(f"replay: {name} left out ({error})")
            continue
        standard = name if name in standards else None
        used.append(str(name))
        for k, sample in enumerate(rng.sample(samples, min(per_corpus, len(samples)))):
            if shared is not None and k % DEFAULT_REPLAY == 0 and hold_default:
                anchors.append(sample.text)
            else:
                out.append((sample, shared if shared is not None and k % DEFAULT_REPLAY == 0 else standard))
    return out + anchored(tagger, anchors, shared), ",".join(used)


def guard_sets(tagger, seed: int, log: Callable[[str], None]) -> dict[str, list[Sample]]:
    """Up to GUARD_SENTENCES dev sentences of each of the model's own training corpora that is
    registered here and has a dev split: where fine-tuning checks the default standard's F1."""
    from .corpora import corpus_list, get_corpus, is_name, read_part
    spec = str(tagger.metadata.get("corpus", ""))
    out = {}
    for name in [n for n in (corpus_list(spec) or [spec]) if n and is_name(n)]:
        try:
            samples = samples_of(read_part(get_corpus(name).dev, task=tagger.task.name), tagger.task)
        except (TaggerError, OSError, AttributeError) as error:
            log(f"default standard check: {name} left out ({error})")
            continue
        if samples:
            out[name] = random.Random(seed).sample(samples, min(GUARD_SENTENCES, len(samples)))
    return out


def anchored(tagger, texts: Sequence, standard: str | None) -> list[tuple[Sample, str | None]]:
    """Replayed texts labeled by the model itself, as it is before fine-tuning, with `standard`:
    a default standard that another standard's fine-tuning must not move is held where it was,
    which is what "no harm by default" asks (the anchor's loss does the same softly)."""
    if not texts:
        return []
    labels = tagger.label_texts(list(texts), standard=standard)
    return [(Sample(text, spans), standard) for text, spans in zip(texts, labels)]


def _lazy(read: Callable[[], Iterable]) -> Iterable:
    """An iterable that opens its corpus only when iterated (a missing corpus fails there)."""
    yield from read()
