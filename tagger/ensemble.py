"""Several models trained alike, read as one: the mean of their tag probabilities.

Why: LSTM trainings differ by seed, and the seeds of one recipe disagree on a few words in a
hundred. Averaging their per-character tag probabilities, then decoding once with the usual
constrained Viterbi, removes that seed noise at N times the inference cost. It measures how much
of a score's shortfall is seed variance (docs/benchmarks.md, PKU) and serves when accuracy
matters more than speed.

The members must read text the same way (one encoder: same vocabularies, dictionary and
character classes, which models trained on one corpus with one recipe share), tag with the same
tags, and have no CRF layer (a CRF's scores are not probabilities per character).
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from .errors import ModelFileError
from .encode import Inputs
from .pipeline import Tagger

TINY = np.float32(1e-30)  # floor before the log: a tag every member rules out stays finite


class MeanOfModels:
    """The model interface `Tagger` uses (log_probs, crf_scores, eval, to) over N members."""

    def __init__(self, models: Sequence) -> None:
        self.models = list(models)

    def eval(self) -> "MeanOfModels":
        for model in self.models:
            model.eval()
        return self

    def to(self, device) -> "MeanOfModels":
        for model in self.models:
            model.to(device)
        return self

    def crf_scores(self) -> None:
        return None

    def log_probs(self, inputs: Inputs) -> np.ndarray:
        """log of the members' mean probability, (batch, time, tags)."""
        mean = np.mean([np.exp(model.log_probs(inputs)) for model in self.models], axis=0)
        return np.log(np.maximum(mean, TINY)).astype(np.float32)


def ensemble_of(paths: Sequence[str | os.PathLike], members: Sequence[Tagger]) -> Tagger:
    """One `Tagger` over `members` (at least two, loaded from `paths` by tagger/modelio.py, which
    calls this: the ensemble never loads files itself), checked to be compatible."""
    if len(paths) < 2:
        raise ValueError("an ensemble needs two or more model files")
    first, reference = members[0], members[0].encoder.to_dict()
    for path, member in zip(paths, members):
        if member.model.crf_scores() is not None:
            raise ModelFileError(f"{path}: a CRF model; an ensemble averages probabilities, so it takes softmax models only")
        if member.task.name != first.task.name or member.tags != first.tags:
            raise ModelFileError(f"{path}: tags differ from {paths[0]}'s; an ensemble's models must share a task")
        if member.encoder.to_dict() != reference:
            raise ModelFileError(f"{path}: vocabularies differ from {paths[0]}'s; ensemble models trained "
                                 "on one corpus with one recipe")
    metadata = {"ensemble": [str(path) for path in paths]}
    return Tagger(MeanOfModels([m.model for m in members]), first.encoder, first.tags, metadata,
                  lexicon=first.lexicon, task=first.task)
