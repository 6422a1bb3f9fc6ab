"""The views of a line's labeled spans that front ends print: its words, and its words with flags.

Both join back to the line exactly: the whitespace runs between spans, which the model never
labels, are tokens of their own. `flagged_words` is the one word/POS output rule of posseg,
`segment --pos`, spaCy and serve.
"""
from __future__ import annotations

import itertools
from typing import Sequence

from .tasks import Span
from .userdict import UserDict


def words_of(line: str, spans: Sequence[Span]) -> list[str]:
    """The segmentation view of a line's spans: its words in order, with the whitespace runs
    between them as tokens of their own (jieba's way), so that the words join to the line.

    Every span edge, the line's ends included, is a cut; the pieces between successive cuts are
    the words and the runs between them. (This runs once per word of every line segmented, so
    a line the spans tile, with no whitespace, is read with one comprehension.)"""
    words = [line[start:end] for start, end, _ in spans]
    if sum(map(len, words)) == len(line):  # the spans tile the line (no whitespace): the usual case
        return words
    cuts = [0, *itertools.chain.from_iterable((start, end) for start, end, _ in spans), len(line)]
    return [line[a:b] for a, b in zip(cuts, cuts[1:]) if a < b]


WHITESPACE_FLAG = "x"  # a whitespace run's flag in word/POS output: jieba's flag for non-words


def flagged_words(line: str, spans: Sequence[Span], user_dict: UserDict | None = None,
                  whitespace: str = WHITESPACE_FLAG) -> list[tuple[str, str]]:
    """The word/POS view of a line's spans: (word, flag) pairs that join back to the line.

    The one rule every front end follows (posseg, `segment --pos`, spaCy, serve): the runs of
    whitespace between spans, which the model never labels, are tokens with the flag
    `whitespace`, and a user word with a tag of its own gets that tag, as in jieba; every other
    word gets the model's label."""
    pairs, at = [], 0
    for start, end, label in spans:
        if start > at:
            pairs.append((line[at:start], whitespace))
        word = line[start:end]
        pairs.append((word, (user_dict.tag(word) if user_dict is not None else None) or label))
        at = end
    if at < len(line):
        pairs.append((line[at:], whitespace))
    return pairs
