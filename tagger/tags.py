"""Tag schemes: words <-> per-character tags, and which tag may follow which.

BMES for segmentation: B begins a word, M is inside, E ends it, S is a one-character word.
Typed BMES (`B-v`, `E-v`, ...) does joint segmentation and POS tagging: the tags of one word
share its POS. BIO / BIOES (tagger/entities.py) mark entities. A scheme's transition rules drive
constrained decoding, so a decoder never emits a sequence that cannot be read back.
"""
from __future__ import annotations

import itertools
import operator
from typing import Sequence

import numpy as np

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


def prefix(tag: str) -> str:
    """`B` of `B-v` (and of `B`)."""
    return tag.split("-", 1)[0]


def label(tag: str) -> str:
    """`v` of `B-v` ('' for an untyped tag)."""
    return tag.partition("-")[2]


_PREFIXES: dict[str, str] = {}  # tag -> prefix, for tags_to_words's inner loop
_ENDS, _STARTS = frozenset("ES"), frozenset("BS")  # a word ends after E or S, and before B or S


def word_bounds(tags: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) of each word that (plain or typed) BMES tags mark; a word ends after E or S,
    and before B or S.

    Tolerant of invalid sequences (a B or M at the end still closes the last word), so the
    words always cover every character.
    """
    if not tags:
        return []
    for tag in set(tags) - _PREFIXES.keys():
        _PREFIXES[tag] = prefix(tag)
    prefixes = list(map(_PREFIXES.__getitem__, tags))  # map/compress: these loops run in C
    ends = map(_ENDS.__contains__, prefixes)
    starts = map(_STARTS.__contains__, prefixes[1:])
    cuts = list(itertools.compress(range(1, len(tags)), map(operator.or_, ends, starts)))
    cuts.append(len(tags))
    return list(zip([0, *cuts], cuts))


def word_starts(ids: np.ndarray, firsts: np.ndarray, tags: Sequence[str]) -> np.ndarray:
    """word_bounds' rule over the tag ids (indices into `tags`) of several texts laid end to
    end, text k beginning at index firsts[k]: the indices where a word begins (at a B or S,
    after an E or S, and where a text begins), found for all texts in one numpy pass."""
    prefixes = [prefix(tag) for tag in tags]
    ends_after = np.array([p in _ENDS for p in prefixes], dtype=bool)
    begins = np.array([p in _STARTS for p in prefixes], dtype=bool)[ids]
    begins[1:] |= ends_after[ids[:-1]]
    begins[firsts] = True
    return np.flatnonzero(begins)


def tags_to_words(chars: str, tags: Sequence[str]) -> list[str]:
    """Words from characters and their (plain or typed) BMES tags (see word_bounds): no
    character is ever dropped."""
    if len(chars) != len(tags):
        raise ValueError(f"{len(chars)} characters but {len(tags)} tags")
    return [chars[start:end] for start, end in word_bounds(tags)]


def is_valid(tags: Sequence[str]) -> bool:
    """True when a BMES sequence can be read as words without repair."""
    if not tags:
        return True
    if tags[0] not in _BMES_START or tags[-1] not in _BMES_END:
        return False
    return all(b in _BMES_NEXT[a] for a, b in zip(tags, tags[1:]))


def typed_bmes(words: Sequence[str], labels: Sequence[str]) -> list[str]:
    """Typed BMES tags (`B-v`, `E-v`, `S-w`) for words and their labels (POS)."""
    return [f"{t}-{lab}" for word, lab in zip(words, labels) for t in words_to_tags([word])]


def _bmes_follows(prev: str, nxt: str) -> bool:
    if prefix(nxt) not in _BMES_NEXT[prefix(prev)]:
        return False
    return prefix(nxt) in ("B", "S") or label(prev) == label(nxt)  # a word keeps one label


def transition_rules(tags: Sequence[str] = BMES, scheme: str = "BMES"
                     ) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """(allowed[prev][next], allowed_start, allowed_end) over the given tag order.

    scheme: "BMES" (plain or typed tags) or "BIOES" / "BIO" (entity tags with "O").
    """
    if scheme == "BMES":
        return ([[_bmes_follows(a, b) for b in tags] for a in tags],
                [prefix(t) in _BMES_START for t in tags], [prefix(t) in _BMES_END for t in tags])
    from .entities import allowed
    return ([[allowed(a, b, scheme) for b in tags] for a in tags],
            [allowed("O", t, scheme) for t in tags], [allowed(t, "O", scheme) for t in tags])
