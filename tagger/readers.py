"""Corpus readers: pure, streaming generators that yield one sentence at a time.

Every reader takes a path, reads it lazily line by line and raises `CorpusError` naming the
file and the line for anything it cannot read. They accept LF and CRLF line ends (mixed, too)
and a UTF-8 byte-order mark at the start of the file. Blank lines are skipped (they separate
articles or nothing; in column formats, sentences).

Formats:
  segmented  words separated by any Unicode whitespace (SIGHAN, CTB6, Weibo)
  pd1998     People's Daily 1998: `id/m  word/pos ... [word/pos word/pos]nt`
  msra       MSRA NER `word/tag` tokens, used here for segmentation
  conll      CoNLL-X / CoNLL-U: FORM in column 2, one token a line, blank line between sentences
  columns    `unit ... TAG` lines (Resume NER's `char TAG`, CoNLL-2003), blank line between sentences
  raw        plain text, one line a sentence

Reading is strict: a file has one format (given, or sniffed from its first lines), and every
line must be a line of it (tagger/lineformats.py says what each looks like): a line of another
format, a column count that changes, an unknown tag or a tag that cannot follow the one before,
a control character, NUL, a CR or a byte-order mark inside a line, or a line over
`CORPUS_LINE_BYTES` is a `file:line: what is wrong` error. So nothing is trained on a file that
was misread. With a `BadLines` (`--skip-bad-lines`) such lines are recorded and skipped
instead; in the column formats the whole sentence of a bad row is dropped, since a sentence
missing a row would misalign the rest.

Which readings a format has depends on the task (tagger/tasks.py): `read_items` gives words for
seg, (word, POS) pairs for pos, and (units, spans or tags) for ner.
"""
from __future__ import annotations

import functools
import os
import sys
from typing import Iterator, Optional

from .errors import CorpusError, TaggerError
from .lineformats import (DOCSTART, PD_ID, PD_TOKEN, SKIPPED_ID, SLASH_LINE, SLASH_TOKEN, TAG, TOKEN_ID, TagSequence,
                          bad_character, kind_of_line, segmented_line_problem, settle_format, table_message)
from .pdner import pd1998_entities
from .files import is_wide, text_encoding, wide_lines

Words = list[str]
Tagged = list[tuple[str, str]]

