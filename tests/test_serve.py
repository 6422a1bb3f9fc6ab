"""`tagger serve`: a real server on 127.0.0.1 per module, its endpoints, its answers to bad
input (always 4xx with a JSON error, never 5xx), its limits, concurrency, and the page in
headless Chromium."""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import socket
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from tagger.cli import build_parser, main  # noqa: E402
from tagger.serve import Limits, create_app  # noqa: E402
from tagger.serve_batcher import Batcher  # noqa: E402
from tagger.serve_limits import server_config  # noqa: E402

TEXTS = ["我们在北京大学研究生命的起源。", "  他说 Hello  world\t你好 ", "", " ", "中文English混合，２０２４年。",
         "北京欢迎你。" * 60]
JSON = {"content-type": "application/json"}


class Server:
    """An app served by uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(server_config(app, "127.0.0.1", self.port, app.state.limits, "warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the server did not start"
            time.sleep(0.02)

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict | str]:
        """(status, JSON body, or text where it is not JSON)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            chunked = body is not None and not isinstance(body, (bytes, str))
            connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data.decode("utf-8", "replace")

    def post(self, path: str, payload) -> tuple[int, dict]:
        return self.request("POST", path, json.dumps(payload, ensure_ascii=False).encode(), JSON)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def server():
    running = Server(create_app())
    yield running
    running.close()


@pytest.fixture(scope="module")
def models(server):
    return server.server.config.app.state.models


@pytest.fixture(scope="module")
def small(models):
    """The same model behind small limits (and no POS model)."""
    running = Server(create_app(models.main, pos_model=False,
                                limits=Limits(body_bytes=2_000, texts=3, chars=50, explain_chars=10)))
    yield running
    running.close()


