"""Corpus readers: pure, streaming generators that yield one sentence at a time.

Every reader takes a path, reads it lazily line by line and raises `CorpusError` naming the
file and the line for anything it cannot read. They accept LF and CRLF line ends and an
optional UTF-8 byte-order mark. Blank lines are skipped (they separate articles or nothing).

Formats:
  segmented  words separated by any Unicode whitespace (SIGHAN, CTB6, Weibo)
  pd1998     People's Daily 1998: `id/m  word/pos ... [word/pos word/pos]nt`
  msra       MSRA NER `word/tag` tokens, used here for segmentation
  conll      CoNLL-X / CoNLL-U: FORM in column 2, one token a line, blank line between sentences
  columns    `unit ... TAG` lines (Resume NER's `char TAG`, CoNLL-2003), blank line between sentences
  raw        plain text, one line a sentence

Which readings a format has depends on the task (tagger/tasks.py): `read_items` gives words for
seg, (word, POS) pairs for pos, and (units, spans or tags) for ner.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Iterator

from .errors import CorpusError, TaggerError
from .pdner import pd1998_entities
from .tags import TAG_PATTERN

Words = list[str]
Tagged = list[tuple[str, str]]

FORMATS = ("segmented", "pd1998", "msra", "conll", "columns", "raw")
_TAG = re.compile(TAG_PATTERN)

_PD_ID = re.compile(r"^\d{8}-\d{2}-\d{3}-\d{3}/m$")
_PD_TOKEN = re.compile(r"^(\[?)(.+)/([A-Za-z]+)(?:\]([A-Za-z]+))?$")
_SLASH_TOKEN = re.compile(r"^(.+)/([A-Za-z]+)$")


class BadLines:
    """Collects malformed lines instead of raising (`--skip-bad-lines`): counted and skipped."""

    def __init__(self) -> None:
        self._errors: dict[tuple[str, int | None], CorpusError] = {}

    def __len__(self) -> int:
        return len(self._errors)

    @property
    def errors(self) -> list[CorpusError]:
        return list(self._errors.values())

    def record(self, error: CorpusError) -> None:
        """Remember an error once per file and line (train and dev may read the same file)."""
        self._errors.setdefault((error.path, error.line), error)


def _fail(error: CorpusError, bad: BadLines | None) -> None:
    if bad is None:
        raise error
    bad.record(error)


def _open_binary(path: str | os.PathLike):
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise TaggerError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TaggerError(f"{path}: is a directory, not a file") from None
    except PermissionError:
        raise TaggerError(f"{path}: permission denied") from None


def strip_line_end(text: str) -> str:
    """Remove one LF or CRLF line end, and nothing else (a stray CR inside stays)."""
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    return text


def read_lines(path: str | os.PathLike, encoding: str = "utf-8", errors: str = "strict",
               bad: BadLines | None = None) -> Iterator[tuple[int, str]]:
    """Yield (line number, text without its line end), decoding one line at a time.

    Decoding per line (rather than letting `open` do it) is what lets an encoding error name its
    line and byte offset. `path` "-" is stdin. Encodings must be ASCII-compatible (UTF-8,
    GB18030, Big5, ...); errors="replace" puts U+FFFD for undecodable bytes.
    """
    try:
        "".encode(encoding)
    except LookupError:
        raise TaggerError(f"unknown encoding {encoding!r}") from None
    handle = _open_binary(path)
    name = "<stdin>" if str(path) == "-" else path
    offset = 0
    try:
        for number, raw in enumerate(handle, start=1):
            line_offset, offset = offset, offset + len(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf") and encoding.replace("-", "").lower() in ("utf8", "utf8sig"):
                raw = raw[3:]
            try:
                text = raw.decode(encoding, errors)
            except UnicodeDecodeError as err:
                _fail(CorpusError(name, number, f"not valid {encoding.upper()} (byte {err.start} of the line, "
                                                f"offset {line_offset + err.start} in the file); "
                                                "try --encoding or --errors replace"), bad)
                continue
            yield number, strip_line_end(text)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def read_segmented(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """Words separated by any Unicode whitespace (U+3000 included); blank lines skipped."""
    for _, line in read_lines(path, bad=bad):
        words = line.split()
        if words:
            yield words


def read_raw(path: str | os.PathLike, encoding: str = "utf-8", errors: str = "strict") -> Iterator[str]:
    """Each line as it is (without its line end), blank lines included, for segmentation."""
    for _, line in read_lines(path, encoding, errors):
        yield line


def _parse_pd1998_line(line: str, compounds: list | None = None) -> Tagged:
    """(word, POS) pairs; the outermost bracketed compounds go to `compounds` as (first word,
    end word, tag) when a list is given."""
    tokens = line.split()
    if tokens and _PD_ID.match(tokens[0]):
        tokens = tokens[1:]
    pairs: Tagged = []
    depth = opened = 0
    for token in tokens:
        match = _PD_TOKEN.match(token)
        if not match:
            raise ValueError(f"malformed token {token!r}: expected word/POS")
        opening, word, pos, closing = match.groups()
        if opening and not depth:
            opened = len(pairs)
        depth += bool(opening)
        if closing:
            if depth == 0:
                raise ValueError(f"']' without '[' in {token!r}")
            depth -= 1
            if not depth and compounds is not None:
                compounds.append((opened, len(pairs) + 1, closing))
        pairs.append((word, pos))
    if depth:
        raise ValueError("'[' without a closing ']'")
    return pairs


def _parse_slash_line(line: str) -> Tagged:
    pairs: Tagged = []
    for token in line.split():
        match = _SLASH_TOKEN.match(token)
        if not match:
            raise ValueError(f"malformed token {token!r}: expected word/tag")
        pairs.append((match.group(1), match.group(2)))
    return pairs


def _parsed(path, parse, bad: BadLines | None) -> Iterator[Tagged]:
    """Apply a line parser, turning its ValueError into a CorpusError naming file and line."""
    for number, line in read_lines(path, bad=bad):
        try:
            pairs = parse(line)
        except ValueError as err:
            _fail(CorpusError(path, number, str(err)), bad)
            continue
        if pairs:
            yield pairs


def read_pd1998_tagged(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Tagged]:
    """People's Daily 1998 paragraphs as (word, POS) pairs.

    The paragraph id is dropped, and bracketed compounds `[中国/ns 政府/n]nt` give their
    inner words: PKU segmentation counts the parts, not the compound.
    """
    return _parsed(path, _parse_pd1998_line, bad)


def read_pd1998(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """People's Daily 1998 as segmentation: words only."""
    for pairs in read_pd1998_tagged(path, bad):
        yield [word for word, _ in pairs]


