"""The row formats: CoNLL-X / CoNLL-U (one token a row, FORM in column 2, UPOS in column 4) and
tag columns (`unit ... TAG`: Resume NER's `char TAG`, CoNLL-2003), a blank line between sentences.

A file's column layout is settled by its first row and held for every other. A bad row (a
column count that changes, a token id out of order, an unknown tag or one that cannot follow
the one before) is a `file:line` error, or, with a `BadLines`, drops its whole sentence: a
sentence missing a row would misalign the rest.
"""
from __future__ import annotations

import os
from typing import Iterator, Optional

from .errors import CorpusError
from .lineformats import DOCSTART, SKIPPED_ID, TAG, TOKEN_ID, TagSequence
from .textlines import BadLines, corpus_lines, reject


class _Layout:
    """The columns of a row file: tab-separated or not, and how many, settled by its first row."""

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        self.tabbed: Optional[bool] = None
        self.columns: Optional[int] = None

    def split(self, line: str) -> list[str]:
        tabbed = ("\t" in line) if self.tabbed is None else self.tabbed
        fields = line.split("\t") if tabbed else line.split()
        if self.columns is None:
            if len(fields) < self.minimum:
                raise ValueError(f"expected at least {self.minimum} columns, got {len(fields)}")
            self.tabbed, self.columns = tabbed, len(fields)
        elif len(fields) != self.columns:
            raise ValueError(f"{len(fields)} columns, but this file's rows have {self.columns}")
        return fields

    def is_row(self, line: str) -> bool:
        """Does a `#` line split into this file's columns with a tag last (a `#` unit), rather than
        being a comment?"""
        fields = line.split("\t") if self.tabbed or (self.tabbed is None and "\t" in line) else line.split()
        return len(fields) == (self.columns or max(len(fields), self.minimum)) and bool(TAG.match(fields[-1]))


class _ConllRows:
    """CoNLL-X / CoNLL-U rows: 10 columns (or the file's own count, at least 10) and token ids
    1, 2, 3 ... in each sentence (a jump means a missing blank line). Comments (`#`), multiword
    ranges (`1-2`) and empty nodes (`1.1`) are skipped; with `pos`, UPOS (column 4) must be given."""

    def __init__(self, pos: bool = False) -> None:
        self.layout = _Layout(10)
        self.pos = pos
        self.expected = 1

    def new_sentence(self) -> None:
        self.expected = 1

    def row(self, number: int, line: str) -> Optional[list[str]]:
        if line.startswith("#"):
            return None
        fields = self.layout.split(line)
        token_id = fields[0]
        if SKIPPED_ID.match(token_id):
            return None
        if not TOKEN_ID.match(token_id):
            raise ValueError(f"column 1 is {token_id!r}, not a token id")
        if int(token_id) != self.expected:
            raise ValueError(f"token id {token_id} where {self.expected} was expected "
                             "(a missing blank line between sentences?)")
        self.expected += 1
        if not fields[1].strip():
            raise ValueError("empty FORM (column 2)")
        if self.pos and fields[3] in ("", "_"):
            raise ValueError(f"no UPOS (column 4 is {fields[3]!r})")
        return fields


class _ColumnRows:
    """`unit ... TAG` rows: the file's own column count, a unit, and a tag that may follow the one
    before it (`TagSequence`). `-DOCSTART-` rows are skipped, and `#` lines that are not rows."""

    def __init__(self) -> None:
        self.layout = _Layout(2)
        self.tags = TagSequence()

    def new_sentence(self) -> None:
        self.tags.new_sentence()

    def row(self, number: int, line: str) -> Optional[list[str]]:
        if line.startswith("#") and not self.layout.is_row(line):
            return None
        fields = self.layout.split(line)
        if fields[0] == DOCSTART:
            return None
        if not fields[0].strip():
            raise ValueError("empty unit (column 1)")
        self.tags.check(fields[-1], number)
        return fields


def _row_sentences(path, rows, bad: BadLines | None) -> Iterator[list[list[str]]]:
    """Sentences of rows, a blank line between sentences; a bad row drops its sentence."""
    sentence: list[list[str]] = []
    broken = False
    for number, line in corpus_lines(path, bad):
        if line is not None and not line.strip():
            if sentence and not broken:
                yield sentence
            sentence, broken = [], False
            rows.new_sentence()
            continue
        if broken:
            continue
        if line is None:  # a line that is not text: recorded by corpus_lines
            broken = True
            continue
        try:
            fields = rows.row(number, line)
        except ValueError as err:
            reject(CorpusError(path, number, str(err)), bad)
            broken = True
            continue
        if fields is not None:
            sentence.append(fields)
    if sentence and not broken:
        yield sentence


def read_conll_words(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[list[str]]:
    """CoNLL-X / CoNLL-U as segmentation: the FORM column (2nd) of each token."""
    for rows in _row_sentences(path, _ConllRows(), bad):
        yield [row[1] for row in rows]


def read_columns(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[tuple[list[str], list[str]]]:
    """`unit ... TAG` column files as (units, tags) per sentence: Resume NER's `char TAG`,
    CoNLL-2003's `token POS chunk NER` (IOB1, BIO, BIOES, typed BMES)."""
    for rows in _row_sentences(path, _ColumnRows(), bad):
        yield [row[0] for row in rows], [row[-1] for row in rows]


def read_conll_pos(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[list[tuple[str, str]]]:
    """CoNLL-X / CoNLL-U as (FORM, UPOS) pairs (columns 2 and 4)."""
    for rows in _row_sentences(path, _ConllRows(pos=True), bad):
        yield [(row[1], row[3]) for row in rows]
