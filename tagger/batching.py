"""Which texts go through the network together, and at what shape.

Training groups sentences of similar length into batches of about a character budget, in a new
order every epoch (`length_grouped_batches`). Inference does the same with a small fixed set of
batch shapes (`shaped_batches`, `pad_inputs`), and streams read their lines in blocks (`blocks`).
The texts themselves become network inputs in tagger/encode.py.
"""
from __future__ import annotations

import itertools
import random
from typing import Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from .encode import Inputs


def length_grouped_batches(lengths: Sequence[int], max_chars: int, rng: random.Random | None = None,
                           max_sentences: int = 256) -> list[list[int]]:
    """Indices grouped into batches of similar length, each holding at most ~max_chars chars.

    With an rng, lengths are jittered before sorting and the batch order is shuffled, so every
    epoch sees different batches while padding stays small.
    """
    if rng is not None:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i] + rng.uniform(-2, 2))
    else:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        longest_if_added = max(longest, lengths[i])
        if current and (longest_if_added * (len(current) + 1) > max_chars or len(current) >= max_sentences):
            batches.append(current)
            current, longest_if_added = [], lengths[i]
        current.append(i)
        longest = longest_if_added
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def grid_length(n: int) -> int:
    """`n` rounded up to the grid of batch widths that inference pads to: a multiple of 2 up to
    64, of 4 up to 256, of 32 beyond (see `shaped_batches` for why). Steps of 4 throughout
    padded about 1 point more of the PKU test text, for a fifth fewer shapes."""
    step = 2 if n <= 64 else 4 if n <= 256 else 32
    return max(step, -(-n // step) * step)


class ShapedBatch(NamedTuple):
    """One inference batch: the texts in it (indices), and the rows and steps it is padded to."""
    ids: list[int]
    rows: int
    time: int


def shaped_batches(lengths: Sequence[int], max_chars: int, max_rows: int = 256) -> list[ShapedBatch]:
    """Inference batches of similar length whose shapes come from a small fixed set.

    Why fixed shapes: on CPU, torch runs LSTMs and convolutions through oneDNN, which builds a
    kernel for every input shape and keeps it in a cache (up to 1,024 of them, about 0.75 MB each
    for a 5,000-character LSTM batch). With exact shapes a long stream of varied text rarely
    meets the same shape twice, so memory grew with the input. Here a batch's width is a
    `grid_length` value and, for that width T, it holds max_chars // T texts (at most
    `max_rows`): T is the smallest grid width that all of its texts fit. Only the last batch is
    short; its rows are padded to a power of two. A stream then meets a few dozen shapes, each
    again and again, and pads little more than exact shapes did (5.9% of the steps against 4.0%
    on the PKU test text, streamed in blocks of 2,048 lines).
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[ShapedBatch] = []
    start = 0
    while start < len(order):
        time = grid_length(lengths[order[start]])
        while True:
            rows = min(max_rows, max(1, max_chars // time))
            end = min(len(order), start + rows)
            if lengths[order[end - 1]] <= time:
                break
            time = grid_length(time + 1)
        if end - start < rows:  # the last batch
            rows = min(rows, 1 << (end - start - 1).bit_length())
        batches.append(ShapedBatch(order[start:end], rows, time))
        start = end
    return batches


def pad_inputs(inputs: Inputs, rows: int, time: int) -> Inputs:
    """`inputs` padded with zeros to `rows` rows and `time` steps; the added rows have length 0."""
    def grow(array: np.ndarray) -> np.ndarray:
        if array.ndim == 1:
            return np.pad(array, (0, rows - array.shape[0]))
        widths = [(0, rows - array.shape[0]), (0, time - array.shape[1])] + [(0, 0)] * (array.ndim - 2)
        return np.pad(array, widths)
    if inputs.chars.shape == (rows, time):
        return inputs
    return inputs.map(grow)


def blocks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of `size` items (the last may be shorter), read lazily from any iterable."""
    iterator = iter(items)
    while block := list(itertools.islice(iterator, size)):
        yield block
