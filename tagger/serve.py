"""`tagger serve`: segmentation, tagging and explanations over HTTP, with a page at `/`.

    pip install "tagger[serve]"
    tagger serve --port 8000
    curl -s localhost:8000/segment -H 'content-type: application/json' \\
         -d '{"texts": ["我们在北京大学研究生命的起源。"]}'

Built on FastAPI (OpenAPI description at /openapi.json) and uvicorn. The models are loaded once,
when the app is made. One worker thread runs them for every segment and tag request: requests
that arrive while it is busy wait in a queue and are segmented together in the next call, so a
loaded server runs wide, length-grouped batches (several times the throughput of one text at
a time) while an idle one adds no wait. Explanations run in the request threads beside it (a
loaded model can be used from many threads).

Every bad request gets a 4xx status and a JSON body {"error": "one line saying what was wrong"}:
invalid JSON, an empty body, a text that is not a string, an unknown standard, or a body,
text count or text length over the limits (413).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import threading
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Annotated, Any, Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from starlette.exceptions import HTTPException

from . import __version__
from .errors import TaggerError

WHITESPACE_FLAG = "x"  # a whitespace run's tag in POS output, as in tagger.posseg
FASTAPI_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's detail for a body json.loads refused


@dataclass(frozen=True)
class Limits:
    """What one request may hold; beyond it the answer is 413 with the limit named."""
    body_bytes: int = 1_000_000
    texts: int = 1_000
    chars: int = 10_000          # per text
    explain_chars: int = 1_000   # explain recomputes the LSTM step by step, in Python
    batch_chars: int = 50_000    # characters the worker takes from the queue for one model call


class RequestError(Exception):
    """A bad request: its status and one line for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# -- request bodies ---------------------------------------------------------------------
StandardName = Annotated[StrictStr, Field(max_length=64)]


class TextsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[StrictStr]
    standard: StandardName | None = None


class SegmentRequest(TextsRequest):
    pos: StrictBool = False


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr
    standard: StandardName | None = None
    pos: StrictBool = False


# -- batching ----------------------------------------------------------------------------
@dataclass
class Job:
    run: Callable[[Sequence[str], str | None], list]  # a Tagger's segment_lines or label_lines
    standard: str | None
    texts: list[str]
    future: concurrent.futures.Future


class Batcher:
    """Runs the model calls of all requests in one thread, the jobs queued meanwhile together.

    Why one thread: the model's batches are length-grouped, so one call over many requests'
    texts runs wider, fuller batches than one call each. The worker never waits for more work:
    it takes what is queued when it is free, up to `batch_chars` characters."""

    def __init__(self, batch_chars: int):
        self.batch_chars = batch_chars
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._work, name="tagger-batcher", daemon=True)
        self.thread.start()

    def submit(self, run, texts: list[str], standard: str | None) -> concurrent.futures.Future:
        job = Job(run, standard, texts, concurrent.futures.Future())
        self.jobs.put(job)
        return job.future

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=10)

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            batch, chars = [job], sum(map(len, job.texts))
            while chars < self.batch_chars:
                try:
                    job = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._run(batch)
                    return
                batch.append(job)
                chars += sum(map(len, job.texts))
            self._run(batch)

    def _run(self, batch: list[Job]) -> None:
        groups: dict[tuple, list[Job]] = {}
        for job in batch:
            groups.setdefault((job.run, job.standard), []).append(job)
        for (run, standard), jobs in groups.items():
            try:
                outputs = run([text for job in jobs for text in job.texts], standard)
            except Exception as error:  # noqa: BLE001 (handed to the requests that caused it)
                if len(jobs) == 1:
                    jobs[0].future.set_exception(error)
                else:  # find the job at fault; the others still get their answers
                    for job in jobs:
                        self._run([job])
                continue
            at = 0
            for job in jobs:
                job.future.set_result(outputs[at:at + len(job.texts)])
                at += len(job.texts)


# -- the app -----------------------------------------------------------------------------
class Models:
    """The loaded models: the served one, and a joint segmentation + POS model for `pos`."""

    def __init__(self, model, pos_model, threads: int | None):
        from . import POS_MODEL
        self.main, self.main_name = _loaded(model, threads)
        if self.main.task.name == "pos":
            self.pos, self.pos_name = self.main, self.main_name
        elif pos_model is False:
            self.pos, self.pos_name = None, None
        else:
            self.pos, self.pos_name = _loaded(POS_MODEL if pos_model is None else pos_model, threads)
            if self.pos.task.name != "pos":
                raise TaggerError(f"{self.pos_name}: a {self.pos.task.name} model; --pos-model needs a "
                                  "joint segmentation + POS model (train one with --task pos)")

    @property
    def segments(self) -> bool:
        return self.main.task.segments and self.main.units == "chars"


