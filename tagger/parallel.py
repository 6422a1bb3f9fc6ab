"""Segmenting a stream with N worker processes, in order, in bounded memory.

Lines are read in blocks; at most `2 * jobs` blocks are in flight, so memory does not grow with
the input, and blocks are written in the order they were read. Each worker loads the model once
(spawned, not forked: a forked OpenMP runtime can deadlock) and uses one torch thread.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable, Iterator

import multiprocessing

from .encode import blocks

_worker_segmenter = None
_worker_standard = None


def _init_worker(model_path: str | list[str] | None, user_dict: str | None, standard: str | None = None,
                 precision: str = "auto") -> None:
    global _worker_segmenter, _worker_standard
    _worker_standard = standard
    import torch
    torch.set_num_threads(1)
    from . import load
    _worker_segmenter = load(model_path, precision=precision)
    if user_dict:
        _worker_segmenter.user_dict.load(user_dict)


def _segment_block(lines: list[str]) -> list[list[str]]:
    return _worker_segmenter.segment_lines(lines, standard=_worker_standard)


def segment_parallel(lines: Iterable[str], model_path: str | list[str] | None, jobs: int, batch_lines: int = 512,
                     user_dict: str | None = None, standard: str | None = None,
                     precision: str = "auto") -> Iterator[list[str]]:
    """Words for each line, in input order, computed by `jobs` worker processes (`model_path`:
    a model file, a list of them for an ensemble, or None for the shipped model), following
    `standard` (a multi-criteria model's; default: its own)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                             initargs=(model_path, user_dict, standard, precision)) as pool:
        pending: deque = deque()
        for block in blocks(lines, batch_lines):
            pending.append(pool.submit(_segment_block, block))
            if len(pending) >= 2 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
