"""k-fold cross-validation with repeats: the honest estimate for a stochastic learner.

Sentences are split with scikit-learn (`KFold`, shuffled and seeded; `GroupKFold` when document
ids are given, so a document never straddles train and test). Each fold's training part has
its own dev carved out (every 20th sentence) for early stopping, so the held-out fold is touched
only to score. Every (repeat, fold) run uses its own seed. OOV figures count a held-out word as
OOV when it is not in that run's training part.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

import pandas as pd
from tqdm import tqdm

from .corpora import DEV_EVERY, carve
from .errors import TaggerError
from .metrics import score
from .model import ModelConfig
from .train import Trainer, TrainConfig

SCORE_COLUMNS = ["precision", "recall", "f1", "oov_rate", "oov_recall", "iv_recall"]


def _splits(n: int, folds: int, seed: int, groups: Sequence[str] | None):
    from sklearn.model_selection import GroupKFold, KFold
    if groups is not None:
        return GroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(range(n), groups=groups)
    return KFold(n_splits=folds, shuffle=True, random_state=seed).split(range(n))


def cross_validate(sentences: Sequence[Sequence[str]], folds: int = 5, repeats: int = 1, seed: int = 1,
                   model_config: ModelConfig | None = None, train_config: TrainConfig | None = None,
                   groups: Sequence[str] | None = None, log: Callable[[str], None] | None = None,
                   progress: bool | None = None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """One row per (repeat, fold) with P, R, F1, OOV recall, best epoch and training time, and
    the training history of each run (for learning curves)."""
    sentences = [list(s) for s in sentences if s]
    if folds < 2:
        raise TaggerError("--folds must be at least 2")
    if len(sentences) < folds * DEV_EVERY:
        raise TaggerError(f"{len(sentences)} sentences are too few for {folds} folds")
    model_config = model_config or ModelConfig()
    train_config = train_config or TrainConfig()
    quiet = log or (lambda message: None)
    rows, histories = [], {}
    outer = tqdm(total=folds * repeats, desc="cv", unit="run", disable=None if progress is None else not progress)
    for repeat in range(repeats):
        for fold, (train_idx, test_idx) in enumerate(_splits(len(sentences), folds, seed + repeat, groups)):
            run_seed = seed + 1000 * repeat + fold
            train = [sentences[i] for i in train_idx]
            fit_part, dev_part = carve(train)
            trainer = Trainer(model_config, dataclasses.replace(train_config, seed=run_seed), log=quiet,
                              progress=False)
            tagger = trainer.fit(fit_part, dev_part)
            gold = [sentences[i] for i in test_idx]
            predicted = tagger.segment_lines(["".join(s) for s in gold])
            result = score(gold, predicted, {w for s in train for w in s})
            rows.append(dict(repeat=repeat + 1, fold=fold + 1, seed=run_seed,
                             **{c: getattr(result, c) for c in SCORE_COLUMNS},
                             best_epoch=tagger.metadata["best_epoch"],
                             train_minutes=tagger.metadata["train_minutes"]))
            histories[f"r{repeat + 1}f{fold + 1}"] = pd.DataFrame(trainer.history)
            outer.update(1)
            outer.set_postfix(f1=f"{result.f1:.4f}")
            quiet(f"repeat {repeat + 1} fold {fold + 1}: F1 {result.f1:.4f} (best epoch {rows[-1]['best_epoch']})")
    outer.close()
    return pd.DataFrame(rows), histories


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, std (n-1) and the half-width of a 95% t interval for each score column."""
    from scipy import stats
    out = {}
    n = len(table)
    for column in SCORE_COLUMNS + ["best_epoch", "train_minutes"]:
        values = table[column].astype(float)
        std = values.std(ddof=1) if n > 1 else float("nan")
        half = stats.t.ppf(0.975, n - 1) * std / math.sqrt(n) if n > 1 else float("nan")
        out[column] = {"mean": values.mean(), "std": std, "ci95": half}
    return pd.DataFrame(out).T


def final_epochs(table: pd.DataFrame) -> int:
    """The rule for a final model's epochs: the mean best epoch over all runs, rounded, >= 1."""
    return max(1, int(round(float(table["best_epoch"].mean()))))


def to_markdown(table: pd.DataFrame, summary: pd.DataFrame) -> str:
    """Markdown without the optional `tabulate` dependency that pandas.to_markdown needs."""
    def fmt(value) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in table.itertuples(index=False)]
    lines += ["", "| measure | mean | std | 95% CI ± |", "|---|---|---|---|"]
    lines += [f"| {name} | {r['mean']:.4f} | {r['std']:.4f} | {r['ci95']:.4f} |" for name, r in summary.iterrows()]
    return "\n".join(lines) + "\n"
