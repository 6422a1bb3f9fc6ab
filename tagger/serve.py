"""`tagger serve`: segmentation, tagging and explanations over HTTP, with a page at `/`.

    pip install "tagger-zh[serve]"
    tagger serve --port 8000
    curl -s localhost:8000/segment -H 'content-type: application/json' \\
         -d '{"texts": ["我们在北京大学研究生命的起源。"]}'

Built on FastAPI (OpenAPI description at /openapi.json; no /docs page, which would load its
scripts from a CDN) and uvicorn, in one process or in several sharing the port
(tagger/serve_workers.py). The models are loaded once, when the app is made. One worker
thread runs them for every segment and tag request: requests that arrive while it is busy wait
in a queue and are segmented together in the next call, so a loaded server runs wide,
length-grouped batches (several times the throughput of one text at a time) while an idle one
adds no wait. A request is queued in parts of at most `batch_chars` characters, and the parts of
a client that has hung up are dropped. Explanations run in the request threads beside it (a
loaded model can be used from many threads).

Every bad request gets a 4xx status and a JSON body {"error": "one line saying what was wrong"}:
invalid JSON, an empty body, a text that is not a string or not valid Unicode (a lone
surrogate), an unknown standard, or a body, text count or text length over the limits (413).
What guards the server itself (Host allow-list, timeouts, body limits, the bounded queue) is in
tagger/serve_limits.py.
"""
from __future__ import annotations

import asyncio
import os
import re
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib import resources
from typing import Annotated, Any, Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator
from starlette.exceptions import HTTPException

from .version import __version__
from .errors import TaggerError
from .serve_batcher import Batcher, parts
from .serve_limits import (LOCAL_HOSTS, Backlog, BodyReader, ErrorPacing, HostCheck, Limits, RequestError,
                           SafeJSONResponse, client_gone, error_response, retry_seconds, server_config)

__all__ = ["Limits", "RequestError", "create_app", "serve", "validation_message"]

FASTAPI_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's detail for a body json.loads refused
SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate: in a str from JSON's \\udXXX, never in UTF-8
MAX_ERRORS = 5  # validation errors listed in a 422's detail (their count is given too)
MAX_FIELDS = 8  # keys of a request body read at all: the models have 2 or 3


# -- request bodies ---------------------------------------------------------------------
StandardName = Annotated[StrictStr, Field(max_length=64)]


class RequestBody(BaseModel):
    """A request body: a JSON object of a few known fields. Why the checks before pydantic's: a
    body of 100,000 unknown keys or wrong texts would otherwise give 100,000 errors, each built
    and sent (a 9 MB answer for a 200 KB request); here it gives one."""
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def few_fields(cls, value: Any) -> Any:
        if isinstance(value, dict) and len(value) > MAX_FIELDS:
            raise ValueError(f"the body has {len(value)} fields; it takes {', '.join(cls.model_fields)}")
        return value


class TextsRequest(RequestBody):
    texts: Annotated[list[StrictStr], Field(fail_fast=True)]  # the first text at fault, not all of them
    standard: StandardName | None = None


class SegmentRequest(TextsRequest):
    pos: StrictBool = False


class ExplainRequest(RequestBody):
    text: StrictStr
    standard: StandardName | None = None
    pos: StrictBool = False


# -- the app -----------------------------------------------------------------------------
class Models:
    """The loaded models: the served one, a joint segmentation + POS model for `pos`, and the
    one `/tag` runs: the served model when one is given, else the shipped NER model."""

    def __init__(self, model, pos_model, threads: int | None):
        from .modelio import SHIPPED
        self.main, self.main_name = _loaded(model, threads)
        self.tagging, self.tagging_name = (self.main, self.main_name) if model is not None else \
            _loaded(SHIPPED["ner"], threads)
        if self.main.task.name == "pos":
            self.pos, self.pos_name = self.main, self.main_name
        elif pos_model is False:
            self.pos, self.pos_name = None, None
        else:
            self.pos, self.pos_name = _loaded(SHIPPED["pos"] if pos_model is None else pos_model, threads)
            if self.pos.task.name != "pos":
                raise TaggerError(f"{self.pos_name}: a {self.pos.task.name} model; --pos-model needs a "
                                  "joint segmentation + POS model (train one with --task pos)")

    def warm_up(self) -> None:
        """Build each model's torch network now where the auto engine would move to it under load
        (engine.AutoNetwork): a server tags much text, and building it in the middle of a load
        stalled every request waiting for it by a second or more."""
        from .engine import AutoNetwork
        for tagger in {id(t): t for t in (self.main, self.tagging, self.pos) if t is not None}.values():
            if isinstance(tagger.model, AutoNetwork) and tagger.model.switch_chars is not None:
                tagger.model.torch_network()

    @property
    def segments(self) -> bool:
        return self.main.task.segments and self.main.units == "chars"


