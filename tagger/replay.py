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
    from .corpora import get_corpus, read_part
    from .trainset import MIXED
    if corpora is None:
        corpora = {name: _lazy(lambda name=name: read_part(get_corpus(name).train, task=tagger.task.name))
                   for name in own_corpora(tagger)}
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
            reads_default = shared is not None and k % DEFAULT_REPLAY == 0
            if reads_default and hold_default:
                anchors.append(sample.text)
            else:
                out.append((sample, shared if reads_default else standard))
    return out + anchored(tagger, anchors, shared), ",".join(used)


def own_corpora(tagger) -> list[str]:
    """The registered corpora the model's metadata says it was trained on (a file path is none)."""
    from .corpora import corpus_list, is_name
    spec = str(tagger.metadata.get("corpus", ""))
    return [name for name in (corpus_list(spec) or [spec]) if name and is_name(name)]


def guard_sets(tagger, seed: int, log: Callable[[str], None]) -> dict[str, list[Sample]]:
    """Up to GUARD_SENTENCES dev sentences of each of the model's own training corpora that is
    registered here and has a dev split: where fine-tuning checks the default standard's F1."""
    from .corpora import get_corpus, read_part
    out = {}
    for name in own_corpora(tagger):
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
