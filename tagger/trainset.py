"""The training data before any network: sentences cut at their ends, the standard each sentence
trains, the epoch's balance over corpora, and the vocabularies and dictionaries built from the
training words. tagger/train.py builds on these; distillation (tagger/teacher.py) rebuilds the
same dictionaries so its student sees what the teacher saw.
"""
from __future__ import annotations

import math
import random
from typing import Iterable, Mapping, NamedTuple, Sequence

from .trainconfig import TrainConfig
from .dictionary import Dictionary, external_words, jackknife
from .encode import Encoder
from .errors import EmptyDevError, TaggerError
from .nameswap import swapped_copies
from .posted import posted_copies
from .unpunctuated import unpunctuated_copies
from .sentences import split_words
from .tasks import Sample, Task
from .vocab import Vocab, bigrams, normalize

MIXED = "mixed"  # the standard for text whose standard is unknown: learned from a share of every corpus


def split_sample(sample: Sample) -> list[Sample]:
    """Cut a segmented sample (seg, pos) after its sentence ends, keeping the labels."""
    pieces, first = [], 0
    for sentence in split_words(sample.words):
        spans = sample.spans[first:first + len(sentence)]
        first += len(sentence)
        offset = spans[0][0]
        pieces.append(Sample(sample.text[offset:spans[-1][1]], [(s - offset, e - offset, k) for s, e, k in spans]))
    return pieces


def prepare(items: Iterable, task: Task, cut: bool = True) -> list[Sample]:
    """The non-empty samples of what a reader gave; with `cut`, segmented paragraphs (seg, pos)
    cut after their sentence ends, as training reads them (entity data is kept as given)."""
    samples = [s for s in map(task.sample, items) if s.text]
    if not (cut and task.segments):
        return samples
    return [piece for sample in samples for piece in split_sample(sample)]


class TrainingSet(NamedTuple):
    """The samples a training reads: one corpus's, or several corpora's one after another."""
    samples: list[Sample]
    standards: list[str | None]            # the standard each sample trains (several corpora)
    members: dict[str | None, range]       # each corpus's samples (None: the one corpus)
    dev: dict[str | None, list[Sample]]    # each corpus's dev samples; empty for a final model
    final: bool                            # no dev text: all data, fixed epochs, nothing held out
    multi: bool                            # several corpora, each its own standard
    swapped: int = 0                       # of the samples, copies with made-up names (tagger/nameswap.py)
    unpunctuated: int = 0                  # of the samples, copies without punctuation (tagger/unpunctuated.py)
    posted: int = 0                        # of the samples, copies with post pieces between clauses (tagger/posted.py)
    own: tuple[range, ...] = ()            # each corpus's own sentences among the samples (the rest are copies)

    def own_samples(self) -> list[int]:
        """Indices of the corpus's own sentences, without the made-up copies: what the
        vocabularies and the pretrained vectors are built from (`Trainer._network`)."""
        return [i for part in self.own for i in part] if self.own else list(range(len(self.samples)))

    def names(self, mixed_share: float) -> tuple[str, ...]:
        """The standards a multi-criteria model learns: each corpus's, and MIXED."""
        return (*self.members, *([MIXED] if mixed_share > 0 else [])) if self.multi else ()


