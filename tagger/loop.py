"""The training loop that `tagger train` and `tagger distill` share: epochs of length-grouped
mini-batches, Adam with clipping, scoring on dev after every epoch, and the rules of when to
keep, decay and stop.

The rules, in one place:
- keep: an epoch's weights are kept only when its dev F1 is strictly higher than the best so far
  (on a tie the earlier epoch stays); without dev text (a final model) every epoch is kept, so
  the last one is;
- stall: an epoch without a gain counts towards `patience` only once some dev F1 was above 0
  (a network that still tags everything alike has not stalled, it has not started);
- decay: the learning rate is multiplied by `lr_decay` when dev F1 has not risen for more than
  `lr_patience` epochs (torch's ReduceLROnPlateau), under the same rule as stalls;
- the time budget (`max_minutes`): no epoch starts that the last one's duration says would pass
  it, and an epoch running past it stops after the batch that did (the first epoch too), is
  scored and kept by the rules above.

The caller gives a step function (per epoch: the items' lengths and the loss of a batch of
them) and a scoring function (the dev F1, the columns it adds to the history, and its text in
the epoch's log line).
"""
from __future__ import annotations

import copy
import math
import random
import sys
import time
from contextlib import contextmanager
from typing import Callable, NamedTuple, Sequence

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from . import distributed
from .batching import length_grouped_batches
from .errors import TaggerError
from .trainconfig import LoopConfig

PROGRESS_SECONDS = 30.0  # without a terminal: a progress line this often within an epoch


class Epoch(NamedTuple):
    """One epoch's work: the length of each item it trains on (for length-grouped batches), and
    the step function, which gives (the mean loss, the units it covers) of a batch of item ids."""
    lengths: Sequence[int]
    loss: Callable[[list[int]], tuple[torch.Tensor, int]]


class Score(NamedTuple):
    """An epoch's dev score: F1 (None: no dev text, as for a final model), the columns it adds
    to the history row, and how the epoch's log line says it."""
    f1: float | None
    fields: dict
    text: str


def seeded(config: LoopConfig) -> random.Random:
    """Seed torch (initial weights, dropout) and return the generator of batch orders; set the
    thread count first where the config gives one (else the caller's choice stands)."""
    if config.threads:
        from .threads import set_threads
        set_threads(config.threads)
    torch.manual_seed(config.seed)
    return random.Random(config.seed)


