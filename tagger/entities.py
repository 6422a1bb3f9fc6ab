"""Entity-level scores: the metric of tasks whose spans are typed (NER, and POS as word+POS).

A span is (start, end, type) over units (characters for Chinese, tokens for English), end
exclusive; tagger/tags.py turns tags into spans.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence

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


# -- what the errors are ---------------------------------------------------------------------
ERROR_KINDS = ("missed", "spurious", "type", "boundary", "boundary and type")


class ErrorRegion(NamedTuple):
    """One disagreement: its kind, and the gold and output spans in it as `text/TYPE` joined by
    a space ("" where a side has none)."""
    kind: str
    gold: str
    output: str


def entity_errors(texts: Sequence[str | Sequence[str]], gold: Iterable[Iterable[Span]],
                  predicted: Iterable[Iterable[Span]]) -> Counter:
    """How often each disagreement occurs: {ErrorRegion: count}.

    A region is a run of gold and output spans that overlap one another, none of them matched
    exactly by the other side, so every error lies in exactly one region and each region has
    one kind: `missed` (gold only), `spurious` (output only), `type` (the same span, another
    type), `boundary` (overlapping spans of one type) or `boundary and type`. Why: F1 alone does
    not say whether a model misses names, invents them, or draws their edges where the gold's
    convention does not; the last is what differs between corpora, and what a model trained on
    another convention gets wrong. `texts`: each line's characters (a str) or words (a tuple)."""
    regions: Counter = Counter()
    for text, gold_spans, pred_spans in zip(texts, gold, predicted):
        gold_set, pred_set = set(gold_spans), set(pred_spans)
        unmatched = sorted([(span, "gold") for span in gold_set - pred_set]
                           + [(span, "output") for span in pred_set - gold_set])
        for region in _overlapping_runs(unmatched):
            regions[_region(text, region)] += 1
    return regions


def _overlapping_runs(spans: list[tuple[Span, str]]) -> Iterable[list[tuple[Span, str]]]:
    """Spans sorted by start, grouped into runs that overlap (spans of one side never do)."""
    run: list[tuple[Span, str]] = []
    end = -1
    for item in spans:
        (start, stop, _), _side = item
        if run and start >= end:
            yield run
            run = []
        end = max(end, stop) if run else stop
        run.append(item)
    if run:
        yield run


def _region(text: str | Sequence[str], run: list[tuple[Span, str]]) -> ErrorRegion:
    gold = [span for span, side in run if side == "gold"]
    output = [span for span, side in run if side == "output"]
    types = {kind for _, _, kind in gold + output}
    if not output:
        kind = "missed"
    elif not gold:
        kind = "spurious"
    elif len(gold) == len(output) == 1 and gold[0][:2] == output[0][:2]:
        kind = "type"
    else:
        kind = "boundary" if len(types) == 1 else "boundary and type"

    def shown(spans: list[Span]) -> str:
        join = "".join if isinstance(text, str) else " ".join
        return " ".join(f"{join(text[start:end])}/{label}" for start, end, label in spans)
    return ErrorRegion(kind, shown(gold), shown(output))


def error_kinds(regions: Counter) -> dict[str, int]:
    """How many regions of each kind, every kind named (in ERROR_KINDS order)."""
    counts = Counter()
    for region, count in regions.items():
        counts[region.kind] += count
    return {kind: counts[kind] for kind in ERROR_KINDS}


def format_entity_errors(regions: Counter, limit: int) -> str:
    """A line counting the regions by kind, then the `limit` most frequent as
    `count  kind  gold -> output` lines (`-` for a side without spans)."""
    by_kind = error_kinds(regions)
    lines = [f"error regions: {sum(by_kind.values())} ("
             + "; ".join(f"{kind}: {count}" for kind, count in by_kind.items()) + ")"]
    for region, count in regions.most_common(limit):
        lines.append(f"{count:>6}  {region.kind:<17}  {region.gold or '-'}  ->  {region.output or '-'}")
    return "\n".join(lines)
