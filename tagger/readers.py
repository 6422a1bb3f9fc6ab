"""Corpus readers: pure, streaming generators that yield one sentence at a time.

Every reader takes a path, reads it lazily line by line and raises `CorpusError` naming the
file and the line for anything it cannot read. They accept LF and CRLF line ends and an
optional UTF-8 byte-order mark. Blank lines are skipped (they separate articles or nothing).

Formats:
  segmented  words separated by any Unicode whitespace (SIGHAN, CTB6, Weibo)
  pd1998     People's Daily 1998: `id/m  word/pos ... [word/pos word/pos]nt`
  msra       MSRA NER `word/tag` tokens, used here for segmentation
  conll      CoNLL-X / CoNLL-U: FORM in column 2, one token a line, blank line between sentences
  raw        plain text, one line a sentence
"""
from __future__ import annotations

import os
import re
from typing import Iterator

from .errors import CorpusError, TaggerError

Words = list[str]
Tagged = list[tuple[str, str]]

FORMATS = ("segmented", "pd1998", "msra", "conll", "raw")

_PD_ID = re.compile(r"^\d{8}-\d{2}-\d{3}-\d{3}/m$")
_PD_TOKEN = re.compile(r"^(\[?)(.+)/([A-Za-z]+)(?:\]([A-Za-z]+))?$")
_SLASH_TOKEN = re.compile(r"^(.+)/([A-Za-z]+)$")


def read_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield (line number, text without its line end), decoding UTF-8 one line at a time.

    Decoding per line (rather than letting `open` do it) is what lets an encoding error name
    its line.
    """
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise TaggerError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TaggerError(f"{path}: is a directory, not a file") from None
    except PermissionError:
        raise TaggerError(f"{path}: permission denied") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise CorpusError(path, number, f"not valid UTF-8 (byte {err.start})") from None
            yield number, text.rstrip("\r\n")


def read_segmented(path: str | os.PathLike) -> Iterator[Words]:
    """Words separated by any Unicode whitespace (U+3000 included); blank lines skipped."""
    for _, line in read_lines(path):
        words = line.split()
        if words:
            yield words


def read_raw(path: str | os.PathLike) -> Iterator[str]:
    """Each line as it is (without its line end), blank lines included, for segmentation."""
    for _, line in read_lines(path):
        yield line


def read_pd1998_tagged(path: str | os.PathLike) -> Iterator[Tagged]:
    """People's Daily 1998 paragraphs as (word, POS) pairs.

    The paragraph id is dropped, and bracketed compounds `[中国/ns 政府/n]nt` give their
    inner words: PKU segmentation counts the parts, not the compound.
    """
    for number, line in read_lines(path):
        tokens = line.split()
        if tokens and _PD_ID.match(tokens[0]):
            tokens = tokens[1:]
        pairs: Tagged = []
        depth = 0
        for token in tokens:
            match = _PD_TOKEN.match(token)
            if not match:
                raise CorpusError(path, number, f"malformed token {token!r}: expected word/POS")
            opening, word, pos, closing = match.groups()
            depth += bool(opening)
            if closing:
                if depth == 0:
                    raise CorpusError(path, number, f"']' without '[' in {token!r}")
                depth -= 1
            pairs.append((word, pos))
        if depth:
            raise CorpusError(path, number, "'[' without a closing ']'")
        if pairs:
            yield pairs


def read_pd1998(path: str | os.PathLike) -> Iterator[Words]:
    """People's Daily 1998 as segmentation: words only."""
    for pairs in read_pd1998_tagged(path):
        yield [word for word, _ in pairs]


def read_slash_tagged(path: str | os.PathLike) -> Iterator[Tagged]:
    """`word/tag` tokens (MSRA NER); the tag is after the last '/', so words may hold '/'."""
    for number, line in read_lines(path):
        pairs: Tagged = []
        for token in line.split():
            match = _SLASH_TOKEN.match(token)
            if not match:
                raise CorpusError(path, number, f"malformed token {token!r}: expected word/tag")
            pairs.append((match.group(1), match.group(2)))
        if pairs:
            yield pairs


def read_msra(path: str | os.PathLike) -> Iterator[Words]:
    """MSRA NER text used as segmentation: its words are MSR-standard words."""
    for pairs in read_slash_tagged(path):
        yield [word for word, _ in pairs]


def read_conll_rows(path: str | os.PathLike, min_columns: int = 2) -> Iterator[list[list[str]]]:
    """Sentences of CoNLL rows (columns split on tabs, else on whitespace).

    Comment lines (`#`), CoNLL-U multiword ranges (`1-2`) and empty nodes (`1.1`) are skipped.
    """
    rows: list[list[str]] = []
    for number, line in read_lines(path):
        if not line.strip():
            if rows:
                yield rows
                rows = []
            continue
        if line.startswith("#"):
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        if len(columns) < min_columns:
            raise CorpusError(path, number, f"expected at least {min_columns} columns, got {len(columns)}")
        if re.match(r"^\d+[-.]\d+$", columns[0]):
            continue
        rows.append(columns)
    if rows:
        yield rows


def read_conll_words(path: str | os.PathLike) -> Iterator[Words]:
    """CoNLL-X / CoNLL-U as segmentation: the FORM column (2nd) of each token."""
    for rows in read_conll_rows(path, min_columns=10):
        yield [row[1] for row in rows]


def sniff_format(path: str | os.PathLike) -> str:
    """Guess a corpus format from its first non-blank lines (for `--format auto`)."""
    lines = []
    for _, line in read_lines(path):
        if line.strip():
            lines.append(line)
        if len(lines) >= 5:
            break
    if not lines:
        raise CorpusError(path, None, "file is empty")
    first = lines[0].split()
    if first and _PD_ID.match(first[0]):
        return "pd1998"
    if all(len(line.split("\t")) >= 10 or line.startswith("#") for line in lines):
        return "conll"
    tokens = [tok for line in lines for tok in line.split()]
    if tokens and all(_SLASH_TOKEN.match(tok) for tok in tokens):
        return "msra"
    return "segmented"


_WORD_READERS = {
    "segmented": read_segmented,
    "pd1998": read_pd1998,
    "msra": read_msra,
    "conll": read_conll_words,
}


def read_words(path: str | os.PathLike, fmt: str = "auto") -> Iterator[Words]:
    """Read any segmentation corpus format as lists of words."""
    if fmt == "auto":
        fmt = sniff_format(path)
    if fmt not in _WORD_READERS:
        raise TaggerError(f"unknown corpus format {fmt!r}; expected one of {', '.join(_WORD_READERS)}")
    return _WORD_READERS[fmt](path)
