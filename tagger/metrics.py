"""Word segmentation scores as the SIGHAN bakeoff defines them.

A predicted word is correct when the same character span is a word in the gold line. Over all
lines: P = correct / predicted words, R = correct / gold words, F1 = 2PR / (P + R). Given the
training word list, a gold word is OOV when it is not in that list; OOV recall is the share of
OOV gold words found, IV recall the share of the others.

A line whose characters differ between gold and output cannot be scored by spans; such lines
are listed in `mismatched_lines` and scored like the official script's `diff` would, by the
longest common subsequence of their words (difflib), never silently by position.
"""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence


@dataclass
class SegScore:
    gold_words: int = 0
    pred_words: int = 0
    correct: int = 0
    oov_words: int = 0
    oov_correct: int = 0
    iv_words: int = 0
    iv_correct: int = 0
    lines: int = 0
    mismatched_lines: list[int] = field(default_factory=list)
    has_word_list: bool = False

    @property
    def precision(self) -> float:
        return prf(self.correct, self.pred_words, self.gold_words)[0]

    @property
    def recall(self) -> float:
        return prf(self.correct, self.pred_words, self.gold_words)[1]

    @property
    def f1(self) -> float:
        return prf(self.correct, self.pred_words, self.gold_words)[2]

    @property
    def oov_rate(self) -> float | None:
        return self.oov_words / self.gold_words if self.has_word_list and self.gold_words else None

    @property
    def oov_recall(self) -> float | None:
        return self.oov_correct / self.oov_words if self.has_word_list and self.oov_words else None

    @property
    def iv_recall(self) -> float | None:
        return self.iv_correct / self.iv_words if self.has_word_list and self.iv_words else None

    def summary(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k != "has_word_list"}
        data.update(precision=self.precision, recall=self.recall, f1=self.f1,
                    oov_rate=self.oov_rate, oov_recall=self.oov_recall, iv_recall=self.iv_recall)
        return data


def prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """(precision, recall, F1) from counts of correct, predicted and gold items (0 where a
    count is 0): the one formula behind the word score and the entity score."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def _words(line: Sequence[str]) -> list[str]:
    """A line's words without empty or whitespace tokens (segment keeps whitespace as tokens)."""
    return [w for w in line if w and not w.isspace()]