def write_ner_corpus(path, sentences: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(sentences):
        for text, kind in [(rng.choice(["张三", "李四"]), "PER"), ("在", None), (rng.choice(["北京", "上海"]), "LOC"),
                           (rng.choice(["工作", "学习"]), None), ("。", None)]:
            for i, char in enumerate(text):
                rows.append(f"{char} {'O' if kind is None else ('B-' if i == 0 else 'E-') + kind}")
        rows.append("")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def ner_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ner")
    write_ner_corpus(root / "train.bmes", 150, 1)
    write_ner_corpus(root / "dev.bmes", 20, 2)
    assert main(["train", str(root / "train.bmes"), "--dev", str(root / "dev.bmes"), "-o", str(root / "ner.model"),
                 "--hidden", "16", "--char-dim", "16", "--bigram-dim", "8", "--lr", "0.02", "--epochs", "8",
                 "--batch-chars", "300", "--quiet", "--no-plot", "--threads", "1"]) == 0
    running = Server(create_app(str(root / "ner.model"), pos_model=False))
    yield running
    running.close()


# -- endpoints --------------------------------------------------------------------------
def test_health_names_the_models_and_limits(server):
    status, body = server.request("GET", "/health")
    assert status == 200 and body["status"] == "ok"
    assert body["task"] == "seg" and body["segments"] and body["tags"] == ["B", "M", "E", "S"]
    assert body["pos_model"] == "pos.model" and body["limits"]["texts"] == Limits().texts


def test_segment_gives_segment_lines_words(server, models):
    status, body = server.post("/segment", {"texts": TEXTS})
    assert status == 200
    assert body == {"words": models.main.segment_lines(TEXTS)}
    assert ["".join(words) for words in body["words"]] == TEXTS


def test_segment_follows_a_standard(server, models):
    for standard in models.main.standards:
        status, body = server.post("/segment", {"texts": TEXTS[:2], "standard": standard})
        assert status == 200 and body["words"] == models.main.segment_lines(TEXTS[:2], standard=standard)


def test_segment_with_pos_gives_the_pos_models_words_and_tags(server, models):
    status, body = server.post("/segment", {"texts": TEXTS, "pos": True})
    assert status == 200
    for text, words, tags, spans in zip(TEXTS, body["words"], body["tags"], models.pos.label_lines(TEXTS)):
        assert "".join(words) == text and len(words) == len(tags)
        assert [(w, t) for w, t in zip(words, tags) if not w.isspace()] == [(text[s:e], lab) for s, e, lab in spans]
        assert all(t == "x" for w, t in zip(words, tags) if w.isspace())
    assert "ns" in body["tags"][-1]


def test_tag_gives_entities_of_an_ner_model(ner_server):
    status, body = ner_server.post("/tag", {"texts": ["李四在上海学习。", "", " 张三在北京工作。"]})
    assert status == 200
    assert {"text": "李四", "start": 0, "end": 2, "label": "PER"} in body["spans"][0]
    assert {"text": "上海", "start": 3, "end": 5, "label": "LOC"} in body["spans"][0]
    assert body["spans"][1] == []
    assert [(s["text"], s["start"]) for s in body["spans"][2]] == [("张三", 1), ("北京", 4)]
    status, body = ner_server.post("/segment", {"texts": ["李四在上海学习。"]})
    assert status == 400 and "does not segment (use /tag)" in body["error"]
    assert ner_server.request("GET", "/health")[1]["segments"] is False


def test_tag_without_a_model_gives_the_shipped_ner_models_entities(server, models):
    status, body = server.post("/tag", {"texts": TEXTS[:2]})
    assert status == 200 and models.tagging.task.name == "ner" and models.main.task.name == "seg"
    assert [[(s["start"], s["end"], s["label"]) for s in line] for line in body["spans"]] == \
        models.tagging.label_lines(TEXTS[:2])


def test_explain_gives_a_probability_row_per_character(server, models):
    from tagger.explain import explain
    text = "我们在北京大学研究生命的起源。"
    status, body = server.post("/explain", {"text": text})
    assert status == 200
    assert len(body["probs"]) == len(text) and all(len(row) == len(body["tag_names"]) for row in body["probs"])
    assert all(abs(sum(row) - 1) < 1e-3 for row in body["probs"])
    expected = explain(models.main, text)
    assert body["tags"] == expected["tags"] and body["words"] == expected["words"]
    best = [body["tag_names"][row.index(max(row))] for row in body["probs"]]
    assert sum(b == t for b, t in zip(best, body["tags"])) >= len(text) - 1


def test_explain_with_pos_explains_the_pos_model(server, models):
    status, body = server.post("/explain", {"text": "我们在北京。", "pos": True})
    assert status == 200 and body["tag_names"] == list(models.pos.tags)
    assert body["words"] == [models.pos.segment_lines(["我们在北京。"])[0]][0]


def test_page_and_openapi(server):
    status, page = server.request("GET", "/")
    assert status == 200 and '<textarea id="text"' in page and "/explain" in page
    status, spec = server.request("GET", "/openapi.json")
    assert status == 200 and {"/segment", "/tag", "/explain", "/health"} <= set(spec["paths"])


# -- bad input --------------------------------------------------------------------------
BAD = [
    ("invalid JSON", "/segment", b'{"texts": [', JSON, 400, "invalid JSON"),
    ("empty body", "/segment", b"", JSON, 400, "empty body"),
    ("a text that is a number", "/segment", b'{"texts": ["ok", 3]}', JSON, 422,
     "texts.1: Input should be a valid string"),
    ("a text that is null", "/tag", b'{"texts": [null]}', JSON, 422, "texts.0"),
    ("texts not a list", "/segment", b'{"texts": "abc"}', JSON, 422, "texts: Input should be a valid list"),
    ("a JSON array as body", "/segment", b'["abc"]', JSON, 422, "got an array"),
    ("no texts field", "/segment", b'{"text": "abc"}', JSON, 422, "texts: Field required"),
    ("an unknown field", "/segment", b'{"texts": ["a"], "post": true}', JSON, 422, "post: Extra inputs"),
    ("pos not a boolean", "/segment", b'{"texts": ["a"], "pos": "yes"}', JSON, 422,
     "pos: Input should be a valid boolean"),
    ("unknown standard", "/segment", b'{"texts": ["a"], "standard": "nope"}', JSON, 400, "unknown standard 'nope'"),
    ("unknown standard, tag", "/tag", b'{"texts": ["a"], "standard": "nope"}', JSON, 400, "unknown standard 'nope'"),
    ("unknown standard, explain", "/explain", b'{"text": "a", "standard": "nope"}', JSON, 400, "unknown standard"),
    ("not JSON content", "/segment", b'{"texts": ["a"]}', {"content-type": "text/plain"}, 415, "must be JSON"),
    ("explain without text", "/explain", b'{"text": "   "}', JSON, 422, "nothing to explain"),
    ("explain of a list", "/explain", b'{"text": ["a"]}', JSON, 422, "text: Input should be a valid string"),
    ("bytes that are not UTF-8", "/segment", b'{"texts": ["\xff\xfe"]}', JSON, 400, "invalid JSON"),
    ("JSON nested too deeply", "/segment", b"[" * 5_000 + b"]" * 5_000, JSON, 400, "invalid JSON"),
    ("a very long standard", "/segment", b'{"texts": ["a"], "standard": "' + b"s" * 10_000 + b'"}', JSON, 422,
     "standard: String should have at most 64 characters"),
    ("unknown path", "/cut", b'{"texts": ["a"]}', JSON, 404, "Not Found"),
]


@pytest.mark.parametrize("case, path, body, headers, status, message", BAD, ids=[case[0] for case in BAD])
def test_bad_input_gets_a_4xx_with_a_one_line_json_error(server, case, path, body, headers, status, message):
    got, answer = server.request("POST", path, body, headers)
    assert got == status, answer
    assert message in answer["error"] and "\n" not in answer["error"]


def test_wrong_method_is_405_json(server):
    status, body = server.request("GET", "/segment")
    assert status == 405 and body["error"] == "Method Not Allowed"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/segment", "/tag", "/explain"]),
       body=st.one_of(st.binary(max_size=60),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                                   lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                                       st.sampled_from(["texts", "text", "standard", "pos", "x"]), inner, max_size=4),
                                   max_leaves=10).map(lambda value: json.dumps(value).encode())))