def _loaded(model, threads: int | None):
    """(Tagger, name) of a model file path (None: the shipped model) or a loaded Tagger."""
    from . import DEFAULT_MODEL, load
    from .pipeline import Tagger
    if isinstance(model, Tagger):
        return model, "(in memory)"
    return load(model, threads=threads), os.path.basename(str(DEFAULT_MODEL if model is None else model))


def create_app(model: str | os.PathLike | Any = None, pos_model: str | os.PathLike | Any = None,
               limits: Limits = Limits(), threads: int | None = None) -> FastAPI:
    """The service over `model` (a model file, a loaded Tagger, or None for the shipped
    model) and `pos_model` for `pos` requests (None: the shipped POS model; False: none; a POS
    `model` serves them itself). Both are loaded here, once."""
    models = Models(model, pos_model, threads)
    batcher_box: dict[str, Batcher] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        batcher_box["batcher"] = Batcher(limits.batch_chars)
        yield
        batcher_box.pop("batcher").close()

    app = FastAPI(title="tagger", version=__version__, lifespan=lifespan,
                  description="Chinese word segmentation, POS tagging and NER with a BiLSTM tagger.")
    run_segment = _runner(models.main.segment_lines)
    run_tag = _runner(models.main.label_lines)
    run_pos = _runner(models.pos.label_lines) if models.pos is not None else None
    app.state.models = models
    app.state.limits = limits
    app.add_middleware(BodyLimit, max_bytes=limits.body_bytes)
    _add_error_handlers(app)

    async def batched(run, texts: list[str], standard: str | None) -> list:
        batcher = batcher_box.get("batcher")
        if batcher is None:  # the app runs without its lifespan (a test client used bare)
            return run(texts, standard)
        return await asyncio.wrap_future(batcher.submit(run, texts, standard))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(resources.files("tagger").joinpath("web/index.html").read_text(encoding="utf-8"))

    @app.get("/health", summary="Status, the served models and the limits")
    def health() -> dict:
        main = models.main
        return {"status": "ok", "version": __version__, "model": models.main_name, "task": main.task.name,
                "segments": models.segments, "tags": list(main.tags), "standards": list(main.standards),
                "default_standard": main.encoder.default_standard, "pos_model": models.pos_name,
                "limits": asdict(limits)}

    @app.post("/segment", summary="Words of each text (with POS tags when pos is true)")
    async def segment(body: SegmentRequest) -> dict:
        _check_texts(body.texts, limits)
        if body.pos:
            if run_pos is None:
                raise RequestError(400, "this server has no POS model (start it with --pos-model)")
            models.pos.encoder.standard_of(body.standard)
            spans = await batched(run_pos, body.texts, body.standard)
            return _pos_output(body.texts, spans, models.pos.user_dict)
        if not models.segments:
            raise RequestError(400, f"the served model is a {models.main.task.name} model; it does not "
                                    "segment (use /tag)")
        models.main.encoder.standard_of(body.standard)
        return {"words": await batched(run_segment, body.texts, body.standard)}

    @app.post("/tag", summary="Labeled spans of each text: entities (ner), words and POS (pos), words (seg)")
    async def tag(body: TextsRequest) -> dict:
        _check_texts(body.texts, limits)
        models.main.encoder.standard_of(body.standard)
        spans = await batched(run_tag, body.texts, body.standard)
        return {"spans": [[{"text": text[s:e], "start": s, "end": e, "label": label} for s, e, label in line]
                          for text, line in zip(body.texts, spans)]}

    @app.post("/explain", summary="Tag probabilities at every character of one text (of the POS model with pos)")
    def explain(body: ExplainRequest) -> dict:
        from .explain import explain as explain_text
        if not body.text.strip():
            raise RequestError(422, "text: nothing to explain, the text is empty or only whitespace")
        if len(body.text) > limits.explain_chars:
            raise RequestError(413, f"text: {len(body.text)} characters; explain takes at most "
                                    f"{limits.explain_chars}")
        if body.pos and models.pos is None:
            raise RequestError(400, "this server has no POS model (start it with --pos-model)")
        result = explain_text(models.pos if body.pos else models.main, body.text, body.standard)
        return {"text": result["text"], "tags": result["tags"], "words": result["words"],
                "tag_names": result["tag_names"],
                "probs": [[round(p, 4) for p in row] for row in result["probs"].tolist()]}

    return app