FORMATS = ("segmented", "pd1998", "msra", "conll", "columns", "raw")
CORPUS_LINE_BYTES = 1 << 20  # the longest corpus line read (the named corpora's longest: 12 KB)
SNIFF_LINES = 20  # non-blank lines a format is sniffed from
_CORPUS_ENCODING = "corpora are read as UTF-8: convert a UTF-16 or GB18030 file first (iconv -t UTF-8)"


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

    def summary(self) -> str:
        """The one line a command prints on stderr when it skipped lines."""
        return f"skipped {len(self)} malformed lines, the first: {self.errors[0]}"


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
               bad: BadLines | None = None, max_bytes: Optional[int] = None,
               advice: str = "try --encoding or --errors replace") -> Iterator[tuple[int, Optional[str]]]:
    """Yield (line number, text without its line end), decoding one line at a time.

    Decoding per line (rather than letting `open` do it) is what lets an encoding error name its
    line and byte offset. `path` "-" is stdin. ASCII-compatible encodings (UTF-8, GB18030, Big5,
    ...) are read so; UTF-16 and UTF-32 as whole streams; others are refused
    (tagger/files.py). errors="replace" puts U+FFFD for undecodable bytes. A line over
    `max_bytes` is an error, found without holding more of it than that. With `bad`, a line
    that cannot be read is recorded there and yielded as (number, None). `advice` ends the
    message of an undecodable line.
    """
    try:
        encoding = text_encoding(encoding)
    except ValueError as err:
        raise TaggerError(f"--encoding: {err}") from None
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # its BOM is dropped below, once (not per line)
    handle = _open_binary(path)
    name = "<stdin>" if str(path) == "-" else path
    offset = 0
    utf8 = encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig")
    lines = iter(functools.partial(handle.readline, max_bytes + 1 if max_bytes else -1), b"")
    try:
        if is_wide(encoding):
            for number, text in wide_lines(handle, encoding, errors, name):
                yield number, strip_line_end(text)
            return
        for number, raw in enumerate(lines, start=1):
            line_offset, offset = offset, offset + len(raw)
            if max_bytes and len(raw) > max_bytes and not raw.endswith(b"\n"):
                for rest in lines:  # the rest of the line, never held whole
                    offset += len(rest)
                    if rest.endswith(b"\n"):
                        break
                _fail(CorpusError(name, number, f"longer than {max_bytes} bytes: not one sentence a line "
                                                "(CR-only line ends, or not a text file?)"), bad)
                yield number, None
                continue
            if number == 1 and utf8 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode(encoding, errors)
            except UnicodeDecodeError as err:
                _fail(CorpusError(name, number, f"not valid {encoding.upper()} (byte {err.start} of the line, "
                                                f"offset {line_offset + err.start} in the file); {advice}"), bad)
                yield number, None
                continue
            yield number, strip_line_end(text)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def corpus_lines(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[tuple[int, Optional[str]]]:
    """`read_lines` of a UTF-8 corpus, every line checked to be text (see `bad_character`) and at
    most `CORPUS_LINE_BYTES` long; with `bad`, a line that is not is yielded as (number, None)."""
    for number, line in read_lines(path, bad=bad, max_bytes=CORPUS_LINE_BYTES, advice=_CORPUS_ENCODING):
        if line is not None and not line.isprintable():  # printable: the fast, common case
            problem = bad_character(line)
            if problem:
                _fail(CorpusError(path, number, problem), bad)
                line = None
        yield number, line


def read_segmented(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """Words separated by any Unicode whitespace (U+3000 included); blank lines skipped."""
    return filter(None, read_segmented_lines(path, bad))


def read_segmented_lines(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Optional[Words]]:
    """The words of every line, blank lines included (as []), for gold files paired with output
    line by line; with `bad`, a malformed line is None."""
    for number, line in corpus_lines(path, bad):
        words = line.split() if line is not None else None
        if words and (len(words) <= 4 or "/" in line or "\t" in line or words[0][0] in _SEGMENTED_SUSPECT_START):
            problem = segmented_line_problem(line, words)  # only where another format is possible
            if problem:
                _fail(CorpusError(path, number, problem), bad)
                words = None
        yield words


_SEGMENTED_SUSPECT_START = frozenset("0123456789-")  # a PD 1998 id, a CoNLL token id, -DOCSTART-


def read_raw(path: str | os.PathLike, encoding: str = "utf-8", errors: str = "strict") -> Iterator[str]:
    """Each line as it is (without its line end), blank lines included, for segmentation."""
    for _, line in read_lines(path, encoding, errors):
        yield line


def _parse_pd1998_tokens(line: str, tokens: list[str], compounds: list | None = None) -> Tagged:
    """(word, POS) pairs of a paragraph's tokens (its id removed); brackets must pair up. The
    outermost bracketed compounds go to `compounds` as (first word, end word, tag) when a list
    is given."""
    if "[" not in line and "]" not in line and SLASH_LINE.fullmatch(line, len(line) - len(line.lstrip())):
        return [token.rpartition("/")[::2] for token in tokens]  # every token word/POS, checked in one match
    pairs: Tagged = []
    depth = opened = 0
    for token in tokens:
        match = PD_TOKEN.match(token)
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


def _pd1998_paragraphs(path, bad: BadLines | None) -> Iterator[tuple[str, Tagged, list]]:
    """(article id, (word, POS) pairs, bracketed compounds) of each paragraph. Whether
    paragraphs carry an id is settled by the first: then every line has one, or none does."""
    with_ids = None
    for number, line in corpus_lines(path, bad):
        tokens = line.split() if line is not None else None
        if not tokens:
            continue
        has_id = bool(PD_ID.match(tokens[0]))
        with_ids = has_id if with_ids is None else with_ids
        compounds: list = []
        try:
            if has_id != with_ids:
                raise ValueError(f"a paragraph id ({tokens[0]}), but this file's first paragraph has none"
                                 if has_id else "no paragraph id (19980101-01-001-001/m), but this file's "
                                                "first paragraph has one")
            pairs = _parse_pd1998_tokens(line, tokens[1:] if has_id else tokens, compounds)
        except ValueError as err:
            _fail(CorpusError(path, number, str(err)), bad)
            continue
        if pairs:
            yield (tokens[0].rsplit("-", 1)[0] if has_id else f"line{number}"), pairs, compounds


def read_pd1998_tagged(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Tagged]:
    """People's Daily 1998 paragraphs as (word, POS) pairs.

    The paragraph id is dropped, and bracketed compounds `[中国/ns 政府/n]nt` give their
    inner words: PKU segmentation counts the parts, not the compound.
    """
    for _, pairs, _ in _pd1998_paragraphs(path, bad):
        yield pairs


def read_pd1998(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """People's Daily 1998 as segmentation: words only."""
    for pairs in read_pd1998_tagged(path, bad):
        yield [word for word, _ in pairs]


def read_pd1998_documents(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[str]:
    """The document (article) id of each paragraph `read_pd1998` yields, in the same order.

    `19980101-01-001-002/m` is paragraph 2 of article 19980101-01-001; cross-validation keeps an
    article's paragraphs in one fold.
    """
    for article, _, _ in _pd1998_paragraphs(path, bad):
        yield article


def _slash_lines(path, bad: BadLines | None) -> Iterator[tuple[int, Tagged]]:
    """(line number, (word, tag) pairs) of each non-blank `word/tag` line."""
    for number, line in corpus_lines(path, bad):
        tokens = line.split() if line is not None else None
        if not tokens:
            continue
        try:
            if not _is_slash_line(line, tokens):
                for token in tokens:
                    _check_slash_token(token)
        except ValueError as err:
            _fail(CorpusError(path, number, str(err)), bad)
            continue
        yield number, [token.rpartition("/")[::2] for token in tokens]


def _is_slash_line(line: str, tokens: list[str]) -> bool:
    """Is every token `word/tag` (and none a PD 1998 id)? One regular expression over the line."""
    return (SLASH_LINE.fullmatch(line, len(line) - len(line.lstrip())) is not None
            and not (tokens[0][0].isdigit() and PD_ID.match(tokens[0])))


def _check_slash_token(token: str) -> None:
    """Raise ValueError saying why a token of a `word/tag` file is not `word/tag`."""
    if PD_ID.match(token) or (SLASH_TOKEN.match(token) is None and PD_TOKEN.match(token)):
        raise ValueError(f"{token!r} is PD 1998 (a paragraph id or a [compound]) in a word/tag file; "
                         "for PD 1998 give --format pd1998")
    if SLASH_TOKEN.match(token) is None:
        raise ValueError(f"malformed token {token!r}: expected word/tag")


def _parse_pd1998_ner_line(line: str) -> Labeled | None:
    """(characters, entity spans) of one PD 1998 line (its id optional); None for one without words."""
    tokens = line.split()
    compounds: list = []
    pairs = _parse_pd1998_tokens(line, tokens[1:] if tokens and PD_ID.match(tokens[0]) else tokens, compounds)
    return pd1998_entities(pairs, compounds) if pairs else None


def read_pd1998_ner(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Labeled]:
    """People's Daily 1998's own tags as entity spans (nr PER, ns LOC, nt ORG, t TIME; the rules
    are in tagger/pdner.py), one paragraph each, as `read_pd1998` yields them."""
    for _, pairs, compounds in _pd1998_paragraphs(path, bad):
        yield pd1998_entities(pairs, compounds)


def read_slash_tagged(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Tagged]:
    """`word/tag` tokens (MSRA NER); the tag is after the last '/', so words may hold '/'."""
    for _, pairs in _slash_lines(path, bad):
        yield pairs


def read_msra(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """MSRA NER text used as segmentation: its words are MSR-standard words."""
    for pairs in read_slash_tagged(path, bad):
        yield [word for word, _ in pairs]


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
            _fail(CorpusError(path, number, str(err)), bad)
            broken = True
            continue
        if fields is not None:
            sentence.append(fields)
    if sentence and not broken:
        yield sentence


def read_conll_words(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Words]:
    """CoNLL-X / CoNLL-U as segmentation: the FORM column (2nd) of each token."""
    for rows in _row_sentences(path, _ConllRows(), bad):
        yield [row[1] for row in rows]


def sniff_format(path: str | os.PathLike) -> str:
    """The one format of a file, settled from its first `SNIFF_LINES` non-blank lines (for
    `--format auto`; see `settle_format`; `#` comments and -DOCSTART- say nothing); the readers
    then hold every line to it."""
    lines: list[str] = []
    first = None
    text = pending_blank = blank_between = False
    for number, line in read_lines(path, max_bytes=CORPUS_LINE_BYTES, advice=_CORPUS_ENCODING):
        text = text or bool(line.strip())
        if not line.strip():
            pending_blank = bool(lines)
            continue
        if kind_of_line(line) is None:
            continue
        blank_between = blank_between or pending_blank
        first = first or number
        lines.append(line)
        if len(lines) >= SNIFF_LINES:
            break
    if not text:
        raise CorpusError(path, None, "no text: the file is empty or holds only blank lines")
    fmt = settle_format(lines, blank_between)
    if fmt == "table":
        raise CorpusError(path, first, table_message(lines))
    return fmt


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


def read_columns(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[tuple[list[str], list[str]]]:
    """`unit ... TAG` column files as (units, tags) per sentence: Resume NER's `char TAG`,
    CoNLL-2003's `token POS chunk NER` (IOB1, BIO, BIOES, typed BMES)."""
    for rows in _row_sentences(path, _ColumnRows(), bad):
        yield [row[0] for row in rows], [row[-1] for row in rows]


read_column_tags = read_columns  # the name tests and older code use


def read_conll_pos(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Tagged]:
    """CoNLL-X / CoNLL-U as (FORM, UPOS) pairs (columns 2 and 4)."""
    for rows in _row_sentences(path, _ConllRows(pos=True), bad):
        yield [(row[1], row[3]) for row in rows]


MSRA_ENTITIES = {"nr": "PER", "ns": "LOC", "nt": "ORG"}  # and o: outside
_MSRA_TAGS = {tag: MSRA_ENTITIES.get(tag.lower()) for tag in ("o", "O", *MSRA_ENTITIES, *map(str.upper, MSRA_ENTITIES))}


def read_msra_ner(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Labeled]:
    """MSRA NER `word/tag` lines as characters and entity spans (nr PER, ns LOC, nt ORG); any
    other tag than these and `o` is an error, as it would silently be read as outside."""
    for number, pairs in _slash_lines(path, bad):
        unknown = next((f"{word}/{tag}" for word, tag in pairs if tag not in _MSRA_TAGS), None)
        if unknown:
            _fail(CorpusError(path, number, f"unknown tag in {unknown!r}: MSRA NER tags are o, nr, ns and nt"), bad)
            continue
        chars: list[str] = []
        spans = []
        for word, tag in pairs:
            start = len(chars)
            chars.extend(word)
            kind = _MSRA_TAGS[tag]
            if kind:
                spans.append((start, len(chars), kind))
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
