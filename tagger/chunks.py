"""Where a long run of text is cut before the network, and how the pieces are joined again.

The model was trained on sentences, and short rows make wide, fast batches: a run longer than
`MAX_CHUNK` characters is cut, at a sentence end when one is near, and never inside a token
kept whole (a URL, an e-mail address) unless that token is longer than a chunk; the labeled
pieces of such a token are joined again (`joined_spans`).
"""
from __future__ import annotations

import bisect
import math
from typing import Sequence

from .sentences import SENTENCE_END
from .tasks import Span

MAX_CHUNK = 200  # longer text runs are cut (at a sentence end when possible) before the model:
# the model was trained on sentences, and shorter rows make wider, faster LSTM batches


def chunk_cuts(text: str, limit: int = MAX_CHUNK, whole: Sequence[tuple[int, int]] = (),
               breaks: Sequence[int] = ()) -> list[int]:
    """Where a run longer than `limit` is cut into chunks of at most `limit`: after the last
    sentence end of each window (if past a quarter of it), else at the last of the sorted
    `breaks` in it (where a space stood between two runs read as one: no entity crosses it),
    else at the window's end. No cut
    falls inside a `whole` span (sorted, not overlapping) unless that span is longer than what
    is left of the window: the cut then moves back to the span's start, or, if that is within
    the first quarter of the window, stays inside it (the caller joins the pieces again)."""
    if len(text) <= limit:
        return []
    cuts, start = [], 0
    while len(text) - start > limit:
        ends = [m.end() for m in SENTENCE_END.finditer(text, start, start + limit)
                if m.end() < start + limit and covering(whole, m.end()) is None]
        if not (ends and ends[-1] - start > limit // 4):
            last = bisect.bisect_left(breaks, start + limit) - 1
            ends = [breaks[last]] if last >= 0 and breaks[last] > start else []
        cut = ends[-1] if ends and ends[-1] - start > limit // 4 else start + limit
        span = covering(whole, cut)
        if span is not None and span[0] - start > limit // 4:
            cut = span[0]
        cuts.append(cut)
        start = cut
    return cuts


def split_long(text: str, limit: int = MAX_CHUNK, whole: Sequence[tuple[int, int]] = ()) -> list[str]:
    """`text` cut where `chunk_cuts` says."""
    bounds = [0, *chunk_cuts(text, limit, whole), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


def covering(spans: Sequence[tuple[int, int]], cut: int) -> tuple[int, int] | None:
    """The one of the sorted, non-overlapping `spans` that `cut` falls strictly inside, if any
    (a binary search: a long run may hold thousands of tokens)."""
    at = bisect.bisect_right(spans, (cut, math.inf)) - 1
    return spans[at] if at >= 0 and spans[at][0] < cut < spans[at][1] else None


def joined_spans(spans: list[Span], joins: set[int]) -> list[Span]:
    """The spans with each pair that meets at a join made one (the label of the first): the
    pieces of a token longer than a chunk."""
    out: list[Span] = []
    for span in spans:
        if out and span[0] in joins and out[-1][1] == span[0]:
            out[-1] = (out[-1][0], span[1], out[-1][2])
        else:
            out.append(span)
    return out
