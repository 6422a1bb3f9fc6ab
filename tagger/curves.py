"""Learning curves: train vs validation loss per epoch for every run on one chart, plus dev F1,
and a one-line diagnosis of the fit (the notes' habit: plot before judging)."""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from .errors import TaggerError
from .files import atomic_write_bytes


def read_history(path: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise TaggerError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise TaggerError(f"{path}: not a history CSV") from None
    missing = {"epoch", "train_loss"} - set(frame.columns)
    if missing:
        raise TaggerError(f"{path}: not a history CSV (missing {', '.join(sorted(missing))})")
    return frame


def diagnose(history: pd.DataFrame, tolerance: float = 0.01) -> str:
    """underfit / overfit / good fit, from the validation loss curve.

    Overfit: the validation loss ends more than `tolerance` (relative) above its minimum, reached
    at epoch N. Underfit: the validation loss is still falling at the last epoch (or the training
    loss is, when there is no validation loss). Otherwise a good fit.
    """
    column = "dev_loss" if "dev_loss" in history and history["dev_loss"].notna().any() else "train_loss"
    losses = history[column].tolist()
    epochs = history["epoch"].tolist()
    if len(losses) < 2:
        return "too few epochs to judge"
    best = min(range(len(losses)), key=losses.__getitem__)
    if losses[-1] > losses[best] * (1 + tolerance):
        return f"overfit: validation loss rising after epoch {epochs[best]}"
    if losses[-1] < losses[-2] and best == len(losses) - 1:
        what = "validation" if column == "dev_loss" else "training"
        return f"underfit: {what} loss still falling at the last epoch (train longer or use a bigger model)"
    return f"good fit: validation loss flat at its minimum (epoch {epochs[best]})"


def plot_histories(histories: Mapping[str, pd.DataFrame], path: str, title: str = "") -> int:
    """One PNG: losses of every run (train solid, validation dashed) and dev F1. Returns the
    number of loss curves drawn."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    curves = 0
    for index, (name, frame) in enumerate(histories.items()):
        color = f"C{index % 10}"
        loss_ax.plot(frame["epoch"], frame["train_loss"], color=color, label=f"{name} train")
        curves += 1
        if "dev_loss" in frame and frame["dev_loss"].notna().any():
            loss_ax.plot(frame["epoch"], frame["dev_loss"], color=color, linestyle="--", label=f"{name} validation")
            curves += 1
        if "dev_f1" in frame and frame["dev_f1"].notna().any():
            f1_ax.plot(frame["epoch"], frame["dev_f1"], color=color, label=name)
    loss_ax.set(xlabel="epoch", ylabel="loss", title="train (solid) vs validation (dashed) loss")
    f1_ax.set(xlabel="epoch", ylabel="dev word F1", title="dev F1")
    loss_ax.legend(fontsize="x-small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    try:
        atomic_write_bytes(path, lambda handle: fig.savefig(handle, format="png", dpi=100))
    finally:
        plt.close(fig)
    return curves