def test_no_body_gets_a_5xx(server, path, body):
    status, answer = server.request("POST", path, body, JSON)
    assert status < 500, answer
    assert status < 300 or isinstance(answer.get("error"), str)


# -- limits -----------------------------------------------------------------------------
def test_limits_give_413_naming_the_limit(small):
    assert small.post("/segment", {"texts": ["你好"] * 3})[0] == 200
    status, body = small.post("/segment", {"texts": ["你好"] * 4})
    assert status == 413 and "at most 3" in body["error"]
    assert small.post("/segment", {"texts": ["好" * 50]})[0] == 200
    status, body = small.post("/segment", {"texts": ["短", "好" * 51]})
    assert status == 413 and body["error"] == "texts.1: 51 characters; a text takes at most 50"
    status, body = small.post("/explain", {"text": "好" * 11})
    assert status == 413 and "at most 10" in body["error"]
    status, body = small.post("/segment", {"texts": ["你好"], "pos": True})
    assert status == 400 and "no POS model" in body["error"]


def test_an_oversized_body_is_refused_with_or_without_a_content_length(small):
    big = json.dumps({"texts": ["a" * 2_100]}).encode()
    status, body = small.request("POST", "/segment", big, JSON)
    assert status == 413 and "limit is 2000 bytes" in body["error"]
    status, body = small.request("POST", "/segment", iter([big[:1000], big[1000:]]), JSON)  # chunked
    assert status == 413 and "limit is 2000 bytes" in body["error"]
    status, body = small.request("POST", "/segment", iter([b'{"texts": ', b'["\xe4\xbd\xa0\xe5\xa5\xbd"]}']), JSON)
    assert status == 200 and body["words"] == [["你好"]]
    assert small.request("GET", "/health")[0] == 200


def test_cli_defaults_are_the_apps_limits():
    args = build_parser().parse_args(["serve"])
    assert (args.max_body_bytes, args.max_texts, args.max_chars, args.max_explain_chars) == \
        (Limits().body_bytes, Limits().texts, Limits().chars, Limits().explain_chars)
    assert (args.host, args.port) == ("127.0.0.1", 8000)


def test_cli_errors_are_one_line(monkeypatch, capsys):
    with pytest.raises(SystemExit) as stop:  # refused when parsed: a one-line usage error
        main(["serve", "--port", "70000"])
    assert stop.value.code == 2 and "--port: must be in [0, 65535], not 70000" in capsys.readouterr().err
    monkeypatch.setitem(__import__("sys").modules, "uvicorn", None)
    assert main(["serve"]) == 1
    assert capsys.readouterr().err.strip() == 'tagger: error: tagger serve needs uvicorn: pip install "tagger-zh[serve]"'


