"""The file boundary: every file a command reads or writes passes through here.

Inputs are resolved before any work, to their device and inode (stdin's through `fstat`), so
that an output that is the same file as an input under any name (the path, a symlink, a hard
link, a shell redirection) is refused in one line before a model loads or a corpus trains.

Outputs are written whole or not at all. A regular file, or a new one, is written to a temp file
beside it (`.NAME.tagger-tmp-PID-XXXXXXXX`), flushed, fsynced and renamed into place, then its
directory is fsynced; an existing file keeps its mode. A symlink is written through: its target
is replaced and the link stays a link. A FIFO, a character device (`/dev/null`) or stdout is
written directly, never replaced. A full disk, a closed stdout or any other failed write is a
one-line `TaggerError` with the temp file removed; a broken pipe is left to the caller, which
exits quietly as Unix tools do. Temp files are removed on SIGTERM and SIGHUP too
(`install_signal_handlers`), and those a killed run left (its PID dead) by the next write there.

Encodings: what decodes line by line (ASCII-compatible: UTF-8, GB18030, Big5, Shift-JIS, ...)
is read a line at a time; UTF-16 and UTF-32, with or without a BOM, are decoded as whole
streams; anything else (`unicode_escape`, `idna`, `rot13`, ...) is refused (`text_encoding`).
"""
from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import signal
import stat
import sys
import tempfile
import warnings
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from .errors import CorpusError, TaggerError

TEMP_MARK = ".tagger-tmp-"  # in every temp file's name: .NAME.tagger-tmp-PID-XXXXXXXX
_live_temps: set[str] = set()  # temp files this process is writing, removed on SIGTERM/SIGHUP


# -- where an output may go -------------------------------------------------------------
def check_writable(path: str | os.PathLike) -> None:
    """Fail now, in one line, if `path` could not be written later: a training or cross-validation
    writes its results only after minutes or hours of work, so a mistyped output folder should not
    surface only then."""
    if str(path) != "-" and Path(path).is_dir():
        raise TaggerError(f"{path}: is a directory; give a file name to write")
    if str(path) == "-" or _kind(path) == "special":  # stdout, a FIFO, a device: written as they are
        return
    directory = Path(_through_link(path)).parent  # Path("x").parent is Path("."): never empty
    if not directory.is_dir():
        raise TaggerError(f"{path}: cannot write here (no such directory: {directory})")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TaggerError(f"{path}: cannot write here (permission denied on {directory})")


def _through_link(path: str | os.PathLike) -> str:
    """The file a write to `path` lands in: a symlink's final target, else `path` itself."""
    return os.path.realpath(path) if os.path.islink(path) else os.fspath(path)


def _kind(path: str | os.PathLike) -> str:
    """"new", "regular" or "special" (a FIFO, a device, a socket): how `path` is written."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "new"
    return "regular" if stat.S_ISREG(mode) else "special"


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of a regular file ("-": stdin's), None for anything else: only a
    regular file can be destroyed by writing over it."""
    try:
        status = os.fstat(0) if path == "-" else os.stat(path)
    except (OSError, ValueError):
        return None
    return (status.st_dev, status.st_ino) if stat.S_ISREG(status.st_mode) else None


def check_boundary(inputs: Iterable[str], outputs: Iterable[str], to_stdout: bool = False) -> None:
    """Refuse, before any work, an output that could not be written or that is the same file as
    an input by any name: path, symlink, hard link, or stdin/stdout redirected to it. `inputs`
    that do not exist are skipped (the command names them itself); "-" is stdin, and
    `to_stdout` says the command's output goes to stdout."""
    read: dict[tuple[int, int], str] = {}
    for path in inputs:
        identity = _identity(path)
        if identity is not None:
            read.setdefault(identity, "stdin" if path == "-" else path)
    for path in outputs:
        check_writable(path)
        source = read.get(_identity(path))  # type: ignore[arg-type]
        if source is not None:
            same = "" if source == path else " (stdin reads it)" if source == "stdin" else f" (the same file as {source})"
            raise TaggerError(f"{path}: refusing to overwrite the input file{same}")
    if to_stdout:
        try:
            status = os.fstat(1)
        except OSError:
            raise TaggerError("stdout is closed; give an output file with -o") from None
        source = read.get((status.st_dev, status.st_ino)) if stat.S_ISREG(status.st_mode) else None
        if source is not None:
            raise TaggerError(f"stdout is the input file {source}; refusing to write over it (use -o)")


