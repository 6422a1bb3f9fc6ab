"""Option types for argparse, so that a bad value is refused when the command line is parsed
(a usage error naming the option, exit status 2) rather than after a model has loaded or an
epoch has run: `--batch-lines 0` would otherwise write an empty output, `--lr nan` train a
model of NaNs, `--cv-table /bin/ls` fail inside pandas.

Every numeric option takes its type from `integer` or `real` with its range; every file option
from `input_file` or `model_file`; `--encoding` from `encoding`.
"""
from __future__ import annotations

import argparse
import math
import os
import stat
from typing import Callable

from .files import text_encoding

def _range_text(low, high, low_open: bool, high_open: bool) -> str:
    if high is None:
        return f"{'>' if low_open else '>='} {low}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def integer(low: int, high: int | None = None) -> Callable[[str], int]:
    """A whole number in [low, high] (no upper bound when high is None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {_range_text(low, high, False, False)}, not {value}")
        return value
    parse.__name__ = "integer"
    return parse


def integer_or_auto(low: int, high: int | None = None) -> Callable[[str], int | None]:
    """"auto" (None: the command decides) or a whole number in [low, high]."""
    number = integer(low, high)

    def parse(text: str) -> int | None:
        return None if text == "auto" else number(text)
    parse.__name__ = "integer or auto"
    return parse


def integer_list(low: int, high: int) -> Callable[[str], list[int]]:
    """Comma-separated whole numbers, each in [low, high], at least one."""
    number = integer(low, high)

    def parse(text: str) -> list[int]:
        items = [item.strip() for item in str(text).split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, not {text!r}")
        return [number(item) for item in items]
    parse.__name__ = "list of whole numbers"
    return parse


def entity_types(text: str) -> list[str]:
    """Comma-separated entity type names (PER,LOC,ORG), at least one; checked against the model
    once it is loaded (evaluate.check_types)."""
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected comma-separated entity types such as PER,LOC,ORG, not {text!r}")
    return items


def real(low: float, high: float | None = None, low_open: bool = False, high_open: bool = False) -> Callable[[str], float]:
    """A finite number between low and high, each end included unless `*_open`."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
        below = value <= low if low_open else value < low
        above = high is not None and (value >= high if high_open else value > high)
        if not math.isfinite(value) or below or above:
            raise argparse.ArgumentTypeError(f"must be a finite number {_range_text(low, high, low_open, high_open)}, "
                                             f"not {text}")
        return value
    parse.__name__ = "number"
    return parse


def _readable(path: str) -> os.stat_result:
    """The status of a file that exists, is not a directory, and can be read."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise argparse.ArgumentTypeError(f"{path}: no such file") from None
    except OSError as err:
        raise argparse.ArgumentTypeError(f"{path}: {err.strerror}") from None
    if stat.S_ISDIR(status.st_mode):
        raise argparse.ArgumentTypeError(f"{path}: is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{path}: permission denied")
    return status


def input_file(text: bool = False) -> Callable[[str], str]:
    """A file to read; `text`: its start must be text (no NUL byte, valid UTF-8 or another
    ASCII-compatible encoding), so a binary given by mistake is refused by name."""
    def parse(path: str) -> str:
        status = _readable(path)
        if text and stat.S_ISREG(status.st_mode):
            with open(path, "rb") as handle:
                if b"\0" in handle.read(8192):
                    raise argparse.ArgumentTypeError(f"{path}: not a text file")
        return path
    parse.__name__ = "file"
    return parse


def model_file(path: str) -> str:
    """A model file that can be read, or the name of a shipped model ("default", "fast", ...);
    whether its contents are a model is the loader's check (tagger/modelio.py)."""
    from .modelio import SHIPPED
    if path in SHIPPED and not os.path.exists(path):
        return path
    _readable(path)
    return path


def encoding(name: str) -> str:
    """A text encoding tagger can read files in (tagger/files.py: `text_encoding`)."""
    try:
        text_encoding(name)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return name