# -- odd Unicode, amplification, hosts, assets ----------------------------------------------
def escaped(text: str) -> bytes:
    """A JSON body {"texts": [text]} as a client may send it: every character \\u-escaped, so a
    lone surrogate arrives as one."""
    return b'{"texts": ["' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else
                                    "".join(f"\\u{u:04x}" for u in (0xD7C0 + (ord(c) >> 10), 0xDC00 + (ord(c) & 0x3FF)))
                                    for c in text).encode() + b'"]}'


@pytest.mark.parametrize("path", ["/segment", "/tag", "/explain"])
def test_a_lone_surrogate_is_a_422_naming_it(server, path):
    body = b'{"text": "a\\ud800b"}' if path == "/explain" else b'{"texts": ["ok", "a\\ud800b"]}'
    status, answer = server.request("POST", path, body, JSON)
    where = "text" if path == "/explain" else "texts.1"
    assert status == 422 and answer["error"].startswith(f"{where}: a lone surrogate U+D800 at character 1")


def test_surrogates_elsewhere_are_a_422_and_an_answer_escapes_them():
    from tagger.serve_limits import SafeJSONResponse
    body = SafeJSONResponse({"error": "a\ud800b"}).body
    assert body == b'{"error":"a\\ud800b"}' and json.loads(body) == {"error": "a\ud800b"}


@pytest.mark.parametrize("body", [b'{"texts": ["a"], "standard": "\\udfff"}', b'{"texts": ["a"], "\\ud800": 1}',
                                  b'{"text": "\\udc00", "pos": true}'])
def test_surrogates_in_other_fields_are_a_422(server, body):
    status, answer = server.request("POST", "/explain" if b'"text"' in body else "/segment", body, JSON)
    assert status == 422 and "\n" not in answer["error"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=30))
def test_any_code_points_get_their_words_or_a_4xx(server, text):
    status, answer = server.request("POST", "/segment", escaped(text), JSON)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert status == 422 and "lone surrogate" in answer["error"]
    else:
        assert status == 200 and "".join(answer["words"][0]) == text


@pytest.mark.parametrize("body", [json.dumps({"texts": [1] * 100_000}).encode(),
                                  json.dumps({str(k): 1 for k in range(50_000)}).encode(),
                                  json.dumps({"texts": ["a"], "k" * 50_000: 1}).encode()],
                         ids=["100k bad texts", "50k unknown fields", "a 50k-character field name"])
def test_validation_errors_are_capped(server, body):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("POST", "/segment", body, JSON)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    answer = json.loads(data)
    assert response.status == 422 and len(data) <= 4096 and "\n" not in answer["error"]
    assert len(answer["detail"]) <= 5 and answer["errors"] >= 1


def test_only_the_allowed_hosts_are_served(server):
    for host in ["localhost", f"localhost:{server.port}", "127.0.0.1", f"[::1]:{server.port}", "LOCALHOST"]:
        assert server.request("GET", "/health", headers={"host": host})[0] == 200, host
    for host in ["evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example", "localhost.evil:80"]:
        status, answer = server.request("GET", "/health", headers={"host": host})
        assert status == 421 and "--allow-host" in answer["error"], host


def test_allow_host_extends_the_list(models):
    open_to = Server(create_app(models.main, pos_model=False, allowed_hosts=("localhost", "tagger.lan")))
    try:
        assert open_to.request("GET", "/health", headers={"host": "tagger.lan:8000"})[0] == 200
        assert open_to.request("GET", "/health", headers={"host": "other.lan"})[0] == 421
        assert open_to.request("GET", "/health", headers={"host": "127.0.0.1"})[0] == 421
    finally:
        open_to.close()
    assert build_parser().parse_args(["serve", "--allow-host", "a", "--allow-host", "b"]).allow_host == ["a", "b"]


def test_no_third_party_assets(server):
    assert server.request("GET", "/docs")[0] == 404 and server.request("GET", "/redoc")[0] == 404
    for path in ["/", "/openapi.json"]:
        status, body = server.request("GET", path)
        text = body if isinstance(body, str) else json.dumps(body)
        assert status == 200 and not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), path


# -- a server that cannot be stalled -------------------------------------------------------
QUICK = Limits(body_bytes=2_000, header_seconds=0.5, body_seconds=1, keep_alive_seconds=0.5, queue_chars=40)


