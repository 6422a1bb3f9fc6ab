"""Typed spans <-> BIO / BIOES tags, and entity-level scores: the NER pieces of a task.

A span is (start, end, type) over units (characters for Chinese, tokens for English), end
exclusive. Scheme rules give constrained decoding its transitions, as BMES does for words.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .metrics import prf

Span = tuple[int, int, str]


def spans_to_tags(length: int, spans: Iterable[Span], scheme: str = "BIOES") -> list[str]:
    tags = ["O"] * length
    for start, end, kind in spans:
        if scheme == "BIOES" and end - start == 1:
            tags[start] = f"S-{kind}"
            continue
        tags[start] = f"B-{kind}"
        for i in range(start + 1, end):
            tags[i] = f"I-{kind}"
        if scheme == "BIOES":
            tags[end - 1] = f"E-{kind}"
    return tags


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Spans from BIO, BIOES, BMES-typed (M for I) or IOB1 tags; a stray I starts a span."""
    spans, start, kind = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, label = tag.partition("-")
        prefix = "I" if prefix == "M" else prefix
        continues = prefix in ("I", "E") and start is not None and label == kind
        if start is not None and not continues:
            spans.append((start, i, kind))
            start = kind = None
        if prefix in ("B", "S") or (prefix in ("I", "E") and start is None):
            start, kind = i, label
        if prefix in ("E", "S") and start is not None:
            spans.append((start, i + 1, kind))
            start = kind = None
    return spans


def allowed(prev: str, nxt: str, scheme: str = "BIOES") -> bool:
    """May tag `nxt` follow tag `prev`? ("<s>" and "</s>" mark the sequence ends.)"""
    p, _, prev_kind = prev.partition("-")
    n, _, next_kind = nxt.partition("-")
    if scheme == "BIOES":
        if p in ("B", "I"):  # an entity is open: only I or E of the same type may follow
            return n in ("I", "E") and next_kind == prev_kind
        return n not in ("I", "E")
    if n == "I":  # BIO: I continues a B or I of the same type
        return p in ("B", "I") and next_kind == prev_kind
    return True


@dataclass
class EntityScore:
    gold: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)

    def overall(self) -> tuple[float, float, float]:
        return prf(sum(self.correct.values()), sum(self.predicted.values()), sum(self.gold.values()))

    @property
    def precision(self) -> float:
        return self.overall()[0]

    @property
    def recall(self) -> float:
        return self.overall()[1]

    @property
    def f1(self) -> float:
        return self.overall()[2]

    def summary(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "gold": sum(self.gold.values()), "predicted": sum(self.predicted.values()),
                "correct": sum(self.correct.values()),
                "by_label": {k: dict(zip(("precision", "recall", "f1"), v)) for k, v in self.by_type().items()}}

    def table(self) -> str:
        rows = [f"{'label':<10} {'P':>7} {'R':>7} {'F1':>7} {'gold':>7}"]
        for kind, (p, r, f) in self.by_type().items():
            rows.append(f"{kind or '(none)':<10} {p:7.4f} {r:7.4f} {f:7.4f} {self.gold[kind]:7d}")
        p, r, f = self.overall()
        rows.append(f"{'overall':<10} {p:7.4f} {r:7.4f} {f:7.4f} {sum(self.gold.values()):7d}")
        return "\n".join(rows)

    def by_type(self) -> dict[str, tuple[float, float, float]]:
        kinds = sorted(set(self.gold) | set(self.predicted))
        return {k: prf(self.correct[k], self.predicted[k], self.gold[k]) for k in kinds}


def entity_score(gold: Iterable[Iterable[Span]], predicted: Iterable[Iterable[Span]]) -> EntityScore:
    """Exact-match entity P/R/F1 (CoNLL's conlleval definition): same start, end and type."""
    result = EntityScore()
    for gold_spans, pred_spans in zip(gold, predicted):
        gold_set, pred_set = set(gold_spans), set(pred_spans)
        result.gold.update(kind for _, _, kind in gold_set)
        result.predicted.update(kind for _, _, kind in pred_set)
        result.correct.update(kind for _, _, kind in gold_set & pred_set)
    return result
