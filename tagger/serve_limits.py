"""What keeps `tagger serve` from being stalled: limits, timeouts and the guards that apply them.

The endpoints (tagger/serve.py) see only requests that passed these: a Host on the allow-list
(a web page elsewhere cannot reach a local service by DNS rebinding), a body read within its
byte and time limits, and room in the model's queue. Every refusal is a JSON error
{"error": "..."}, rendered so that no text, not even a lone surrogate, can make it fail.

- headers: `header_seconds` to send a request's headers, from the connection's start or the end
  of the previous response; `header_bytes` of them at most (h11's limit);
- body: `body_bytes` at most (413; a larger one is read on to its end, up to `DRAIN_BYTES`, so
  the client reads the 413 instead of a reset), all of it within `body_seconds` (408);
- an idle keep-alive connection is closed after `keep_alive_seconds`;
- the model's queue holds at most `queue_chars` characters; a request beyond that gets 503 with
  `Retry-After` (`explain_jobs` explanations at once, likewise).
"""
from __future__ import annotations

import asyncio
import json
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

from starlette.responses import JSONResponse

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
DRAIN_BYTES = 16_000_000  # an over-limit body is read (and dropped) this far, so its 413 arrives
MAX_MESSAGE = 300  # characters of an error message: it may quote the client's input


@dataclass(frozen=True)
class Limits:
    """What one request may hold and how long it may take; beyond it the answer names the limit."""
    body_bytes: int = 1_000_000
    texts: int = 1_000
    chars: int = 10_000          # per text
    explain_chars: int = 1_000   # explain recomputes the LSTM step by step, in Python
    batch_chars: int = 50_000    # characters the worker takes from the queue for one model call
    queue_chars: int = 1_000_000  # characters waiting for the model; a request beyond it gets 503
    explain_jobs: int = 4        # /explain requests at once; one more gets 503
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    keep_alive_seconds: float = 5.0
    header_bytes: int = 16_384
    error_seconds: float = 0.1   # a 4xx answer leaves this long after it is ready (ErrorPacing)


class RequestError(Exception):
    """A bad request (or a busy server): its status, one line for the client, and headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class SafeJSONResponse(JSONResponse):
    """JSON that always renders: a lone surrogate (which UTF-8 cannot encode) is written as its
    JSON escape `\\udXXX`, so a text quoted back in an answer cannot turn it into a 500."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace")


def error_response(status: int, message: str, headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    """{"error": message, ...extra} with `status`; the message cut to MAX_MESSAGE characters."""
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 1] + "…"
    return SafeJSONResponse({"error": message, **extra}, status_code=status, headers=headers)


# -- the model's queue -------------------------------------------------------------------
class Backlog:
    """Work admitted and not yet answered, in some unit (characters, requests). A request that
    would take it over `limit` is refused with 503, unless nothing is admitted: one request
    larger than the limit still runs when the server is idle."""

    def __init__(self, limit: int, what: str):
        self.limit = limit
        self.what = what
        self.admitted = 0
        self.lock = threading.Lock()

    @contextmanager
    def admit(self, cost: int, retry_after: int = 1) -> Iterator[None]:
        with self.lock:
            if self.admitted and self.admitted + cost > self.limit:
                raise RequestError(503, f"busy: {self.admitted} {self.what} are waiting (at most {self.limit}); "
                                        f"retry after {retry_after} s", {"Retry-After": str(retry_after)})
            self.admitted += cost
        try:
            yield
        finally:
            with self.lock:
                self.admitted -= cost


def retry_seconds(waiting: float, per_second: float | None) -> int:
    """Seconds until `waiting` units of work are done at `per_second`, 1 to 60 (1 if unknown)."""
    if not per_second:
        return 1
    return max(1, min(60, math.ceil(waiting / per_second)))


# -- the Host allow-list -----------------------------------------------------------------
def host_name(header: bytes) -> str:
    """The name of a Host header, without its port ("[::1]:8000" -> "::1"), lower case."""
    value = header.decode("latin-1").strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    name, colon, port = value.rpartition(":")
    return name if colon and port.isdigit() and ":" not in name else value