@pytest.fixture(scope="module")
def gated(models):
    """A server whose model calls wait on `gate` (and record their texts), with short timeouts
    and a queue of 40 characters."""
    import copy
    gate, calls = threading.Event(), []
    tagger = copy.copy(models.main)

    def segment_lines(texts, standard=None):
        calls.append(list(texts))
        assert gate.wait(30)
        return models.main.segment_lines(texts, standard=standard)
    tagger.segment_lines = segment_lines
    running = Server(create_app(tagger, pos_model=False, limits=QUICK))
    running.gate, running.calls = gate, calls
    gate.set()
    yield running
    running.close()


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def closed_after(sock: socket.socket) -> tuple[float, bytes]:
    """(seconds until the server closed the connection, what it sent before)."""
    started, data = time.monotonic(), b""
    while chunk := sock.recv(65536):
        data += chunk
    return time.monotonic() - started, data


def test_an_idle_or_trickling_connection_is_closed(gated):
    idle = connect(gated)
    assert closed_after(idle)[0] < 3
    trickle = connect(gated)
    started = time.monotonic()
    with pytest.raises(OSError):  # closed under the trickle: a reset or a broken pipe
        for byte in b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100:
            trickle.send(bytes([byte]))
            time.sleep(0.05)
            assert time.monotonic() - started < 3
    assert time.monotonic() - started < 3


def test_a_body_not_sent_in_time_gets_408(gated):
    half = connect(gated)
    half.sendall(b"POST /segment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"texts\": [")
    seconds, data = closed_after(half)
    assert seconds < 3 and data.startswith(b"HTTP/1.1 408") and b"not all sent within 1 s" in data