class Loop:
    """Trains `model` epoch by epoch, keeping the best weights by dev F1; `state` and `history`
    are what a checkpoint stores (tagger/checkpoints.py) and a resumed run restores."""

    def __init__(self, config: LoopConfig, model: torch.nn.Module, rng: random.Random,
                 log: Callable[[str], None], progress: bool | None = None, net: torch.nn.Module | None = None):
        self.config, self.model, self.rng, self.log = config, model, rng, log
        self.progress = progress  # None: a bar on a terminal, else plain lines every PROGRESS_SECONDS
        self.progress_seconds = PROGRESS_SECONDS
        self.net = net or model   # what the step function calls: the model, or its DDP wrapper
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimizer, mode="max", factor=config.lr_decay, patience=config.lr_patience
        ) if config.lr_decay < 1 else None  # a decay of 1: the rate stays
        self.average = self._moving_average(model, config.ema)
        self.state = {"epoch": 0, "best_f1": -1.0, "best_state": None, "best_epoch": 0, "stale": 0, "elapsed": 0.0}
        self.history: list[dict] = []

    @staticmethod
    def _moving_average(model: torch.nn.Module, decay: float) -> AveragedModel | None:
        """An exponential moving average of the weights, updated after every step (torch's
        AveragedModel), when decay > 0. Why: Adam's last steps leave the weights jittering around
        a good region; their average usually scores a little higher on dev and varies less from
        seed to seed (Polyak averaging)."""
        return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True) if decay else None

    @property
    def best_f1(self) -> float | None:
        """The kept epoch's dev F1; None without dev text."""
        f1 = self.state["best_f1"]
        return f1 if math.isfinite(f1) else None

    def run(self, epoch_work: Callable[[int], Epoch], score: Callable[[], Score],
            after_epoch: Callable[[], None] | None = None) -> None:
        """Train until `epochs`, early stopping or the time budget; the model ends with the kept
        weights, in eval mode. `after_epoch` runs after each epoch's bookkeeping (a checkpoint)."""
        cfg, state = self.config, self.state
        started = time.monotonic() - state["elapsed"]
        deadline = started + cfg.max_minutes * 60 if cfg.max_minutes else None
        for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
            epoch_start = time.monotonic()
            train_loss, rate, complete = self._train_epoch(epoch_work(epoch), epoch, deadline)
            result = self._score_and_keep(epoch, score)
            seconds = time.monotonic() - epoch_start
            lr = self.optimizer.param_groups[0]["lr"]
            self.history.append(dict(epoch=epoch, train_loss=train_loss, **result.fields, lr=lr,
                                     seconds=round(seconds, 1), chars_per_s=round(rate)))
            self.log(f"epoch {epoch:>2}  train loss {train_loss:.4f}  {result.text}  lr {lr:.2g}  "
                     f"{seconds:.0f}s  {rate:.0f} chars/s")
            state["epoch"] = epoch
            if self.scheduler and result.f1 is not None and state["best_f1"] > 0:  # nor any decay: an all-"O" start is no plateau
                self.scheduler.step(result.f1)
            state["elapsed"] = time.monotonic() - started
            if after_epoch:
                after_epoch()
            if state["stale"] >= cfg.patience:
                self.log(f"early stop: no dev F1 gain for {state['stale']} epochs")
                break
            if not complete:
                self.log(f"stopping: the {cfg.max_minutes:g} minute budget ran out during epoch {epoch}")
                break
            if cfg.max_minutes and state["elapsed"] + seconds > cfg.max_minutes * 60:
                self.log(f"stopping: another epoch would pass the {cfg.max_minutes:g} minute budget")
                break
        self.model.load_state_dict(state["best_state"])
        self.model.eval()

    def minutes(self) -> float:
        """Minutes trained so far, resumed runs included."""
        return self.state["elapsed"] / 60

    def _score_and_keep(self, epoch: int, score: Callable[[], Score]) -> Score:
        state = self.state
        with self._averaged_weights():  # scored and kept: the average, if one is kept
            self.model.eval()
            result = score()
            if result.f1 is None or result.f1 > state["best_f1"]:
                state.update(best_f1=float("nan") if result.f1 is None else result.f1, best_epoch=epoch, stale=0,
                             best_state=copy.deepcopy(self.model.state_dict()))
            elif state["best_f1"] > 0:  # no stall counts before the first dev F1 above 0
                state["stale"] += 1
        return result

    @contextmanager
    def _averaged_weights(self):
        """Inside: the model holds the averaged weights (if an average is kept); after: its own."""
        if self.average is None:
            yield
            return
        live = copy.deepcopy(self.model.state_dict())
        self.model.load_state_dict(self.average.module.state_dict())
        try:
            yield
        finally:
            self.model.load_state_dict(live)

    def _train_epoch(self, work: Epoch, epoch: int, deadline: float | None) -> tuple[float, float, bool]:
        """(mean loss per unit, units per second, whether every batch ran before the deadline)."""
        self.net.train()
        batches = distributed.shard(length_grouped_batches(work.lengths, self.config.batch_chars, self.rng))
        total_loss, total_units, start, complete = 0.0, 0, time.monotonic(), True
        progress = _Progress(self.progress, sum(work.lengths), epoch, self.log, self.progress_seconds)
        for ids in batches:
            loss, units = work.loss(ids)
            self.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
            self.optimizer.step()
            if self.average is not None:
                self.average.update_parameters(self.model)
            total_loss += loss.item() * units
            total_units += units
            progress.update(units, total_loss / total_units, total_units / max(time.monotonic() - start, 1e-9))
            if deadline and time.monotonic() > deadline:
                complete = False
                break
        progress.close()
        if not math.isfinite(total_loss):
            raise TaggerError("training diverged (loss is not finite); try a lower --lr")
        return total_loss / max(total_units, 1), total_units / max(time.monotonic() - start, 1e-9), complete


class _Progress:
    """Within an epoch: a tqdm bar on a terminal, plain lines at intervals without one (a log
    file, a pipe, a job scheduler), or nothing (`progress=False`)."""

    def __init__(self, progress: bool | None, total: int, epoch: int, log: Callable[[str], None], every: float):
        on_terminal = sys.stderr.isatty()
        self.bar = None
        self.lines = progress is None and not on_terminal
        if progress or (progress is None and on_terminal):
            self.bar = tqdm(total=total, desc=f"epoch {epoch}", unit="char", unit_scale=True, leave=False,
                            file=sys.stderr)
        self.total, self.epoch, self.log, self.every = total, epoch, log, every
        self.done, self.last = 0, time.monotonic()

    def update(self, units: int, loss: float, rate: float) -> None:
        self.done += units
        if self.bar is not None:
            self.bar.update(units)
            self.bar.set_postfix(loss=f"{loss:.4f}", chars_s=f"{rate:.0f}")
        elif self.lines and time.monotonic() - self.last >= self.every and self.done < self.total:
            self.last = time.monotonic()
            self.log(f"epoch {self.epoch}: {self.done:,} of {self.total:,} chars ({100 * self.done / self.total:.0f}%), "
                     f"loss {loss:.4f}, {rate:.0f} chars/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
