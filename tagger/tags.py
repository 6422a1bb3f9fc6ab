"""Tag schemes: words <-> per-character tags, and which tag may follow which.

BMES for segmentation: B begins a word, M is inside, E ends it, S is a one-character word.
A scheme's transition rules drive constrained decoding, so a decoder never emits a sequence
that cannot be turned back into words.
"""
from __future__ import annotations

from typing import Sequence

BMES = ("B", "M", "E", "S")

# tag -> tags allowed next
_BMES_NEXT = {"B": {"M", "E"}, "M": {"M", "E"}, "E": {"B", "S"}, "S": {"B", "S"}}
_BMES_START = {"B", "S"}
_BMES_END = {"E", "S"}


def words_to_tags(words: Sequence[str]) -> list[str]:
    """BMES tags, one per character of the words (empty words are an error)."""
    tags: list[str] = []
    for word in words:
        if not word:
            raise ValueError("empty word")
        if len(word) == 1:
            tags.append("S")
        else:
            tags.extend(["B"] + ["M"] * (len(word) - 2) + ["E"])
    return tags


def tags_to_words(chars: str, tags: Sequence[str]) -> list[str]:
    """Words from characters and their tags; a word ends after E or S.

    Tolerant of invalid sequences (a B or M at the end still closes the last word), so
    no character is ever dropped.
    """
    if len(chars) != len(tags):
        raise ValueError(f"{len(chars)} characters but {len(tags)} tags")
    words: list[str] = []
    start = 0
    for i, tag in enumerate(tags):
        if tag in ("E", "S") or i == len(tags) - 1 or tags[i + 1] in ("B", "S"):
            words.append(chars[start:i + 1])
            start = i + 1
    return words


def boundaries_to_words(chars: str, ends: Sequence[bool]) -> list[str]:
    """Words from per-character 'a word ends here' flags."""
    words, start = [], 0
    for i, end in enumerate(ends):
        if end or i == len(chars) - 1:
            words.append(chars[start:i + 1])
            start = i + 1
    return words


def is_valid(tags: Sequence[str]) -> bool:
    """True when a BMES sequence can be read as words without repair."""
    if not tags:
        return True
    if tags[0] not in _BMES_START or tags[-1] not in _BMES_END:
        return False
    return all(b in _BMES_NEXT[a] for a, b in zip(tags, tags[1:]))


def transition_rules(tags: Sequence[str] = BMES) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """(allowed[prev][next], allowed_start, allowed_end) over the given tag order."""
    allowed = [[b in _BMES_NEXT[a] for b in tags] for a in tags]
    return allowed, [t in _BMES_START for t in tags], [t in _BMES_END for t in tags]