def test_a_kept_alive_connection_is_closed_when_idle(gated):
    sock = connect(gated)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    seconds, data = closed_after(sock)
    assert data.startswith(b"HTTP/1.1 200") and seconds < 3


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_large_body_gets_its_413_not_a_reset(small, chunked):
    big = b'{"texts": ["' + b"a" * 3_000_000 + b'"]}'
    body = iter([big[i:i + 65536] for i in range(0, len(big), 65536)]) if chunked else big
    status, answer = small.request("POST", "/segment", body, JSON)
    assert status == 413 and "the limit is 2000 bytes" in answer["error"]


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_work_of_a_client_that_hung_up_is_dropped_and_a_full_queue_gets_503(gated):
    gated.gate.clear()
    gated.calls.clear()
    first = threading.Thread(target=gated.post, args=("/segment", {"texts": ["第一"]}))
    first.start()
    wait_until(lambda: gated.calls)  # the worker holds the first request
    gone = connect(gated)
    body = json.dumps({"texts": ["走了"]}).encode()
    gone.sendall(b"POST /segment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    wait_until(lambda: gated.request("GET", "/health")[1]["queued_chars"] == 6)
    status, answer = gated.post("/segment", {"texts": ["好" * 40]})  # more than the queue holds
    assert status == 503 and "busy" in answer["error"]
    connection = http.client.HTTPConnection("127.0.0.1", gated.port, timeout=10)
    connection.request("POST", "/segment", json.dumps({"texts": ["好" * 40]}).encode(), JSON)
    assert connection.getresponse().getheader("retry-after").isdigit()
    connection.close()
    gone.close()
    wait_until(lambda: gated.request("GET", "/health")[1]["queued_chars"] == 3)  # its part dropped
    gated.gate.set()
    first.join(30)
    assert gated.post("/segment", {"texts": ["然后"]})[0] == 200
    assert ["走了"] not in gated.calls and gated.calls[0] == ["第一"] and gated.calls[-1] == ["然后"]
    assert gated.request("GET", "/health")[1]["queued_chars"] == 0


# -- through the test client, and through `tagger serve` itself ----------------------------
@pytest.fixture(scope="module")
def client(models):
    from fastapi.testclient import TestClient
    with TestClient(create_app(models.main, pos_model=False), base_url="http://localhost") as running:
        yield running


def test_the_test_client_gets_the_same_guards(client):
    answer = client.post("/tag", content=b'{"texts": ["\\ud83d"]}', headers=JSON)
    assert answer.status_code == 422 and "lone surrogate U+D83D" in answer.json()["error"]
    answer = client.post("/segment", content=json.dumps({"texts": [None] * 50_000}), headers=JSON)
    assert answer.status_code == 422 and len(answer.content) <= 4096 and answer.json()["errors"] == 1
    assert client.get("/health", headers={"host": "rebound.example"}).status_code == 421
    assert client.get("/docs").status_code == 404
    assert client.post("/segment", json={"texts": ["见https://x.org/" + "a" * 300 + "。"]}).json()["words"][0][1] == \
        "https://x.org/" + "a" * 300


def _tagger_serve(*options: str):
    """(process, Server) of `tagger serve` on a free port, once /health answers."""
    import subprocess
    import sys
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "tagger", "serve", "--port", str(port), "--no-pos",
                                "--log-level", "warning", *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    served = Server.__new__(Server)
    served.port = port
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            if served.request("GET", "/health")[0] == 200:
                return process, served
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def test_tagger_serve_applies_the_allow_list_and_the_body_limit(tmp_path):
    process, served = _tagger_serve("--allow-host", "tagger.lan", "--max-body-bytes", "5000", "--threads", "1")
    try:
        assert served.request("GET", "/health", headers={"host": f"tagger.lan:{served.port}"})[0] == 200
        assert served.request("GET", "/health", headers={"host": "other.lan"})[0] == 421
        big = b'{"texts": ["' + b"a" * 1_000_000 + b'"]}'
        status, answer = served.request("POST", "/segment", iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                                        JSON)
        assert status == 413 and "the limit is 5000 bytes" in answer["error"]
    finally:
        process.terminate()
        process.wait(30)


def test_tagger_serve_workers_share_the_port_and_stop_together(models):
    """--workers 2: two server processes answer on one port, each rightly; SIGTERM to the
    parent stops both (none is left behind)."""
    process, served = _tagger_serve("--workers", "2", "--threads", "1")
    try:
        children = [int(pid) for task in os.listdir(f"/proc/{process.pid}/task")
                    for pid in open(f"/proc/{process.pid}/task/{task}/children").read().split()]
        assert len(children) == 2
        texts = ["我们在北京大学研究生命的起源。", "他说：“今天天气很好。”"]
        answers = [Server.__new__(Server) for _ in range(8)]
        for client in answers:
            client.port = served.port
            status, body = client.post("/segment", {"texts": texts})
            assert status == 200 and body["words"] == models.main.segment_lines(texts)
    finally:
        process.terminate()
        assert process.wait(30) == 0
    for child in children:
        assert not os.path.exists(f"/proc/{child}") or "zombie" in open(f"/proc/{child}/status").read()


# -- concurrency ------------------------------------------------------------------------
def test_concurrent_requests_equal_serial_results(server, models):
    source = "".join(TEXTS[:2] + ["我们喜欢苹果和香蕉，他是北京的学生。中国人民热爱和平。"] * 3)
    rng = random.Random(7)
    requests = []
    for number in range(48):
        starts = [rng.randrange(len(source)) for _ in range(rng.randint(1, 12))]
        lines = [source[a:a + rng.randint(0, 40)] for a in starts]
        requests.append((["/segment", "/segment", "/tag"][number % 3], {"texts": lines, "pos": number % 6 == 1}))
    answers: dict[int, tuple] = {}

    def client(numbers: list[int]) -> None:
        for n in numbers:
            path, payload = requests[n]
            if path == "/tag":
                payload = {"texts": payload["texts"]}
            answers[n] = server.post(path, payload)

    threads = [threading.Thread(target=client, args=(list(range(k, 48, 12)),)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, (path, payload) in enumerate(requests):
        status, body = answers[n]
        assert status == 200
        if path == "/tag":
            assert [[(s["start"], s["end"], s["label"]) for s in line] for line in body["spans"]] == \
                models.tagging.label_lines(payload["texts"])
        elif payload["pos"]:
            spans = models.pos.label_lines(payload["texts"])
            assert [[w for w in words if not w.isspace()] for words in body["words"]] == \
                [[text[s:e] for s, e, _ in line] for text, line in zip(payload["texts"], spans)]
        else:
            assert body["words"] == models.main.segment_lines(payload["texts"])


def test_the_batcher_runs_queued_jobs_in_one_call_and_isolates_a_failing_one():
    calls: list[tuple[list[str], str | None]] = []
    gate = threading.Event()

    def run(texts, standard):
        calls.append((list(texts), standard))
        if len(calls) == 1:
            gate.wait(10)  # the first call holds the worker while the others queue
        if "boom" in texts:
            raise ValueError("boom")
        return [text.upper() for text in texts]

    batcher = Batcher(batch_chars=1_000)
    try:
        first = batcher.submit(run, ["a"], None)
        while not calls:
            time.sleep(0.001)
        later = [batcher.submit(run, [c], None) for c in "bc"] + [batcher.submit(run, ["d", "boom"], None),
                                                                  batcher.submit(run, ["e"], "other")]
        gate.set()
        assert first.result(10) == ["A"]
        assert [f.result(10) for f in later[:2]] == [["B"], ["C"]] and later[3].result(10) == ["E"]
        with pytest.raises(ValueError, match="boom"):
            later[2].result(10)
    finally:
        batcher.close()
    assert calls[1] == (["b", "c", "d", "boom"], None)  # the queued jobs of one kind, together
    assert (["e"], "other") in calls  # another standard, another call
    assert (["b"], None) in calls and (["c"], None) in calls  # a failed batch reran job by job


# -- the page in a browser --------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1100,800"]


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(driver, script: str, seconds: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, seconds).until(lambda d: d.execute_script(script))


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Chromium and ChromeDriver "
                                                           "(apt-get install chromium chromium-driver)")
def test_the_page_in_headless_chromium(server, models, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    lines = ["我们在北京大学研究生命的起源。", "他说 你好"]
    browser.get(server.url + "/")
    wait_for(browser, "return document.body.dataset.ready === 'yes'")
    box = browser.find_element(By.ID, "text")
    box.clear()
    box.send_keys("\n".join(lines))
    browser.find_element(By.ID, "pos").click()
    browser.find_element(By.ID, "go").click()
    wait_for(browser, "return document.body.dataset.rendered === 'yes'")
    shown = browser.execute_script(
        "return [...document.querySelectorAll('.line')].map(line => [...line.querySelectorAll('.w')].map("
        "w => [[...w.querySelectorAll('.c')].map(c => c.textContent).join(''), w.dataset.label || null]))")
    expected = [[(text[s:e], label) for s, e, label in spans]
                for text, spans in zip(lines, models.pos.label_lines(lines))]
    assert [[tuple(word) for word in line] for line in shown] == expected
    colours = browser.execute_script("return [...document.querySelectorAll('.w')].map(w => w.style.background)")
    assert len(set(colours)) > 3  # tags as colours
    char = browser.find_elements(By.CSS_SELECTOR, ".line .c")[3]  # 北
    ActionChains(browser).move_to_element(char).perform()
    wait_for(browser, "return document.querySelectorAll('#explain .bar').length > 0")
    panel = browser.find_element(By.ID, "explain").text
    assert "「北」" in panel and "character 4" in panel
    names = [v.text for v in browser.find_elements(By.CSS_SELECTOR, "#explain .bar .n")]
    values = [float(v.text) for v in browser.find_elements(By.CSS_SELECTOR, "#explain .bar .v")]
    assert len(values) == min(8, len(models.pos.tags)) and values == sorted(values, reverse=True)
    label = next(label for word, label in expected[0] if word.startswith("北"))
    assert values[0] > 0.5 and names[0] == f"B-{label}" and f"tag B-{label}" in panel  # the POS model's, as shown
    screenshot = tmp_path / "page.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000


def test_bad_requests_are_answered_after_a_pause_good_ones_at_once(models):
    from fastapi.testclient import TestClient
    app = create_app(models.main, pos_model=False, limits=Limits(error_seconds=0.4, body_bytes=2_000))
    with TestClient(app, base_url="http://localhost") as paced:
        def seconds(*args, **kwargs) -> tuple[float, int]:
            started = time.perf_counter()
            status = paced.post(*args, **kwargs).status_code
            return time.perf_counter() - started, status
        for bad in ({"json": {"texts": "不是列表"}}, {"content": b"{", "headers": JSON},
                    {"content": b'{"texts": ["' + b"a" * 3_000 + b'"]}', "headers": JSON}):
            took, status = seconds("/segment", **bad)
            assert 400 <= status < 500 and took >= 0.4, (bad, status, took)
        took, status = seconds("/segment", json={"texts": ["我们"]})
        assert status == 200 and took < 0.4


def test_a_port_in_use_is_one_line_before_the_models_load():
    import subprocess
    import sys
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            done = subprocess.run([sys.executable, "-m", "tagger", "serve", "--port", str(port), "--workers", workers],
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
            assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
