"""Entity-level scores: the metric of tasks whose spans are typed (NER, and POS as word+POS).

A span is (start, end, type) over units (characters for Chinese, tokens for English), end
exclusive; tagger/tags.py turns tags into spans.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .metrics import prf

Span = tuple[int, int, str]


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
