"""Segmenting a stream with N worker processes, in order, in bounded memory: words, or (word, flag)
pairs of a POS model (`tagger segment --pos --jobs N`).

Lines are read in blocks; at most `2 * jobs` blocks are in flight, so memory does not grow with
the input, and blocks are written in the order they were read. Each worker loads the model once
(spawned, not forked: a forked OpenMP runtime can deadlock) on the engine the parent chose, with one thread.

Workers end with their parent: on Linux each asks the kernel for SIGKILL when its parent dies
(prctl PR_SET_PDEATHSIG), so a parent killed by SIGKILL leaves none behind; a parent that
stops on an error, Ctrl-C or SIGTERM kills them itself. A worker that dies is a one-line error.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

import multiprocessing

from .batching import blocks
from .errors import TaggerError

PR_SET_PDEATHSIG = 1  # linux/prctl.h

_worker_segmenter = None
_worker_standard = None
_worker_pos = False


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux; elsewhere nothing), and
    exit now if the parent is already gone (it died before the request was made)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _init_worker(parent: int, model_path: str | list[str] | None, user_dict: str | None,
                 standard: str | None = None, precision: str = "auto", pos: bool = False,
                 engine: str = "torch") -> None:
    global _worker_segmenter, _worker_standard, _worker_pos
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the workers
    _worker_standard, _worker_pos = standard, pos
    from .modelio import load
    _worker_segmenter = load(model_path, engine, threads=1, precision=precision)
    if user_dict:
        _worker_segmenter.user_dict.load(user_dict)


def _segment_block(lines: list[str], delimiter: str | None = None) -> list[list] | str:
    """A block's words (or (word, flag) pairs), or with `delimiter` its output lines as one
    text: sending one string back costs the parent a small part of unpickling a million words."""
    if _worker_pos:
        return _worker_segmenter.flag_lines(lines, standard=_worker_standard)
    words = _worker_segmenter.segment_lines(lines, standard=_worker_standard)
    return words if delimiter is None else "".join(delimiter.join(row) + "\n" for row in words)


def segment_parallel(lines: Iterable[str], model_path: str | list[str] | None, jobs: int, batch_lines: int = 512,
                     user_dict: str | None = None, standard: str | None = None,
                     precision: str = "auto", pos: bool = False, engine: str = "torch",
                     delimiter: str | None = None) -> Iterator[list] | Iterator[str]:
    """Words for each line, in input order, computed by `jobs` worker processes (`model_path`:
    a model file, a list of them for an ensemble, or None for the shipped model), following
    `standard` (a multi-criteria model's; default: its own), on `engine` (torch or numpy, as
    engine.choose_engine decided for the whole input). With `pos`, (word, flag) pairs
    (`Tagger.flag_lines`) of a POS model. With `delimiter` (words only), the output text instead:
    a block of lines at a time, each line's words joined by it."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                               initargs=(os.getpid(), model_path, user_dict, standard, precision, pos, engine))
    finished = False
    try:
        pending: deque = deque()
        for block in blocks(lines, batch_lines):
            pending.append(pool.submit(_segment_block, block, delimiter))
            if len(pending) >= 2 * jobs:
                yield from _each(pending.popleft().result(), delimiter)
        while pending:
            yield from _each(pending.popleft().result(), delimiter)
        finished = True
    except BrokenProcessPool:
        raise TaggerError("a --jobs worker process died (killed, or out of memory)") from None
    finally:
        _stop(pool, finished)


def _each(result: list | str, delimiter: str | None) -> Iterable:
    """What one block gives: its lines' words, or its text whole."""
    return result if delimiter is None else (result,)


def _stop(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut the pool down: after the last block, as usual; otherwise (an error, Ctrl-C, a
    signal, the reader gone) kill the workers first instead of waiting for their blocks."""
    if not finished:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
    pool.shutdown(wait=True, cancel_futures=not finished)
