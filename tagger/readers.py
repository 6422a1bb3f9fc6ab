"""Corpus readers: pure, streaming generators that yield one sentence at a time.

Every reader takes a path, reads it lazily line by line (tagger/textlines.py: LF and CRLF line
ends, a UTF-8 byte-order mark at the start, each line checked to be text) and raises
`CorpusError` naming the file and the line for anything it cannot read. Blank lines are skipped
(they separate articles or nothing; in the row formats, sentences).

Formats:
  segmented  words separated by any Unicode whitespace (SIGHAN, CTB6, Weibo)
  pd1998     People's Daily 1998: `id/m  word/pos ... [word/pos word/pos]nt`
  msra       MSRA NER `word/tag` tokens, used here for segmentation
  conll      CoNLL-X / CoNLL-U: FORM in column 2, one token a line, blank line between sentences
  columns    `unit ... TAG` lines (Resume NER's `char TAG`, CoNLL-2003), blank line between sentences
  raw        plain text, one line a sentence (textlines.read_raw)

This module reads the token formats (segmented, pd1998, msra), sniffs a file's format and
picks the reader a task needs; the row formats (conll, columns) are tagger/rowreaders.py's.

Reading is strict: a file has one format (given, or sniffed from its first lines), and every
line must be a line of it (tagger/lineformats.py says what each looks like): a line of another
format, a column count that changes, an unknown tag or a tag that cannot follow the one before,
a control character, NUL, a CR or a byte-order mark inside a line, or a line over
`CORPUS_LINE_BYTES` is a `file:line: what is wrong` error. So nothing is trained on a file that
was misread. With a `BadLines` (`--skip-bad-lines`) such lines are recorded and skipped
instead; in the row formats the whole sentence of a bad row is dropped, since a sentence
missing a row would misalign the rest.

Which readings a format has depends on the task (tagger/tasks.py): `read_items` gives words for
seg, (word, POS) pairs for pos, and (units, spans or tags) for ner.
"""
from __future__ import annotations

import os
from typing import Iterator, Optional

from .errors import CorpusError, TaggerError
from .lineformats import (PD_ID, PD_TOKEN, SLASH_LINE, SLASH_TOKEN, kind_of_line, segmented_line_problem, settle_format,
                          table_message)
from .pdner import pd1998_entities
from .rowreaders import read_columns, read_conll_pos, read_conll_words
from .textlines import CORPUS_ENCODING_ADVICE, CORPUS_LINE_BYTES, BadLines, corpus_lines, read_lines, reject

Words = list[str]
Tagged = list[tuple[str, str]]
Labeled = tuple[list[str], list[tuple[int, int, str]]]  # (units, entity spans)

FORMATS = ("segmented", "pd1998", "msra", "conll", "columns", "raw")
SNIFF_LINES = 20  # non-blank lines a format is sniffed from


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
                reject(CorpusError(path, number, problem), bad)
                words = None
        yield words


_SEGMENTED_SUSPECT_START = frozenset("0123456789-")  # a PD 1998 id, a CoNLL token id, -DOCSTART-


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
            reject(CorpusError(path, number, str(err)), bad)
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
            reject(CorpusError(path, number, str(err)), bad)
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


def sniff_format(path: str | os.PathLike) -> str:
    """The one format of a file, settled from its first `SNIFF_LINES` non-blank lines (for
    `--format auto`; see `settle_format`; `#` comments and -DOCSTART- say nothing); the readers
    then hold every line to it."""
    lines: list[str] = []
    first = None
    text = pending_blank = blank_between = False
    for number, line in read_lines(path, max_bytes=CORPUS_LINE_BYTES, advice=CORPUS_ENCODING_ADVICE):
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


MSRA_ENTITIES = {"nr": "PER", "ns": "LOC", "nt": "ORG"}  # and o: outside
_MSRA_TAGS = {tag: MSRA_ENTITIES.get(tag.lower()) for tag in ("o", "O", *MSRA_ENTITIES, *map(str.upper, MSRA_ENTITIES))}


def read_msra_ner(path: str | os.PathLike, bad: BadLines | None = None) -> Iterator[Labeled]:
    """MSRA NER `word/tag` lines as characters and entity spans (nr PER, ns LOC, nt ORG); any
    other tag than these and `o` is an error, as it would silently be read as outside."""
    for number, pairs in _slash_lines(path, bad):
        unknown = next((f"{word}/{tag}" for word, tag in pairs if tag not in _MSRA_TAGS), None)
        if unknown:
            reject(CorpusError(path, number, f"unknown tag in {unknown!r}: MSRA NER tags are o, nr, ns and nt"), bad)
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