def _loaded(model, threads: int | None):
    """(Tagger, name) of a model file path (None: the shipped model) or a loaded Tagger."""
    from .modelio import SHIPPED, load
    from .pipeline import Tagger
    if isinstance(model, Tagger):
        return model, "(in memory)"
    return load(model, threads=threads), os.path.basename(str(SHIPPED["default"] if model is None else model))


def create_app(model: str | os.PathLike | Any = None, pos_model: str | os.PathLike | Any = None,
               limits: Limits = Limits(), threads: int | None = None,
               allowed_hosts: Sequence[str] = LOCAL_HOSTS) -> FastAPI:
    """The service over `model` (a model file, a loaded Tagger, or None for the shipped
    model) and `pos_model` for `pos` requests (None: the shipped POS model; False: none; a POS
    `model` serves them itself). Both are loaded here, once. Requests whose Host header is not
    one of `allowed_hosts` ("*": any) get 421."""
    models = Models(model, pos_model, threads)
    batcher_box: dict[str, Batcher] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        models.warm_up()  # in each server process, after a fork (tagger/serve_workers.py)
        batcher_box["batcher"] = Batcher(limits.batch_chars)
        yield
        batcher_box.pop("batcher").close()

    app = FastAPI(title="tagger", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  default_response_class=SafeJSONResponse,
                  description="Chinese word segmentation, POS tagging and NER with a BiLSTM tagger.")
    run_segment = _runner(models.main.segment_lines)
    run_tag = _runner(models.tagging.label_lines)
    run_pos = _runner(models.pos.label_lines) if models.pos is not None else None
    app.state.models = models
    app.state.limits = limits
    app.add_middleware(BodyReader, max_bytes=limits.body_bytes, seconds=limits.body_seconds)
    app.add_middleware(HostCheck, allowed=allowed_hosts)  # checked before the body is read
    app.add_middleware(ErrorPacing, seconds=limits.error_seconds)  # outermost: every 4xx is paced
    _add_error_handlers(app)
    queued = Backlog(limits.queue_chars, "characters")
    explaining = Backlog(limits.explain_jobs, "explanations")

    async def batched(request: Request, run, texts: list[str], standard: str | None) -> list:
        """`run` over `texts` in the worker, in parts; the parts not yet run are dropped if
        the client hangs up meanwhile."""
        batcher = batcher_box.get("batcher")
        if batcher is None:  # the app runs without its lifespan (a test client used bare)
            return run(texts, standard)
        cost = sum(map(len, texts)) + len(texts)
        with queued.admit(cost, retry_seconds(queued.admitted + cost, batcher.chars_per_second)):
            if await request.is_disconnected():
                raise ClientGone()
            futures = [batcher.submit(run, part, standard) for part in parts(texts, limits.batch_chars)]
            results = asyncio.gather(*map(asyncio.wrap_future, futures))
            gone = asyncio.ensure_future(client_gone(request.receive))
            try:
                await asyncio.wait({results, gone}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                gone.cancel()
            if not results.done():
                for future in futures:
                    future.cancel()
                results.cancel()
                raise ClientGone()
            return [output for part in results.result() for output in part]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(resources.files("tagger").joinpath("web/index.html").read_text(encoding="utf-8"))

    @app.get("/health", summary="Status, the served models and the limits")
    async def health() -> dict:  # async: answered on the event loop, never behind busy worker threads
        main = models.main
        return {"status": "ok", "version": __version__, "model": models.main_name, "task": main.task.name,
                "segments": models.segments, "tags": list(main.tags), "standards": list(main.standards),
                "default_standard": main.encoder.default_standard, "pos_model": models.pos_name,
                "tag_model": models.tagging_name,
                "limits": asdict(limits), "queued_chars": queued.admitted}

    @app.post("/segment", summary="Words of each text (with POS tags when pos is true)")
    async def segment(body: SegmentRequest, request: Request) -> dict:
        _check_texts(body.texts, limits)
        if body.pos:
            if run_pos is None:
                raise RequestError(400, "this server has no POS model (start it with --pos-model)")
            models.pos.encoder.standard_of(body.standard)
            spans = await batched(request, run_pos, body.texts, body.standard)
            return _pos_output(body.texts, spans, models.pos.user_dict)
        if not models.segments:
            raise RequestError(400, f"the served model is a {models.main.task.name} model; it does not "
                                    "segment (use /tag)")
        models.main.encoder.standard_of(body.standard)
        return {"words": await batched(request, run_segment, body.texts, body.standard)}

    @app.post("/tag", summary="Labeled spans of each text: entities (the shipped NER model unless a model "
                              "is served), words and POS (pos), words (seg)")
    async def tag(body: TextsRequest, request: Request) -> dict:
        _check_texts(body.texts, limits)
        models.tagging.encoder.standard_of(body.standard)
        spans = await batched(request, run_tag, body.texts, body.standard)
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
        _check_unicode("text", body.text)
        if body.pos and models.pos is None:
            raise RequestError(400, "this server has no POS model (start it with --pos-model)")
        with explaining.admit(1):
            result = explain_text(models.pos if body.pos else models.main, body.text, body.standard)
        return {"text": result["text"], "tags": result["tags"], "words": result["words"],
                "tag_names": result["tag_names"],
                "probs": [[round(p, 4) for p in row] for row in result["probs"].tolist()]}

    return app


class ClientGone(Exception):
    """The client hung up before its answer was ready: its work is dropped, nothing is sent."""


def _runner(method: Callable) -> Callable:
    """A Tagger method as the batcher calls it: (texts, standard) -> one result per text."""
    return lambda texts, standard: method(texts, standard=standard)


def _check_texts(texts: list[str], limits: Limits) -> None:
    if len(texts) > limits.texts:
        raise RequestError(413, f"texts: {len(texts)} texts; a request takes at most {limits.texts}")
    for number, text in enumerate(texts):
        if len(text) > limits.chars:
            raise RequestError(413, f"texts.{number}: {len(text)} characters; a text takes at most {limits.chars}")
        _check_unicode(f"texts.{number}", text)


def _check_unicode(where: str, text: str) -> None:
    """A lone surrogate (JSON's "\\ud800" escape alone) is not a character: no UTF-8 encodes it,
    so no answer could hold it. Every other code point is segmented as it is."""
    found = SURROGATE.search(text)
    if found:
        raise RequestError(422, f"{where}: a lone surrogate U+{ord(found.group()):04X} at character {found.start()} "
                                "is not valid Unicode; send each character as UTF-8 or as a surrogate pair")


def _pos_output(texts: list[str], spans: list, user_dict) -> dict:
    """Words and their tags, by the rule of every word/POS output (tagger.spanviews.flagged_words)."""
    from .spanviews import flagged_words
    pairs = [flagged_words(text, line, user_dict) for text, line in zip(texts, spans)]
    return {"words": [[word for word, _ in line] for line in pairs], "tags": [[flag for _, flag in line] for line in pairs]}


# -- errors ------------------------------------------------------------------------------
def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def request_error(request: Request, error: RequestError) -> JSONResponse:
        return error_response(error.status, error.message, error.headers)

    @app.exception_handler(TaggerError)
    async def tagger_error(request: Request, error: TaggerError) -> JSONResponse:
        return error_response(400, str(error))

    @app.exception_handler(ClientGone)
    async def client_gone_error(request: Request, error: ClientGone) -> JSONResponse:
        return error_response(499, "the client closed the connection")  # nobody reads it

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        status, message = validation_message(errors)
        detail = [{"loc": [_short(str(part)) for part in item.get("loc", ())], "msg": _short(str(item.get("msg", ""))),
                   "type": _short(str(item.get("type", "")))} for item in errors[:MAX_ERRORS]]  # the input is not echoed
        return error_response(status, message, detail=detail, errors=len(errors))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400 and error.detail == FASTAPI_PARSE_ERROR:  # what it says when json.loads fails
            return error_response(400, "invalid JSON: the body could not be read (not UTF-8, or nested too deeply)")
        return error_response(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(UnicodeError)
    async def not_unicode(request: Request, error: UnicodeError) -> JSONResponse:
        return error_response(400, f"the request holds text that is not valid Unicode ({type(error).__name__})")

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> JSONResponse:
        return error_response(500, f"internal error ({type(error).__name__}); this is a bug in tagger")


def _short(text: str, limit: int = 80) -> str:
    """A piece of an error's detail, cut: a location may be a key the client sent, of any length."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def validation_message(errors: Sequence[dict]) -> tuple[int, str]:
    """(status, one line) for pydantic's errors: 400 for a body that is empty or not JSON, 415
    for a body sent as another content type, 422 for JSON of the wrong shape, naming the first
    field at fault (and how many errors there were)."""
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    where = _short(".".join(str(part) for part in first.get("loc", ()) if part != "body"))
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
    more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
    return 422, f"{where or 'body'}: {first.get('msg', 'invalid')}{got}{more}"


def _json_type(value) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
             dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def serve(model=None, pos_model=None, host: str = "127.0.0.1", port: int = 8000,
          limits: Limits = Limits(), threads: int | None = None, log_level: str = "info",
          allow_hosts: Sequence[str] = (), workers: int | None = 1) -> None:
    """Load the models and serve until interrupted (what `tagger serve` runs). The Host
    header may name localhost, the bound `host` or one of `allow_hosts`. `workers` server
    processes share the port (None: one per thread `threads` allows, at most engine.MAX_AUTO_PROCESSES),
    each with one thread when there are several (tagger/serve_workers.py)."""
    import uvicorn
    from .engine import MAX_AUTO_PROCESSES
    from .serve_workers import check_address, run_workers
    from .threads import thread_count
    check_address(host, port)  # before the models load: a port in use is a one-line error at once
    count = min(thread_count(threads), MAX_AUTO_PROCESSES) if workers is None else workers
    app = create_app(model, pos_model, limits, 1 if count > 1 else threads,
                     allowed_hosts=(*LOCAL_HOSTS, host, *allow_hosts))
    config = server_config(app, host, port, limits, log_level)
    if count == 1:
        uvicorn.Server(config).run()
        return
    run_workers(config, count)