def _runner(method: Callable) -> Callable:
    """A Tagger method as the batcher calls it: (texts, standard) -> one result per text."""
    return lambda texts, standard: method(texts, standard=standard)


def _check_texts(texts: list[str], limits: Limits) -> None:
    if len(texts) > limits.texts:
        raise RequestError(413, f"texts: {len(texts)} texts; a request takes at most {limits.texts}")
    for number, text in enumerate(texts):
        if len(text) > limits.chars:
            raise RequestError(413, f"texts.{number}: {len(text)} characters; a text takes at most {limits.chars}")


def _pos_output(texts: list[str], spans: list, user_dict) -> dict:
    """Words and their tags (whitespace runs tagged "x", user words' own tags first)."""
    from .posseg import pieces
    words, tags = [], []
    for text, line in zip(texts, spans):
        pairs = list(pieces(text, line))
        words.append([piece for piece, _ in pairs])
        tags.append([WHITESPACE_FLAG if label is None else user_dict.tag(piece) or label for piece, label in pairs])
    return {"words": words, "tags": tags}


# -- errors ------------------------------------------------------------------------------
MAX_MESSAGE = 300  # characters of an error message: it may quote the client's input


def _error(status: int, message: str, **extra) -> JSONResponse:
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 1] + "…"
    return JSONResponse({"error": message, **extra}, status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def request_error(request: Request, error: RequestError) -> JSONResponse:
        return _error(error.status, error.message)

    @app.exception_handler(TaggerError)
    async def tagger_error(request: Request, error: TaggerError) -> JSONResponse:
        return _error(400, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        status, message = validation_message(error.errors())
        detail = [{"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", "")),
                   "type": str(item.get("type", ""))} for item in error.errors()]  # the input is not echoed
        return _error(status, message, detail=detail)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400 and error.detail == FASTAPI_PARSE_ERROR:  # what it says when json.loads fails
            return _error(400, "invalid JSON: the body could not be read (not UTF-8, or nested too deeply)")
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> JSONResponse:
        return _error(500, f"internal error ({type(error).__name__}); this is a bug in tagger")


def validation_message(errors: Sequence[dict]) -> tuple[int, str]:
    """(status, one line) for pydantic's errors: 400 for a body that is empty or not JSON, 415
    for a body sent as another content type, 422 for JSON of the wrong shape, naming the first
    field at fault."""
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    if first.get("type") == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "")
        return 400, f"invalid JSON{': ' + reason if reason else ''}"
    if first.get("type") == "missing" and not where:
        return 400, 'empty body: send a JSON object, such as {"texts": ["..."]}'
    value = first.get("input")
    if isinstance(value, (bytes, bytearray)) and not where:  # FastAPI reads a non-JSON content type as bytes
        return 415, "the body must be JSON, sent with the header content-type: application/json"
    got = f", got {_json_type(value)}" if first.get("type") in ("string_type", "bool_type", "list_type",
                                                                  "model_attributes_type", "dict_type") else ""
    return 422, f"{where or 'body'}: {first.get('msg', 'invalid')}{got}"


def _json_type(value) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
             dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 before the app parses it, read
    no further than the limit (a stated Content-Length over it is refused unread)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stated = dict(scope.get("headers") or []).get(b"content-length")
        if stated is not None and (not stated.isdigit() or int(stated) > self.max_bytes):
            await self._refuse(send, stated)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(send, None)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, send, stated: bytes | None) -> None:
        if stated is not None and not stated.isdigit():
            response = _error(400, "bad Content-Length header")
        else:
            size = f"{int(stated)} bytes" if stated is not None else "over the limit"
            response = _error(413, f"request body {size}; the limit is {self.max_bytes} bytes")
        await response({"type": "http"}, _nothing, send)


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


def serve(model=None, pos_model=None, host: str = "127.0.0.1", port: int = 8000,
          limits: Limits = Limits(), threads: int | None = None, log_level: str = "info") -> None:
    """Load the models and serve until interrupted (what `tagger serve` runs)."""
    import uvicorn
    app = create_app(model, pos_model, limits, threads)
    uvicorn.run(app, host=host, port=port, log_level=log_level, limit_concurrency=None)
