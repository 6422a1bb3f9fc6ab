"""Training checkpoints: the whole state of a run after an epoch, so `tagger train --resume`
continues an interrupted run with the same result as an uninterrupted one.

The state is everything that decides the next epoch: weights, optimizer and scheduler state,
both random generators, the history so far and the moving average of the weights if one is kept.
The vocabulary and the training settings are stored too, so a checkpoint of another corpus or of
other settings is refused instead of silently mixed in.
"""
from __future__ import annotations

import random
from typing import Any, NamedTuple

import torch

from .files import atomic_write_bytes
from .errors import TaggerError

STATE_KEYS = ("epoch", "best_f1", "best_state", "best_epoch", "stale", "elapsed")
BUDGETS = ("epochs", "max_minutes")  # settings that may change on resume


class Training(NamedTuple):
    """The live objects whose state a checkpoint holds."""
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    rng: random.Random
    average: Any = None  # torch.optim.swa_utils.AveragedModel, or None


def save(path: str, state: dict, training: Training, encoder, config: dict, history: list[dict]) -> None:
    """Write the checkpoint atomically: an interruption mid-write leaves the previous one."""
    version, internal, gauss = training.rng.getstate()
    payload = {**state, "model": training.model.state_dict(), "optimizer": training.optimizer.state_dict(),
               "scheduler": training.scheduler.state_dict() if training.scheduler else None, "torch_rng": torch.get_rng_state(),
               "python_rng": [version, list(internal), gauss], "history": history,
               "vocab": encoder.to_dict(), "train_config": config,
               "average": training.average.state_dict() if training.average is not None else None}
    atomic_write_bytes(path, lambda handle: torch.save(payload, handle))


def differences(saved: dict, now: dict, defaults: dict) -> list[str]:
    """The settings that differ between a checkpoint and the run resuming it, each as
    'NAME A, now B'. The budgets (BUDGETS) may change; which settings the recipe chose (`auto`)
    may too, as long as their values are the same."""
    def settings(values: dict) -> dict:
        values = {**defaults, **values}
        return {k: v for k, v in values.items() if k not in BUDGETS and k != "auto"}

    before, after = settings(saved), settings(now)
    return [f"{k} {before.get(k)!r}, now {after.get(k)!r}" for k in sorted(before.keys() | after.keys())
            if before.get(k) != after.get(k)]


def restore(path: str, training: Training, encoder, config: dict, defaults: dict) -> tuple[dict, list[dict]]:
    """Load the checkpoint into `training`; return (the loop's state, the history so far).
    `defaults` fills settings a checkpoint predates, so older checkpoints still compare equal."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        raise TaggerError(f"{path}: damaged checkpoint; delete it to start afresh") from None

    if payload.get("vocab") != encoder.to_dict():
        raise TaggerError(f"{path}: checkpoint is from another corpus (its vocabulary differs); "
                          "delete it or train without --resume")
    differ = differences(payload.get("train_config", {}), config, defaults)
    if differ:
        raise TaggerError(f"{path}: checkpoint was trained with other settings ({'; '.join(differ)}); "
                          "give the same settings, or delete it or train without --resume")
    training.model.load_state_dict(payload["model"])
    training.optimizer.load_state_dict(payload["optimizer"])
    if training.scheduler is not None:
        training.scheduler.load_state_dict(payload["scheduler"])
    if training.average is not None:
        training.average.load_state_dict(payload["average"])  # present: the settings (ema) matched
    torch.set_rng_state(payload["torch_rng"])
    version, internal, gauss = payload["python_rng"]
    training.rng.setstate((version, tuple(internal), gauss))
    return {k: payload[k] for k in STATE_KEYS}, list(payload["history"])
