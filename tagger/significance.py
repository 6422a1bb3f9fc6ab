"""Is system A really better than system B on this gold? `tagger evaluate A B GOLD --compare`.

Both systems are scored sentence by sentence: per sentence, the count of correct, predicted and
gold items (words, word+POS pairs or entities). F1 is not a mean of per-sentence scores, so
both tests below recompute corpus F1 from summed counts on every draw:

- the p-value comes from *approximate randomization* (Noreen 1989; Yeh 2000 for F1;
  Riezler & Maxwell 2005): under the null hypothesis that A and B are interchangeable, swapping
  their outputs on any sentence gives an equally likely result. Each draw swaps every sentence
  with probability 1/2; p = (draws whose |F1 difference| reaches the observed one + 1) /
  (draws + 1), two-sided. It tests exactly that null, needs no assumption about the shape of
  the distribution and, unlike a bootstrap p-value, is not too small when the test set is
  small (Riezler & Maxwell found the bootstrap's type I error above its nominal level).
  Identical outputs give p = 1.
- the 95% interval of the difference comes from a *paired bootstrap over sentences*
  (Koehn 2004): sentences drawn with replacement, the same draw for A and B, the 2.5th and
  97.5th percentiles of F1(A) - F1(B). The interval says how large the gain plausibly is;
  randomization cannot give one, as it simulates a world without a gain.

Draws are vectorized in numpy (a matrix of sentence weights times the count columns), so 10,000
draws over a 3,000-sentence test set take about a second.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from .errors import TaggerError

DRAWS = 10_000
_CELLS = 2_000_000  # draws x sentences per block of draws: keeps the weight matrices at a few MB


@dataclass
class Comparison:
    """The outcome of comparing A with B on one gold: F1 of each, A - B, its 95% interval
    (bootstrap) and the two-sided p-value (approximate randomization)."""

    f1_a: float
    f1_b: float
    difference: float
    interval: tuple[float, float]
    p_value: float
    sentences: int
    draws: int
    seed: int

    def to_dict(self) -> dict:
        data = asdict(self)
        data["interval"] = list(self.interval)
        data["method"] = "p: approximate randomization (two-sided); interval: paired bootstrap over sentences"
        return data

    def line(self, name_a: str = "A", name_b: str = "B") -> str:
        low, high = self.interval
        return (f"{name_a} F1 {self.f1_a:.4f}, {name_b} F1 {self.f1_b:.4f}: difference {self.difference:+.4f} "
                f"(95% interval {low:+.4f} .. {high:+.4f}), p = {self.p_value:.4g} "
                f"({self.sentences} sentences, {self.draws} draws)")


def f1_of(counts: np.ndarray) -> np.ndarray:
    """Corpus F1 from summed (correct, predicted, gold) columns; rows of sums give one F1 each."""
    correct, predicted, gold = counts[..., 0], counts[..., 1], counts[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = 2 * correct / (predicted + gold)
    return np.nan_to_num(f1)


def compare_counts(a: np.ndarray, b: np.ndarray, draws: int = DRAWS, seed: int = 1) -> Comparison:
    """Compare two systems from their per-sentence (correct, predicted, gold) counts: arrays of
    shape (sentences, 3), row i of both about the same gold sentence. 2PRF/(P+R) reduces to
    2 * correct / (predicted + gold), so each draw needs only the summed columns."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 3:
        raise TaggerError(f"per-sentence counts must pair up: {a.shape} and {b.shape}")
    if draws < 1:
        raise TaggerError(f"the number of draws must be positive, not {draws}")
    n = len(a)
    observed = float(f1_of(a.sum(0)) - f1_of(b.sum(0)))
    rng = np.random.default_rng(seed)
    reached, differences = 0, []
    difference_rows = a - b
    block = max(1, _CELLS // max(n, 1))
    for start in range(0, draws, block):
        size = min(block, draws - start)
        swap = rng.random((size, n)) < 0.5  # randomization: A and B trade places on these sentences
        sums_a = a.sum(0) - swap @ difference_rows
        sums_b = b.sum(0) + swap @ difference_rows
        shuffled = f1_of(sums_a) - f1_of(sums_b)
        reached += int(np.sum(np.abs(shuffled) >= abs(observed) - 1e-12))
        picks = rng.integers(0, n, (size, n)) + n * np.arange(size)[:, None]  # bootstrap: n sentences drawn
        weights = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        differences.append(f1_of(weights @ a) - f1_of(weights @ b))
    drawn = np.concatenate(differences)
    low, high = np.percentile(drawn, [2.5, 97.5])
    return Comparison(float(f1_of(a.sum(0))), float(f1_of(b.sum(0))), observed, (float(low), float(high)),
                      (reached + 1) / (draws + 1), n, draws, seed)


def sentence_counts(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> np.ndarray:
    """(correct, predicted, gold) word counts of each line, scored as tagger/metrics.py scores
    the whole file (so the summed rows give exactly its F1)."""
    from .metrics import score
    if len(gold) != len(predicted):
        raise TaggerError(f"the output has {len(predicted)} lines, but gold has {len(gold)}")
    rows = []
    for g, p in zip(gold, predicted):
        result = score([g], [p])
        rows.append((result.correct, result.pred_words, result.gold_words))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def span_counts(task, gold: Sequence, predicted: Sequence) -> np.ndarray:
    """(correct, predicted, gold) span counts of each sample for a pos or ner model (the task's
    own F1: word+POS pairs or entities)."""
    rows = []
    for g, p in zip(gold, predicted):
        summary = task.score([g], [p]).summary()
        rows.append((summary["correct"], summary["predicted"], summary["gold"]))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def compare(a: str, b: str, gold: str, fmt: str = "auto", standard: str | None = None,
            threads: int | None = None, draws: int = DRAWS, seed: int = 1, types: Sequence[str] | None = None):
    """`tagger evaluate A B GOLD --compare`: an evaluate.Report whose scores hold each system's
    F1, the difference A - B, its 95% interval and the p-value (see the module docstring).

    a, b: model files (or shipped names) or segmented output files; gold: as for evaluate (a
    file, a corpus name for its test set, NAME:dev). Two taggers, or a tagger and an
    output file, are compared on words; two pos or two ner models on their task's own F1 (ner:
    on `types` only, when given, as `evaluate --types` scores)."""
    from .corpora import read_part, test_part
    from .evaluate import Report, check_types, evaluation_standard, gold_lines, labeled
    gold_part, _ = test_part(gold, fmt)
    systems = [_system(name, threads) for name in (a, b)]
    tasks = {s.task.name for s in systems if s is not None}
    if tasks - {"seg", "pos"}:
        if tasks != {"ner"} or None in systems:
            raise TaggerError(f"{a} and {b}: --compare needs two NER models, or two segmenters/outputs")
        task = systems[0].task
        kept = [check_types(system, types) for system in systems][0]  # both checked
        samples = [s for s in (task.sample(item) for item in read_part(gold_part, task="ner")) if s.text]
        counts = [span_counts(task, *labeled(system, samples, evaluation_standard(system, gold, standard), kept))
                  for system in systems]
    else:
        if types:
            raise TaggerError("--types scores some entity types only: it needs two NER models")
        gold_words = gold_lines(gold_part)
        counts = [sentence_counts(gold_words, _words_of(name, system, gold_words, gold, standard))
                  for name, system in zip((a, b), systems)]
    result = compare_counts(counts[0], counts[1], draws, seed)
    scores = {**result.to_dict(), "a": a, "b": b, "gold": gold_part.path}
    return Report([f"{a} vs {b} on {gold_part.path}", result.line("A", "B")], scores)


def _system(name: str, threads: int | None):
    """The loaded model a name gives, or None for a segmented output file."""
    from .modelio import looks_like_model_file, resolve
    path = str(resolve(name))
    if looks_like_model_file(path) or path.endswith(".model"):
        from .modelio import load
        return load(path, threads=threads, precision="float32")
    return None


def _words_of(name: str, system, gold_words: list[list[str]], gold: str, standard: str | None) -> list[list[str]]:
    """The words a system gives for each gold line: a model segments the gold text, a file is read."""
    from .evaluate import evaluation_standard, segmented_lines
    if system is None:
        return segmented_lines(name)
    return system.segment_lines(["".join(words) for words in gold_words],
                                standard=evaluation_standard(system, gold, standard))
