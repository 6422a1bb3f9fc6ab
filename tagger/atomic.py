"""Files written whole or not at all.

Every file tagger writes (models, checkpoints, segmented text, CSV and JSON results) goes to a
temporary file beside its target and is renamed into place, so a crash, a full disk or Ctrl-C
never leaves half a file where a user, or a table regenerated from results, would read it.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable, IO, Iterable

from .errors import TaggerError


def check_writable(path: str | os.PathLike) -> None:
    """Fail now, in one line, if `path` could not be written later: a training or cross-validation
    writes its results only after minutes or hours of work, so a mistyped output folder should not
    surface only then."""
    if Path(path).is_dir():
        raise TaggerError(f"{path}: is a directory; give a file name to write")
    directory = Path(path).parent  # Path("x").parent is Path("."): never empty
    if not directory.is_dir():
        raise TaggerError(f"{path}: cannot write here (no such directory: {directory})")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TaggerError(f"{path}: cannot write here (permission denied on {directory})")


def atomic_write_bytes(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> None:
    """Call write(file_object) on a temp file in the target directory, then rename it in place."""
    path = Path(path)
    check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise TaggerError(f"{path}: cannot write here ({err.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike, text_chunks: Iterable[str]) -> None:
    """Text chunks as UTF-8; the chunks may be a generator, so output is streamed, not joined."""
    def write(handle: IO[bytes]) -> None:
        for chunk in text_chunks:
            handle.write(chunk.encode("utf-8"))
    atomic_write_bytes(path, write)


def write_json(path: str | os.PathLike, data) -> None:
    """`data` as indented UTF-8 JSON with a final newline (result files that tables are
    regenerated from, and `tagger evaluate --json`)."""
    write_text_atomic(path, [json.dumps(data, indent=2, ensure_ascii=False) + "\n"])
