"""Where a long run of text is cut before the network, and how the pieces are joined again.

The model was trained on sentences, and short rows make wide, fast batches: a run longer than
`MAX_CHUNK` characters is cut, at a sentence end when one is near, and never inside a token
kept whole (a URL, an e-mail address) unless that token is longer than a chunk; the labeled
pieces of such a token are joined again (`joined_spans`).

Where no sentence end is near (text without punctuation: speech transcripts, OCR, posts), a cut
falls mid-sentence, and may fall inside a name. An entity model's chunks then overlap: each reads
`CONTEXT` characters past such a cut and answers for its own part only (`windows`,
`owned_spans`). On MSRA NER test with its punctuation dropped, entity F1 on its 6 lines over 200
characters rose from 0.873 to 0.889 (docs/tagging.md).
"""
from __future__ import annotations

import bisect
import math
from typing import Iterable, Sequence

from .sentences import SENTENCE_END
from .tasks import Span

MAX_CHUNK = 200  # longer text runs are cut (at a sentence end when possible) before the model:
# the model was trained on sentences, and shorter rows make wider, faster LSTM batches
CONTEXT = 50  # characters an entity model's chunk reads past a cut that ends no sentence (`windows`)


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


def blind_cuts(text: str, cuts: Sequence[int], breaks: Sequence[int] = ()) -> set[int]:
    """The cuts that end no sentence and stand at no break: mid-sentence, perhaps mid-name."""
    clean = set(breaks)
    return {cut for cut in cuts if cut not in clean
            and not any(m.end() == cut for m in SENTENCE_END.finditer(text, max(0, cut - 8), cut))}


def windows(text: str, cuts: Sequence[int], breaks: Sequence[int] = (),
            context: int = CONTEXT) -> list[tuple[int, int, int, int]]:
    """(start, end, own start, own end) of each chunk between `cuts`: the chunk [own start, own
    end) read from `start` to `end`, `context` characters further on each side where the cut
    there is blind (`blind_cuts`); with `context` 0, the chunks themselves. Why: a name cut in
    two is lost whole, and the words after a cut are what tell a name from a word; the overlap
    reads each name whole in one chunk."""
    blind = blind_cuts(text, cuts, breaks) if context else set()
    bounds = [0, *cuts, len(text)]
    return [(max(0, a - context) if a in blind else a, min(len(text), b + context) if b in blind else b, a, b)
            for a, b in zip(bounds, bounds[1:])]


def owned_spans(parts: Iterable[tuple[tuple[int, int] | None, Sequence[Span]]]) -> list[Span]:
    """The spans of consecutive, perhaps overlapping chunks, as (the offsets a chunk answers
    for or None for all, its spans) in text order: a chunk's spans that begin in its own part,
    less any that overlap a span kept before (a name found at the end of one chunk's part is
    that chunk's; the next chunk saw it cut at its edge)."""
    out: list[Span] = []
    for owns, spans in parts:
        for span in spans:
            if owns is not None and not owns[0] <= span[0] < owns[1]:
                continue
            if out and span[0] < out[-1][1]:
                continue
            out.append(span)
    return out


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