def assemble(train: Iterable | Mapping[str, Iterable], dev: Iterable | Mapping[str, Iterable] | None, task: Task,
             cut: bool = True, mixed_share: float = 0.1, swap_names: float = 0.0, seed: int = 1,
             unpunctuated: float = 0.0, posted: float = 0.0) -> TrainingSet:
    """The TrainingSet of what readers give: one corpus's items, or {standard: items} of
    several; dev the same way, or None for a final model. Empty corpora are one-line errors.
    With `swap_names` (character NER), each corpus also gets that share of its sentences with
    a person's name again, each name made up (tagger/nameswap.py); with `unpunctuated`, that share
    of its sentences again without their punctuation (tagger/unpunctuated.py); with `posted`, that
    share again with made-up post pieces between their clauses (tagger/posted.py). The copies
    train, but build no vocabulary (`TrainingSet.own`)."""
    multi = isinstance(train, Mapping)
    final = dev is None
    if multi and (task.name == "pos" or task.units != "chars"):
        raise TaggerError("training on several corpora (standards) is for segmentation and character NER")
    train_sets = dict(train) if multi else {None: train}
    dev_sets = {} if final else dict(dev) if multi else {None: dev}
    samples: list[Sample] = []
    standards: list[str | None] = []
    members: dict[str | None, range] = {}
    swapped = dropped = noisy = 0
    own: list[range] = []
    for name, items in train_sets.items():
        part = prepare(items, task, cut=cut)
        if not part:
            raise TaggerError(f"the training corpus {name} has no sentences" if name else
                              "the training corpus has no sentences")
        own.append(range(len(samples), len(samples) + len(part)))
        if task.name == "ner" and task.units == "chars":
            copies = swapped_copies(part, swap_names, seed)
            bare = unpunctuated_copies(part, unpunctuated, seed)
            posts = posted_copies(part, posted, seed)
            part, swapped, dropped, noisy = (part + copies + bare + posts, swapped + len(copies),
                                             dropped + len(bare), noisy + len(posts))
        members[name] = range(len(samples), len(samples) + len(part))
        standards += mixed_standards(name, len(part), mixed_share) if multi else [None] * len(part)
        samples += part
    dev_samples = {name: prepare(items, task, cut=False) for name, items in dev_sets.items()}
    if not final and not all(dev_samples.values()):
        raise EmptyDevError("the dev corpus has no sentences")
    return TrainingSet(samples, standards, members, dev_samples, final, multi, swapped, dropped, noisy, tuple(own))


def build_encoder(sentences: Sequence[Sequence[str]], config: TrainConfig, use_bigrams: bool,
                  standards: Sequence[str | None] | None = None, names: Sequence[str] = ()) -> Encoder:
    """Vocabularies of the training texts as the model reads them (each text of a multi-criteria
    corpus between the markers of its standard `standards[i]`; `names` lists the standards)."""
    encoder = Encoder(Vocab([]), None, config.classes, standards=tuple(names))
    texts = [normalize("".join(words), config.classes) for words in sentences]
    if names:
        texts = [encoder.wrap(t, standard) for t, standard in zip(texts, standards)]
    encoder.chars = Vocab.build(texts, min_count=config.char_min_count)
    if use_bigrams:
        encoder.bigrams = Vocab.build((bigrams(t) for t in texts), min_count=config.bigram_min_count)
    return encoder


def mixed_standards(name: str, count: int, share: float) -> list[str]:
    """The standard each of a corpus's `count` sentences trains: its own, except an evenly spread
    `share` of them, which train MIXED (so MIXED learns what all the standards do)."""
    return [MIXED if int((i + 1) * share) > int(i * share) else name for i in range(count)]


def balanced_epoch(members: Mapping[str, Sequence[int]], rng: random.Random) -> list[int]:
    """One epoch's sentence indices over corpora of very different sizes.

    The rule: the epoch holds as many sentences as all corpora together, and corpus c's share is
    proportional to the square root of its size (temperature sampling with T = 2). A small corpus
    is repeated (whole passes, then a random part), a big one sampled without replacement, so no
    corpus drowns the others and none is memorized.
    """
    total = sum(len(ids) for ids in members.values())
    weights = {name: math.sqrt(len(ids)) for name, ids in members.items()}
    out: list[int] = []
    for name, ids in members.items():
        quota = round(total * weights[name] / sum(weights.values()))
        passes, rest = divmod(quota, len(ids))
        out.extend(list(ids) * passes + rng.sample(list(ids), rest))
    return out


def build_dictionaries(sentences: Sequence[Sequence[str]], sources: str, folds: int = 5, classes: bool = True
                       ) -> tuple[Dictionary | None, list[Dictionary] | None]:
    """(the dictionary the model ships with, per-fold dictionaries for the training sentences).

    `sources`: where its words come from, comma-separated (TrainConfig.dictionary: 'jieba',
    'train', word-list paths). Per-fold dictionaries exist only with the 'train' source (see
    dictionary.jackknife); the shipped dictionary holds every source, training words included.
    """
    names = [name.strip() for name in sources.split(",") if name.strip()]
    if not names:
        return None, None
    external = external_words(names)
    if "train" not in names:
        return Dictionary(external, classes=classes), None
    own = [w for words in sentences for w in words]
    return Dictionary([*external, *own], classes=classes), jackknife(sentences, external, folds, classes=classes)
