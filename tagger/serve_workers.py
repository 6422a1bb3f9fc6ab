"""`tagger serve --workers N`: N server processes answering on one listening socket.

Why processes: a request's Python work (HTTP parsing, JSON, validation, encoding, decoding,
assembling words) holds the interpreter's lock, so a second thread in one process adds little;
N processes each run their own event loop and model worker, and the kernel hands each new
connection to one of them. The models are loaded once, before the fork, and shared
copy-on-write (they are loaded on the numpy engine, which starts no threads); each process
then builds what it needs itself, after the fork: its batching thread, and the torch network
where one is faster (serve.py's lifespan).

The parent only supervises: a worker that dies is started again from the loaded models (one
that dies within STARTUP_SECONDS of its start stops the whole service with a one-line error,
as it would die again); SIGTERM, SIGHUP or Ctrl-C stops every worker gracefully, and the
workers ask the kernel to kill them if the parent dies (tagger/parallel.py's die_with_parent).
"""
from __future__ import annotations

import os
import signal
import socket
import time

from .errors import TaggerError

STARTUP_SECONDS = 5.0  # a worker that dies sooner than this after its start stops the service
STOP_SECONDS = 15.0    # how long stopping workers get before they are killed
POLL_SECONDS = 0.2


def check_address(host: str, port: int) -> None:
    """A one-line error now if `host:port` cannot be listened on (in use, not this machine's, no
    permission), rather than uvicorn's log line after the models have loaded."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            raise TaggerError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def run_workers(config, workers: int) -> None:
    """Serve uvicorn `config` from `workers` forked processes until a stop signal."""
    import uvicorn
    sock = config.bind_socket()
    parent = os.getpid()
    started: dict[int, float] = {}

    def start_one() -> None:
        pid = os.fork()
        if pid == 0:  # the worker: serve until told to stop, never return into the parent's code
            status = 1
            try:
                from .parallel import die_with_parent
                die_with_parent(parent)
                for stop in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                    signal.signal(stop, signal.SIG_DFL)
                uvicorn.Server(config).run(sockets=[sock])
                status = 0
            finally:
                os._exit(status)
        started[pid] = time.monotonic()

    stopping = []

    def stop(signum, _frame) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        for _ in range(workers):
            start_one()
        while not stopping:  # polled: a blocking wait would be resumed after the signal handler
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0 or pid not in started:
                time.sleep(POLL_SECONDS)
                continue
            lived = time.monotonic() - started.pop(pid)
            if lived < STARTUP_SECONDS:
                raise TaggerError(f"a server worker process exited {_how(status)} {lived:.1f} s after it started")
            start_one()
    finally:
        _stop_all(list(started))
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sock.close()


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"on signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"with status {os.WEXITSTATUS(status)}"


def _stop_all(pids: list[int]) -> None:
    """SIGTERM (uvicorn finishes the requests in flight), then SIGKILL after STOP_SECONDS."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                alive.discard(pid)
        time.sleep(0.05)
    for pid in alive:
        _signal(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