# -- writing --------------------------------------------------------------------------
class _Sink:
    """A binary file object that remembers the OSError a write raised: torch and numpy wrap it
    in errors of their own ("unexpected pos ..."), and the user should read "No space left"."""

    def __init__(self, handle: IO[bytes]):
        self._handle = handle
        self.error: OSError | None = None

    def write(self, data) -> int:
        try:
            return self._handle.write(data)
        except OSError as err:
            self.error = self.error or err
            raise

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError as err:
            self.error = self.error or err
            raise

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


def _failure(place: str, sink: _Sink | None, error: BaseException) -> BaseException:
    """The exception a failed write raises: a BrokenPipeError as it is (the caller exits
    quietly), an OSError underneath anything as one line naming `place`, else `error`."""
    cause = (sink.error if sink is not None else None) or error
    if isinstance(cause, BrokenPipeError) or not isinstance(cause, OSError):
        return error
    return TaggerError(f"{place}: cannot write ({cause.strerror or cause})")


def atomic_write_bytes(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> None:
    """Call write(file_object) to make the file at `path` ("-": stdout), whole or not at all:
    see the module's docstring for regular files, symlinks, FIFOs, devices and stdout."""
    if str(path) == "-":
        return _write_stdout(write)
    check_writable(path)
    if _kind(path) == "special":  # through any links: -o /dev/stdout reaches the pipe itself
        return _write_direct(os.fspath(path), write)
    return _write_replacing(Path(_through_link(path)), write)


def _write_stdout(write: Callable[[IO[bytes]], object]) -> None:
    sink = _Sink(sys.stdout.buffer)
    try:
        sys.stdout.flush()  # what was printed before goes first
        write(sink)
        sink.flush()
    except BaseException as err:
        raise _failure("stdout", sink, err) from None


def _write_direct(path: str, write: Callable[[IO[bytes]], object]) -> None:
    """A FIFO or a device: opened and written as it is (a reader may be waiting on it)."""
    sink = None
    try:
        with open(path, "wb") as handle:  # O_TRUNC means nothing to a FIFO or a device
            sink = _Sink(handle)
            write(sink)
            sink.flush()
    except BaseException as err:
        raise _failure(path, sink, err) from None


def _write_replacing(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Temp file beside `path`, fsync, rename over it, fsync the directory."""
    remove_stale_temps(path)
    mode = _mode_for(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}{os.getpid()}-", dir=path.parent)
    except OSError as err:
        raise TaggerError(f"{path}: cannot write here ({err.strerror})") from None
    _live_temps.add(tmp)
    handle = os.fdopen(fd, "wb")
    sink = _Sink(handle)
    try:
        write(sink)
        sink.flush()
        os.fsync(fd)
        handle.close()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        _live_temps.discard(tmp)
        _fsync_directory(path.parent)
    except BaseException as err:
        with contextlib.suppress(OSError):
            handle.close()  # a second "no space" while closing is the same failure: not reported twice
        _discard(tmp)
        raise _failure(str(path), sink, err) from None


def _mode_for(path: Path) -> int:
    """An existing file's own permissions; a new file's as the umask allows (mkstemp makes 0600)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (some file systems refuse: that is not a failed write)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _discard(tmp: str) -> None:
    _live_temps.discard(tmp)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def discard_output(path: str | os.PathLike) -> None:
    """Remove a regular file this run wrote (the first of a pair whose second failed); a
    symlink, a FIFO or a device (`-o /dev/null`) is never removed."""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)


def remove_stale_temps(path: str | os.PathLike) -> int:
    """Remove the temp files of `path` that a killed run left (their PID no longer alive);
    the number removed. Another live run's temp file is left alone."""
    path = Path(path)
    prefix = f".{path.name}{TEMP_MARK}"
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            pid = entry.name[len(prefix):].split("-", 1)[0] if entry.name.startswith(prefix) else ""
            if pid.isdigit() and not _alive(int(pid)) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


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


# -- signals and the standard streams ---------------------------------------------------
class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds the stack (temp files removed on the way), then the
    caller ends the process by the same signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame) -> None:
    for tmp in list(_live_temps):
        _discard(tmp)
    raise Terminated(signum)