def read_pd1998_documents(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[str]:
    """The document (article) id of each paragraph `read_pd1998` yields, in the same order.

    `19980101-01-001-002/m` is paragraph 2 of article 19980101-01-001; cross-validation keeps an
    article's paragraphs in one fold.
    """
    for number, line in read_lines(path, bad=bad):
        tokens = line.split()
        try:
            pairs = _parse_pd1998_line(line)
        except ValueError:
            continue
        if pairs:
            yield tokens[0].rsplit("-", 1)[0] if _PD_ID.match(tokens[0]) else f"line{number}"


def _parse_pd1998_ner_line(line: str) -> Labeled | None:
    compounds: list = []
    pairs = _parse_pd1998_line(line, compounds)
    return pd1998_entities(pairs, compounds) if pairs else None


def read_pd1998_ner(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Labeled]:
    """People's Daily 1998's own tags as entity spans (nr PER, ns LOC, nt ORG, t TIME; the rules
    are in tagger/pdner.py), one paragraph each, as `read_pd1998` yields them."""
    return _parsed(path, _parse_pd1998_ner_line, bad)


def read_slash_tagged(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Tagged]:
    """`word/tag` tokens (MSRA NER); the tag is after the last '/', so words may hold '/'."""
    return _parsed(path, _parse_slash_line, bad)


def read_msra(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """MSRA NER text used as segmentation: its words are MSR-standard words."""
    for pairs in read_slash_tagged(path, bad):
        yield [word for word, _ in pairs]


def read_conll_rows(path: str | os.PathLike, min_columns: int = 2,
                    bad: BadLines | None = None) -> Iterator[list[list[str]]]:
    """Sentences of CoNLL rows (columns split on tabs, else on whitespace).

    Comment lines (`#`), CoNLL-U multiword ranges (`1-2`) and empty nodes (`1.1`) are skipped.
    """
    rows: list[list[str]] = []
    for number, line in read_lines(path, bad=bad):
        if not line.strip():
            if rows:
                yield rows
                rows = []
            continue
        if line.startswith("#"):
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        if len(columns) < min_columns:
            _fail(CorpusError(path, number, f"expected at least {min_columns} columns, got {len(columns)}"), bad)
            continue
        if re.match(r"^\d+[-.]\d+$", columns[0]):
            continue
        rows.append(columns)
    if rows:
        yield rows


def read_conll_words(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """CoNLL-X / CoNLL-U as segmentation: the FORM column (2nd) of each token."""
    for rows in read_conll_rows(path, min_columns=10, bad=bad):
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
    rows = [line.split() for line in lines if not line.startswith("-DOCSTART-")]
    if rows and all(2 <= len(r) <= 6 and _TAG.match(r[-1]) for r in rows):
        return "columns"
    return "segmented"


_WORD_READERS = {
    "segmented": read_segmented,
    "pd1998": read_pd1998,
    "msra": read_msra,
    "conll": read_conll_words,
}


def read_words(path: str | os.PathLike, fmt: str = "auto", bad: BadLines | None = None) -> Iterator[Words]:
    """Read any segmentation corpus format as lists of words."""
    return read_items(path, fmt, "seg", bad)


def read_items(path: str | os.PathLike, fmt: str = "auto", task: str = "seg",
               bad: BadLines | None = None) -> Iterator:
    """Sentences of a corpus as the task reads them: words (seg), (word, POS) pairs (pos),
    (units, spans or tags) pairs (ner)."""
    if fmt == "auto":
        fmt = sniff_format(path)
    reader = _ITEM_READERS.get((fmt, task))
    if reader is None:
        readable = sorted(f for f, t in _ITEM_READERS if t == task)
        raise TaggerError(f"{path}: format {fmt!r} has no {task} reading; for --task {task} use "
                          f"{', '.join(readable)}")
    return reader(path, bad)


def has_reading(path: str | os.PathLike, fmt: str, task: str) -> bool:
    """Whether a corpus file of this format (auto: sniffed) can be read for `task`."""
    return ((sniff_format(path) if fmt == "auto" else fmt), task) in _ITEM_READERS


def default_task(fmt: str) -> str:
    """The task a format implies when it is unambiguous: tag columns are entities; the rest seg."""
    return "ner" if fmt == "columns" else "seg"


# -- labeled sequences (NER, POS): (units, spans) or (units, tags) -------------------------------
Labeled = tuple[list[str], list[tuple[int, int, str]]]


def read_column_tags(path: str | os.PathLike, tag_column: int = -1, min_columns: int = 2,
                     bad: BadLines | None = None) -> Iterator[tuple[list[str], list[str]]]:
    """(units, tags) per sentence from column files: Resume's `char TAG`, CoNLL-2003's
    `token POS chunk NER` (tag_column=-1), CoNLL-U (UPOS: tag_column=3). `-DOCSTART-` is skipped."""
    for rows in read_conll_rows(path, min_columns=min_columns, bad=bad):
        rows = [r for r in rows if r[0] != "-DOCSTART-"]
        if rows:
            unit_column = 1 if min_columns >= 10 else 0
            yield [r[unit_column] for r in rows], [r[tag_column] for r in rows]


def read_columns(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[tuple[list[str], list[str]]]:
    """`unit ... TAG` column files as (units, tags): Resume NER, CoNLL-2003 (IOB1, BIO, BIOES)."""
    return read_column_tags(path, tag_column=-1, min_columns=2, bad=bad)


def read_conll_pos(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Tagged]:
    """CoNLL-X / CoNLL-U as (FORM, UPOS) pairs (columns 2 and 4)."""
    for rows in read_conll_rows(path, min_columns=10, bad=bad):
        yield [(row[1], row[3]) for row in rows]


def read_msra_ner(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Labeled]:
    """MSRA NER `word/tag` lines as characters and entity spans (nr PER, ns LOC, nt ORG)."""
    kinds = {"nr": "PER", "ns": "LOC", "nt": "ORG"}
    for pairs in read_slash_tagged(path, bad):
        chars: list[str] = []
        spans = []
        for word, tag in pairs:
            start = len(chars)
            chars.extend(word)
            if tag.lower() in kinds:
                spans.append((start, len(chars), kinds[tag.lower()]))
        yield chars, spans


_ITEM_READERS = {
    **{(fmt, "seg"): reader for fmt, reader in _WORD_READERS.items()},
    ("pd1998", "pos"): read_pd1998_tagged,
    ("msra", "pos"): read_slash_tagged,  # any `word/tag` file
    ("conll", "pos"): read_conll_pos,
    ("msra", "ner"): read_msra_ner,
    ("pd1998", "ner"): read_pd1998_ner,
    ("columns", "ner"): read_columns,
}
