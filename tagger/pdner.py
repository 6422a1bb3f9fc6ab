"""People's Daily 1998's own POS tags read as named entities (the `pd1998-ner` corpus).

PD 1998 marks names with POS tags rather than entity spans, so entities are read off them:

    nr  PER   a surname and a given name are two `nr` words (江/nr 泽民/nr): adjacent ones join
    ns  LOC   a bracketed compound tagged ns is one place: [香港/ns 特别/a 行政区/n]ns
    nt  ORG   likewise [中央/n 人民/n 广播/vn 电台/n]nt is one organization
    t   TIME  adjacent time words join: 1998年/t 1月/t 1日/t is one date

A compound bracketed with another tag ([...]nz, [...]l) is no entity itself; the words inside
keep their own tags. Pure functions: readers.py parses the lines and calls `pd1998_entities`.
"""
from __future__ import annotations

from typing import Sequence

KINDS = {"nr": "PER", "ns": "LOC", "nt": "ORG", "t": "TIME"}
JOINED = ("PER", "TIME")  # adjacent words of these types are one entity
Span = tuple[int, int, str]


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
    for start, end, kind in kinds:
        if kind is None:
            continue
        begin = offsets[start]
        if spans and kind in JOINED and spans[-1][2] == kind and spans[-1][1] == begin:
            begin = spans.pop()[0]
        spans.append((begin, offsets[end], kind))
    return [char for word, _ in pairs for char in word], spans