class HostCheck:
    """ASGI middleware: a request whose Host is not in `allowed` gets 421 ("*" allows any).
    Why: a browser page from another site can reach a service on localhost through a DNS name
    it points at 127.0.0.1 (DNS rebinding); its requests then carry that name as their Host."""

    def __init__(self, app, allowed: Iterable[str]):
        self.app = app
        self.allowed = {name.lower().strip("[]") for name in allowed}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and "*" not in self.allowed:
            header = dict(scope.get("headers") or []).get(b"host")
            name = host_name(header) if header is not None else None
            if name not in self.allowed:
                message = ("no Host header" if name is None else
                           f"Host {name!r} is not served here (start the server with --allow-host {name} to serve it)")
                await error_response(421, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ErrorPacing:
    """ASGI middleware: a 4xx answer leaves `seconds` after it is ready.

    Why: every bad request costs the server its reading and parsing (a 650 KB body of 50,000
    unknown fields took 10 ms), and a client that sends them in a loop would take the cores from
    well-formed requests. Paced, such a client gets about one answer per `seconds` on each
    connection; one who made a single mistake hardly notices. The wait is an asyncio sleep: it
    holds no thread, and other requests go on meanwhile."""

    def __init__(self, app, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return

        async def paced(message) -> None:
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                await asyncio.sleep(self.seconds)
            await send(message)
        await self.app(scope, receive, paced)


# -- the body ----------------------------------------------------------------------------
class BodyReader:
    """ASGI middleware: reads the whole request body within the limits before the app sees it.

    Over `body_bytes` (stated or counted): 413, after the rest is read and dropped (up to
    DRAIN_BYTES; a client that sends its whole body before reading the answer would otherwise
    meet a reset). Not all read within `body_seconds`: 408. Both close the connection."""

    def __init__(self, app, max_bytes: int, seconds: float):
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        stated = headers.get(b"content-length")
        if stated is not None and not stated.isdigit():
            await self._answer(scope, send, error_response(400, "bad Content-Length header"))
            return
        too_large = stated is not None and int(stated) > self.max_bytes
        if too_large and (int(stated) > DRAIN_BYTES or b"expect" in headers):  # refused unread
            await self._answer(scope, send, self._too_large(stated))
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
            except asyncio.TimeoutError:
                await self._answer(scope, send, error_response(
                    408, f"the request body was not all sent within {self.seconds:g} s"))
                return
            if message["type"] != "http.request":
                return  # the client went away
            size += len(message.get("body", b""))
            if size <= self.max_bytes:
                chunks.append(message.get("body", b""))
            else:
                too_large, chunks = True, []
            if not message.get("more_body", False) or size > DRAIN_BYTES:
                break
        if too_large or size > self.max_bytes:
            await self._answer(scope, send, self._too_large(stated))
            return
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    def _too_large(self, stated: bytes | None) -> JSONResponse:
        size = f"{int(stated)} bytes" if stated is not None else "over the limit"
        return error_response(413, f"request body {size}; the limit is {self.max_bytes} bytes")

    @staticmethod
    async def _answer(scope, send, response: JSONResponse) -> None:
        response.headers["connection"] = "close"
        await response(scope, _nothing, send)


async def _nothing() -> dict:
    return {"type": "http.disconnect"}


def _replay(body: bytes, receive):
    """An ASGI receive that gives the body read already, then waits on the real one."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


async def client_gone(receive) -> None:
    """Returns when the client of a request whose body has been read disconnects."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        await asyncio.sleep(0.05)  # not expected once the body is read; never spin on it


# -- the connection ----------------------------------------------------------------------
def protocol_class(header_seconds: float):
    """uvicorn's h11 protocol with a deadline for each request's headers.

    uvicorn times out an idle keep-alive connection only after a response, and any byte resets
    that timer: a client that connects and sends nothing, or a header a byte at a time, holds its
    connection for ever. Here the headers must be complete within `header_seconds` of the
    connection's start (or of the previous response's end), however they trickle in."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadlineProtocol(H11Protocol):
        header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            self._arm()
            super().on_response_complete()

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self.header_timer = self.loop.call_later(header_seconds, self._late)

        def _disarm(self) -> None:
            if self.header_timer is not None:
                self.header_timer.cancel()
                self.header_timer = None

        def _late(self) -> None:
            self.header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadlineProtocol


def server_config(app, host: str, port: int, limits: Limits, log_level: str = "info"):
    """uvicorn's configuration for `app` under `limits` (what `tagger serve` and its tests run)."""
    import uvicorn
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, http=protocol_class(limits.header_seconds),
                          timeout_keep_alive=limits.keep_alive_seconds,  # type: ignore[arg-type]
                          h11_max_incomplete_event_size=limits.header_bytes, limit_concurrency=None)
