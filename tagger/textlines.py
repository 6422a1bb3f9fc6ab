"""Text files a line at a time: each line decoded on its own, so an encoding error names its line
and byte offset; LF and CRLF line ends (mixed, too) and a UTF-8 byte-order mark at the start of
the file; `-` is stdin.

Corpus lines are held to more (`corpus_lines`): UTF-8, at most `CORPUS_LINE_BYTES`, and text (no
control character, NUL, CR or byte-order mark inside). A line that fails raises `CorpusError`
naming the file and the line, or, with a `BadLines` (`--skip-bad-lines`), is recorded and given
as None. The corpus formats are read from these lines in tagger/readers.py and
tagger/rowreaders.py; raw text to label is read by `read_raw`.
"""
from __future__ import annotations

import functools
import os
import sys
from typing import Iterator, Optional

from .errors import CorpusError, TaggerError
from .files import is_wide, text_encoding, wide_lines
from .lineformats import bad_character

CORPUS_LINE_BYTES = 1 << 20  # the longest corpus line read (the named corpora's longest: 12 KB)
CORPUS_ENCODING_ADVICE = "corpora are read as UTF-8: convert a UTF-16 or GB18030 file first (iconv -t UTF-8)"


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


def reject(error: CorpusError, bad: BadLines | None) -> None:
    """Raise `error`, or record it in `bad` when malformed lines are skipped."""
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
                reject(CorpusError(name, number, f"longer than {max_bytes} bytes: not one sentence a line "
                                                "(CR-only line ends, or not a text file?)"), bad)
                yield number, None
                continue
            if number == 1 and utf8 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode(encoding, errors)
            except UnicodeDecodeError as err:
                reject(CorpusError(name, number, f"not valid {encoding.upper()} (byte {err.start} of the line, "
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
    for number, line in read_lines(path, bad=bad, max_bytes=CORPUS_LINE_BYTES, advice=CORPUS_ENCODING_ADVICE):
        if line is not None and not line.isprintable():  # printable: the fast, common case
            problem = bad_character(line)
            if problem:
                reject(CorpusError(path, number, problem), bad)
                line = None
        yield number, line


def read_raw(path: str | os.PathLike, encoding: str = "utf-8", errors: str = "strict") -> Iterator[str]:
    """Each line as it is (without its line end), blank lines included, for segmentation."""
    for _, line in read_lines(path, encoding, errors):
        yield line