def install_signal_handlers() -> dict:
    """SIGTERM and SIGHUP remove this process's temp files and unwind; the handlers replaced
    (for `restore_signal_handlers`). Outside the main thread nothing is installed."""
    previous = {}
    with contextlib.suppress(ValueError):  # not the main thread
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, _on_signal)
    return previous


def restore_signal_handlers(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def die_by(signum: int) -> None:
    """End the process by `signum`, so that a parent sees how it ended."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def claim_standard_streams() -> set[int]:
    """The standard descriptors (0, 1, 2) that were closed (`>&-`); each is opened on /dev/null,
    so that no file opened later takes its number and receives what was meant for it."""
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
            os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)  # the lowest free number: fd
    if 1 in closed or sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)
    for stream in (sys.stdout, sys.stderr):  # PYTHONIOENCODING=latin-1: messages escaped, never a traceback
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    return closed


def finish_stdout() -> str | None:
    """Flush stdout at the end of a command: None, or why it failed (a full disk). Either way
    stdout is then /dev/null, so that the interpreter's own last flush has nothing to fail."""
    try:
        sys.stdout.flush()
        return None
    except BrokenPipeError:
        reason = None
    except OSError as err:
        reason = f"stdout: cannot write ({err.strerror or err})"
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return reason


# -- encodings --------------------------------------------------------------------------
_PROBE = b"\\u4e0a \\x41 +AGE- a.xn--fhq.b " + bytes(range(128))  # escapes, UTF-7, IDNA and every ASCII byte
WIDE = ("utf-16", "utf-32")


def text_encoding(name: str) -> str:
    """The codec name of `name` when it can read a text file correctly, else ValueError naming
    why: an ASCII-compatible encoding (decodes every ASCII byte as itself, whatever follows:
    read line by line), or UTF-16/UTF-32 (decoded as a whole stream). Escape codecs
    (unicode_escape), IDNA, UTF-7 and bytes-to-bytes codecs (hex, rot13) are refused."""
    try:
        codec = codecs.lookup(name).name
    except (LookupError, TypeError):
        raise ValueError(f"unknown encoding {name!r}") from None
    if codec.startswith(WIDE):
        return codec
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unicode_escape warns of "\]" before it is refused
            compatible = _PROBE.decode(codec) == _PROBE.decode("ascii")
    except (UnicodeError, LookupError, TypeError, ValueError):
        compatible = False
    if not compatible:
        raise ValueError(f"{name!r} is not an encoding tagger reads text in (ASCII-compatible ones such as "
                         "utf-8, gb18030, big5; or utf-16, utf-32)")
    return codec


def is_wide(codec: str) -> bool:
    """UTF-16 or UTF-32: a newline byte can sit inside a character, so lines are found after decoding."""
    return codec.startswith(WIDE)


def wide_lines(handle: IO[bytes], codec: str, errors: str, name: str) -> Iterator[tuple[int, str]]:
    """(line number, text with its line end) of a UTF-16/UTF-32 stream, decoded as a whole (a
    BOM read as the byte order, and dropped; "utf-16" without one is refused rather than
    guessed); a decoding error names the last line read whole before it."""
    stream = io.TextIOWrapper(handle, encoding=codec, errors=errors, newline="\n")
    number = 0
    try:
        for number, text in enumerate(stream, start=1):
            yield number, text[1:] if number == 1 and text.startswith("\ufeff") else text
    except UnicodeDecodeError:
        raise CorpusError(name, None, f"not valid {codec.upper()} after line {number} (decoded as a stream, "
                                      "a block at a time); try another --encoding (utf-16-le, utf-16-be, ...) "
                                      "or --errors replace") from None
    except UnicodeError:  # "utf-16"/"utf-32" read the byte order from a BOM, and there is none
        raise CorpusError(name, None, f"{codec.upper()} without a byte-order mark; say which order: "
                                      f"--encoding {codec}-le or {codec}-be") from None
    finally:
        stream.detach()  # the caller closes the file it opened (stdin stays open)
