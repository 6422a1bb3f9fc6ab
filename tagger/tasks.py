"""Tasks: what a sequence of per-unit tags means, and how it is scored.

Every task's data is the same shape, a `Sample`: the text and labeled spans. A task is a tag
scheme (tagger/tags.py: tags <-> spans, transition rules) plus a metric, plus the shape its
readers give:

    seg  words: spans cover the text, label ''        scheme BMES        metric: word F1
    pos  words + POS: spans cover the text, label POS scheme BMES-typed  metric: word+POS F1
    ner  entities: spans are the entities only        scheme BIOES       metric: entity F1

So the model, the trainer and the decoder are shared. Readers give words, (word, POS) pairs or
(units, spans or tags); `sample` turns them into a Sample.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np

from .entities import entity_score
from .errors import TaggerError
from .metrics import score as word_score
from .metrics import spans as word_spans
from .tags import Scheme, label, scheme_named, tags_to_spans

Span = tuple[int, int, str]


class Sample(NamedTuple):
    text: str | tuple[str, ...]  # the characters, or the words of a word-level (English) sample
    spans: list[Span]            # over characters, or over words

    @property
    def words(self) -> list[str]:
        return [self.text[s:e] for s, e, _ in self.spans]


def _from_words(item, units: str) -> Sample:
    words = list(item)
    return Sample("".join(words), [(s, e, "") for s, e in word_spans(words)])


def _from_pairs(item, units: str) -> Sample:
    words = [w for w, _ in item]
    return Sample("".join(words), [(s, e, lab) for (s, e), (_, lab) in zip(word_spans(words), item)])


def _from_units(item, units: str) -> Sample:
    """(units, spans) or (units, per-unit tags of any flavour: IOB1, BIO, BIOES, typed BMES)."""
    unit_list, labels = item
    text = tuple(unit_list) if units == "words" else "".join(unit_list)
    if labels and isinstance(labels[0], str):
        labels = tags_to_spans(labels)
    return Sample(text, [(s, e, k) for s, e, k in labels])


def _word_metric(gold: Sequence[Sample], predicted: Sequence[Sequence[Span]], words: set[str] | None = None):
    """The SIGHAN word score (with OOV and IV recall against `words`)."""
    return word_score([g.words for g in gold], [[g.text[s:e] for s, e, _ in p] for g, p in zip(gold, predicted)],
                      words)


def _span_metric(gold: Sequence[Sample], predicted: Sequence[Sequence[Span]], words: set[str] | None = None):
    """Span P/R/F1 per label (conlleval semantics)."""
    return entity_score([g.spans for g in gold], predicted)


class Kind(NamedTuple):
    """What makes a task: its reader's item shape, its scheme, its metric, and whether a
    word-level (English) model may learn it."""
    sample: Callable
    scheme: str
    metric: Callable
    word_units: bool = False


KINDS = {"seg": Kind(_from_words, "BMES", _word_metric),
         "pos": Kind(_from_pairs, "BMES-typed", _span_metric),
         "ner": Kind(_from_units, "BIOES", _span_metric, word_units=True)}
TASKS = tuple(KINDS)


@dataclass(frozen=True)
class Task:
    name: str
    units: str = "chars"  # "words": a sample's text is a tuple of words (English NER)
    scheme: Scheme | str | None = field(default=None, compare=False)  # a scheme or its name; None: the task's own (KINDS)

    def __post_init__(self) -> None:
        if self.name not in KINDS:
            raise TaggerError(f"unknown task {self.name!r}; choose {', '.join(TASKS)}")
        if self.units == "words" and not KINDS[self.name].word_units:
            raise TaggerError("word-level models do NER only (--units words needs --task ner)")
        if not isinstance(self.scheme, Scheme):
            object.__setattr__(self, "scheme", scheme_named(self.scheme or KINDS[self.name].scheme))

    @property
    def segments(self) -> bool:
        """Does the output cover the text with words (seg, pos)?"""
        return self.scheme.segments

    # -- data ------------------------------------------------------------------------------
    def sample(self, item) -> Sample:
        """A Sample from what a reader yields: words, (word, label) pairs, or (units, spans|tags)."""
        if isinstance(item, Sample):
            return item
        return KINDS[self.name].sample(item, self.units)

    def tags(self, sample: Sample) -> list[str]:
        """Per-unit tags of a sample."""
        return self.scheme.tags(len(sample.text), sample.spans)

    def tag_set(self, samples: Iterable[Sample]) -> tuple[str, ...]:
        """All tags the scheme allows for the labels seen, in a fixed order."""
        return self.scheme.tag_set(sorted({lab for s in samples for _, _, lab in s.spans}))

    def spans(self, text: str, tags: Sequence[str]) -> list[Span]:
        """Labeled spans from predicted tags."""
        if len(text) != len(tags):
            raise ValueError(f"{len(text)} characters but {len(tags)} tags")
        return self.scheme.spans(tags)

    def spans_of_paths(self, texts: Sequence[str], paths: Sequence[Sequence[int]], tags: Sequence[str],
                       offsets: Sequence[int]) -> list[list[Span]]:
        """spans() of many non-empty texts from their tag-id paths (indices into `tags`), each
        text's spans shifted by its offset. Words (seg, pos) are found for all texts in one
        numpy pass (the scheme's `word_starts`): this is the per-character work of segmenting a whole
        file, which as Python loops over tag strings took a sixth of the fast model's time.
        Entities are read tag by tag only between a text's first and last entity tag."""
        lengths = np.fromiter(map(len, paths), np.int64, len(paths))
        starts = None
        if len(lengths) and lengths.min() > 0:
            if not np.array_equal(lengths, np.fromiter(map(len, texts), np.int64, len(texts))):
                raise ValueError("a text and its tags differ in length")
            ids = np.fromiter(itertools.chain.from_iterable(paths), np.int64, int(lengths.sum()))
            firsts = np.cumsum(lengths) - lengths
            if not self.segments:
                return self._entity_spans_of_ids(ids, firsts, tags, offsets)
            starts = self.scheme.word_starts(ids, firsts, tags)
        if starts is None:
            return [[(offset + s, offset + e, lab) for s, e, lab in self.spans(text, [tags[t] for t in path])]
                    for text, path, offset in zip(texts, paths, offsets)]
        ends = np.append(starts[1:], len(ids))
        counts = np.diff(np.append(np.searchsorted(starts, firsts), len(starts))).tolist()
        shift = np.repeat(np.asarray(offsets, dtype=np.int64) - firsts, counts)
        if self.scheme.typed:
            labels_of = [label(tag) for tag in tags]
            labels: Iterable[str] = [labels_of[t] for t in ids[starts].tolist()]
        else:
            labels = itertools.repeat("")
        flat = list(zip((starts + shift).tolist(), (ends + shift).tolist(), labels))
        bounds = np.cumsum([0, *counts]).tolist()
        return [flat[a:b] for a, b in zip(bounds, bounds[1:])]

    def _entity_spans_of_ids(self, ids: np.ndarray, firsts: np.ndarray, tags: Sequence[str],
                             offsets: Sequence[int]) -> list[list[Span]]:
        """spans_of_paths for entities, from all texts' tag ids end to end (`firsts`: where each
        text starts): only the stretch from a text's first to its last tag other than the scheme's
        filler (O) is read tag by tag, as nothing outside it can be an entity.
        Why: most characters are O, and reading every tag string in Python was the bulk of this
        step (the same spans either way: an O before or after the stretch opens or closes none)."""
        inside = np.flatnonzero(np.array([tag != self.scheme.filler for tag in tags])[ids])
        owner = np.searchsorted(firsts, inside, side="right") - 1
        out: list[list[Span]] = [[] for _ in firsts]
        if not len(inside):
            return out
        cuts = np.flatnonzero(np.diff(owner)) + 1
        lows, highs = inside[np.r_[0, cuts]], inside[np.r_[cuts - 1, len(inside) - 1]]
        for text, low, high in zip(owner[np.r_[0, cuts]].tolist(), lows.tolist(), highs.tolist()):
            shift = offsets[text] + low - int(firsts[text])
            stretch = [tags[t] for t in ids[low:high + 1].tolist()]
            out[text] = [(shift + s, shift + e, lab) for s, e, lab in self.scheme.spans(stretch)]
        return out

    # -- scoring ---------------------------------------------------------------------------
    def score(self, gold: Sequence[Sample], predicted: Sequence[Sequence[Span]], words: set[str] | None = None):
        """The task's metric: seg the SIGHAN word score; pos and ner span P/R/F1 per label."""
        return KINDS[self.name].metric(gold, predicted, words)


def word_f1(gold: Sequence[Sample], predicted: Sequence[Sequence[Span]]) -> float:
    """Word F1 of pos output, labels ignored."""
    unlabeled = lambda spans: [(s, e, "") for s, e, _ in spans]  # noqa: E731
    return entity_score([unlabeled(g.spans) for g in gold], [unlabeled(p) for p in predicted]).f1


def token_accuracy(gold: Sequence[Sample], predicted: Sequence[Sequence[Span]]) -> float:
    """Share of gold words whose span and label are both predicted (POS accuracy when the
    decoder was given the gold words, so every span matches)."""
    correct = total = 0
    for g, p in zip(gold, predicted):
        found = set(p)
        total += len(g.spans)
        correct += sum(span in found for span in g.spans)
    return correct / total if total else 0.0

