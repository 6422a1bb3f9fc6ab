"""Tasks: what a sequence of per-character tags means, and how it is scored.

Every task's data is the same shape, a `Sample`: the text and labeled character spans.

    seg  words: spans cover the text, label ''        tags BMES            metric: word F1
    pos  words + POS: spans cover the text, label POS tags typed BMES (B-v) metric: word+POS F1
    ner  entities: spans are the entities only        tags BIOES (B-PER)   metric: entity F1

So the model, the trainer and the decoder are shared; a task adds a tag scheme (its tags and
transition rules) and a metric. Readers give words, (word, POS) pairs or (units, spans); `sample`
turns them into a Sample.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from .entities import entity_score, spans_to_tags, tags_to_spans
from .errors import TaggerError
from .metrics import score as word_score
from .metrics import spans as word_spans
from .tags import BMES, label, typed_bmes, word_bounds, word_starts, words_to_tags

Span = tuple[int, int, str]
TASKS = ("seg", "pos", "ner")


class Sample(NamedTuple):
    text: str | tuple[str, ...]  # the characters, or the words of a word-level (English) sample
    spans: list[Span]            # over characters, or over words

    @property
    def words(self) -> list[str]:
        return [self.text[s:e] for s, e, _ in self.spans]


@dataclass(frozen=True)
class Task:
    name: str
    units: str = "chars"  # "words": a sample's text is a tuple of words (English NER)

    def __post_init__(self) -> None:
        if self.name not in TASKS:
            raise TaggerError(f"unknown task {self.name!r}; choose {', '.join(TASKS)}")
        if self.units == "words" and self.name != "ner":
            raise TaggerError("word-level models do NER only (--units words needs --task ner)")

    @property
    def scheme(self) -> str:
        return "BIOES" if self.name == "ner" else "BMES"

    @property
    def segments(self) -> bool:
        """Does the output cover the text with words (seg, pos)?"""
        return self.name != "ner"

    # -- data ------------------------------------------------------------------------------
    def sample(self, item) -> Sample:
        """A Sample from what a reader yields: words, (word, label) pairs, or (units, spans|tags)."""
        if isinstance(item, Sample):
            return item
        if self.name == "ner":
            units, labels = item
            text = tuple(units) if self.units == "words" else "".join(units)
            if labels and isinstance(labels[0], str):  # per-unit tags (IOB1, BIO, BIOES, BMES)
                labels = tags_to_spans(labels)
            return Sample(text, [(s, e, k) for s, e, k in labels])
        if self.name == "pos":
            words, labels = [w for w, _ in item], [p for _, p in item]
        else:
            words, labels = list(item), [""] * len(item)
        return Sample("".join(words), [(s, e, lab) for (s, e), lab in zip(word_spans(words), labels)])

    def tags(self, sample: Sample) -> list[str]:
        """Per-character tags of a sample."""
        if self.name == "ner":
            return spans_to_tags(len(sample.text), sample.spans, "BIOES")
        if self.name == "pos":
            return typed_bmes(sample.words, [lab for _, _, lab in sample.spans])
        return words_to_tags(sample.words)

    def tag_set(self, samples: Iterable[Sample]) -> tuple[str, ...]:
        """All tags the scheme allows for the labels seen, in a fixed order."""
        if self.name == "seg":
            return BMES
        labels = sorted({lab for s in samples for _, _, lab in s.spans})
        if self.name == "pos":
            return tuple(f"{p}-{lab}" for lab in labels for p in BMES)
        return ("O",) + tuple(f"{p}-{lab}" for lab in labels for p in "BIES")

    def spans(self, text: str, tags: Sequence[str]) -> list[Span]:
        """Labeled spans from predicted tags."""
        if self.name == "ner":
            return tags_to_spans(tags)
        if len(text) != len(tags):
            raise ValueError(f"{len(text)} characters but {len(tags)} tags")
        if self.name == "pos":
            return [(start, end, label(tags[start])) for start, end in word_bounds(tags)]
        return [(start, end, "") for start, end in word_bounds(tags)]

    def spans_of_paths(self, texts: Sequence[str], paths: Sequence[Sequence[int]], tags: Sequence[str],
                       offsets: Sequence[int]) -> list[list[Span]]:
        """spans() of many non-empty texts from their tag-id paths (indices into `tags`), each
        text's spans shifted by its offset. Words (seg, pos) are found for all texts in one
        numpy pass with word_bounds' rule: this is the per-character work of segmenting a whole
        file, which as Python loops over tag strings took a sixth of the fast model's time."""
        lengths = np.fromiter(map(len, paths), np.int64, len(paths))
        if self.name == "ner" or not len(lengths) or lengths.min() == 0:
            return [[(offset + s, offset + e, lab) for s, e, lab in self.spans(text, [tags[t] for t in path])]
                    for text, path, offset in zip(texts, paths, offsets)]
        if not np.array_equal(lengths, np.fromiter(map(len, texts), np.int64, len(texts))):
            raise ValueError("a text and its tags differ in length")
        ids = np.fromiter(itertools.chain.from_iterable(paths), np.int64, int(lengths.sum()))
        firsts = np.cumsum(lengths) - lengths
        starts = word_starts(ids, firsts, tags)
        ends = np.append(starts[1:], len(ids))
        counts = np.diff(np.append(np.searchsorted(starts, firsts), len(starts))).tolist()
        shift = np.repeat(np.asarray(offsets, dtype=np.int64) - firsts, counts)
        if self.name == "pos":
            labels_of = [label(tag) for tag in tags]
            labels: Iterable[str] = [labels_of[t] for t in ids[starts].tolist()]
        else:
            labels = itertools.repeat("")
        flat = list(zip((starts + shift).tolist(), (ends + shift).tolist(), labels))
        bounds = np.cumsum([0, *counts]).tolist()
        return [flat[a:b] for a, b in zip(bounds, bounds[1:])]

    # -- scoring ---------------------------------------------------------------------------
    def score(self, gold: Sequence[Sample], predicted: Sequence[Sequence[Span]], words: set[str] | None = None):
        """seg: the SIGHAN word score; pos and ner: span P/R/F1 (conlleval semantics) per label."""
        if self.name == "seg":
            return word_score([g.words for g in gold], [[g.text[s:e] for s, e, _ in p]
                                                        for g, p in zip(gold, predicted)], words)
        return entity_score([g.spans for g in gold], predicted)


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

