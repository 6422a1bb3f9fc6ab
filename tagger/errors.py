"""Errors a user can cause (bad file, bad option), kept apart from bugs.

The CLI prints a `TaggerError` as one line and exits with status 1; any other exception is a
bug in tagger and keeps its traceback.
"""
from __future__ import annotations

import os

DISTRIBUTION = "tagger-zh"  # the name to pip install (PyPI's `tagger` is an unrelated package); it imports as tagger


def install_hint(extra: str) -> str:
    """How to install an optional part (an extra of setup.cfg), for error messages."""
    return f'pip install "{DISTRIBUTION}[{extra}]"'


class TaggerError(Exception):
    """A user mistake with a one-line explanation."""


class CorpusError(TaggerError):
    """A problem in an input file, located by path and 1-based line number."""

    def __init__(self, path: str | os.PathLike, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class EmptyDevError(TaggerError):
    """No dev sentences to select on (the CLI adds how a carved dev split is made)."""


class ModelFileError(TaggerError):
    """A model file that is missing, corrupt, or from an incompatible version."""
