"""People's Daily 1998's own POS tags read as named entities (the `pd1998-ner` corpus).

PD 1998 marks names with POS tags rather than entity spans, so entities are read off them:

    nr  PER   a surname and a given name are two `nr` words (江/nr 泽民/nr): a word of at most
              two characters joins the next `nr` word, and a name holds at most two words, so a
              list of names written without separators (江/nr 泽民/nr 李/nr 鹏/nr) stays a list
              of names; a foreign name is one word (克林顿/nr)
    ns  LOC   a bracketed compound tagged ns is one place: [香港/ns 特别/a 行政区/n]ns
    nt  ORG   likewise [中央/n 人民/n 广播/vn 电台/n]nt is one organization
    t   TIME  adjacent time words join: 1998年/t 1月/t 1日/t is one date

A compound bracketed with another tag ([...]nz, [...]l) is no entity itself; the words inside
keep their own tags. Pure functions: readers.py parses the lines and calls `pd1998_entities`.
"""
from __future__ import annotations

from typing import Sequence

KINDS = {"nr": "PER", "ns": "LOC", "nt": "ORG", "t": "TIME"}
SURNAME_MAX = 2  # the longest nr word read as a surname, which the next nr word (the given name) joins
Span = tuple[int, int, str]


def joins(previous: Span, previous_words: int, kind: str) -> bool:
    """Whether a word of `kind` right after the span `previous` (of `previous_words` words)
    extends it: time words always do (1998年/t 1月/t); a given name joins a surname alone."""
    if previous[2] != kind:
        return False
    if kind == "TIME":
        return True
    return kind == "PER" and previous_words == 1 and previous[1] - previous[0] <= SURNAME_MAX


def pd1998_entities(pairs: Sequence[tuple[str, str]],
                    compounds: Sequence[tuple[int, int, str]] = ()) -> tuple[list[str], list[Span]]:
    """(characters, entity spans) of one paragraph's (word, POS) pairs; `compounds` are its
    bracketed groups as (first word, end word, tag), word indexes, end exclusive."""
    offsets = [0]
    for word, _ in pairs:
        offsets.append(offsets[-1] + len(word))
    kinds: list[tuple[int, int, str | None]] = []  # (first word, end word, type or None) in order
    whole = {start: (end, KINDS[tag.lower()]) for start, end, tag in compounds if tag.lower() in KINDS}
    index = 0
    while index < len(pairs):
        if index in whole:
            end, kind = whole[index]
            kinds.append((index, end, kind))
            index = end
            continue
        kinds.append((index, index + 1, KINDS.get(pairs[index][1].lower())))
        index += 1
    spans: list[Span] = []
    words = 0  # how many words the last span holds
    for start, end, kind in kinds:
        if kind is None:
            continue
        begin = offsets[start]
        if spans and spans[-1][1] == begin and joins(spans[-1], words, kind):
            begin, words = spans.pop()[0], words + 1
        else:
            words = 1
        spans.append((begin, offsets[end], kind))
    return [char for word, _ in pairs for char in word], spans