def spans(words: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) offsets of consecutive words in their joined text: the one running-offset
    walk, which scoring, tokenize, user words and task spans all use."""
    out, start = [], 0
    for word in words:
        out.append((start, start + len(word)))
        start += len(word)
    return out


def _correct_words(gold: Sequence[str], pred: Sequence[str], same_chars: bool) -> list[str]:
    """The gold words that the prediction got right."""
    if same_chars:
        pred_spans = set(spans(pred))
        return [w for w, s in zip(gold, spans(gold)) if s in pred_spans]
    matcher = difflib.SequenceMatcher(a=list(gold), b=list(pred), autojunk=False)
    return [w for block in matcher.get_matching_blocks() for w in gold[block.a:block.a + block.size]]


def score(gold_lines: Iterable[Sequence[str]], pred_lines: Iterable[Sequence[str]],
          train_words: set[str] | None = None) -> SegScore:
    """Score predicted against gold word lists, line by line (lines must pair up)."""
    result = SegScore(has_word_list=train_words is not None)
    gold_list, pred_list = list(gold_lines), list(pred_lines)
    if len(gold_list) != len(pred_list):
        raise ValueError(f"gold has {len(gold_list)} lines but the output has {len(pred_list)}")
    for number, (gold, pred) in enumerate(zip(gold_list, pred_list), start=1):
        gold, pred = _words(gold), _words(pred)
        result.lines += 1
        same = "".join(gold) == "".join(pred)
        if not same:
            result.mismatched_lines.append(number)
        correct = _correct_words(gold, pred, same)
        result.gold_words += len(gold)
        result.pred_words += len(pred)
        result.correct += len(correct)
        if train_words is not None:
            oov_gold = sum(1 for w in gold if w not in train_words)
            oov_hit = sum(1 for w in correct if w not in train_words)
            result.oov_words += oov_gold
            result.oov_correct += oov_hit
            result.iv_words += len(gold) - oov_gold
            result.iv_correct += len(correct) - oov_hit
    return result


def error_regions(gold_lines: Iterable[Sequence[str]], pred_lines: Iterable[Sequence[str]]) -> Counter:
    """How often each disagreement occurs: {(gold words, output words): count}, words joined by a space.

    A region runs between two neighbouring boundaries that gold and output share, with another
    boundary of either inside it: `("提 出", "提出")` is a gold split the output joined. Every word
    that is not correct lies in exactly one region, so the regions account for all the errors; it
    is the list to read first when a test score stays under its dev score. Lines whose characters
    differ between gold and output are left out (they have no shared boundaries to align on).
    """
    regions: Counter = Counter()
    for gold, pred in zip(gold_lines, pred_lines):
        gold, pred = _words(gold), _words(pred)
        if "".join(gold) != "".join(pred):
            continue
        gold_ends, pred_ends = _ends(gold), _ends(pred)
        gold_at, pred_at = 0, 0  # index of the next word of each side
        for end in sorted(gold_ends.keys() & pred_ends.keys()):
            gold_words, pred_words = gold[gold_at:gold_ends[end] + 1], pred[pred_at:pred_ends[end] + 1]
            if len(gold_words) > 1 or len(pred_words) > 1:
                regions[(" ".join(gold_words), " ".join(pred_words))] += 1
            gold_at, pred_at = gold_ends[end] + 1, pred_ends[end] + 1
    return regions


def _ends(words: Sequence[str]) -> dict[int, int]:
    """{character offset where a word ends: that word's index}."""
    return {end: index for index, (_, end) in enumerate(spans(words))}


def format_errors(regions: Counter, limit: int, train_words: set[str] | None = None) -> str:
    """The `limit` most frequent regions as `count  gold -> output` lines, with a summary line.

    With the training word list, a gold word the list lacks is marked `*` (OOV): an error on it is
    about unseen words. Joins into a word the list has are counted apart: there the output follows
    the training standard and the test gold splits the word, so many of them measure how far the
    standards of the training and the test text disagree rather than a fault of the model.
    """
    def shown(word: str) -> str:
        return word + "*" if train_words is not None and word not in train_words else word
    joined = sum(c for (_, pred), c in regions.items() if " " not in pred)  # one output word, 2+ gold
    split = sum(c for (gold, _), c in regions.items() if " " not in gold)   # one gold word, 2+ output
    total = sum(regions.values())
    listed = ""
    if train_words is not None:  # the output is a word of the training standard, split by gold
        listed_joins = sum(c for (_, pred), c in regions.items() if " " not in pred and pred in train_words)
        listed = f", {listed_joins} of them into a word the list has"
    lines = [f"error regions: {total} (output joins a gold split: {joined}{listed}; output splits a gold "
             f"word: {split}; other: {total - joined - split})"]
    for (gold, pred), count in regions.most_common(limit):
        lines.append(f"{count:>6}  {' '.join(map(shown, gold.split()))}  ->  {pred}")
    return "\n".join(lines)


def format_table(result: SegScore, title: str = "") -> str:
    rows = [("precision", result.precision), ("recall", result.recall), ("F1", result.f1),
            ("OOV rate", result.oov_rate), ("OOV recall", result.oov_recall),
            ("IV recall", result.iv_recall)]
    lines = [title] if title else []
    lines += [f"{name:<14}{value:.4f}" for name, value in rows if value is not None]
    lines.append(f"{'gold words':<14}{result.gold_words}")
    lines.append(f"{'output words':<14}{result.pred_words}")
    lines.append(f"{'lines':<14}{result.lines}")
    if result.mismatched_lines:
        shown = ", ".join(map(str, result.mismatched_lines[:10]))
        more = " ..." if len(result.mismatched_lines) > 10 else ""
        lines.append(f"warning: {len(result.mismatched_lines)} lines differ in characters "
                     f"between gold and output (lines {shown}{more}); scored by word alignment")
    return "\n".join(lines)
