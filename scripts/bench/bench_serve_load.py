#!/usr/bin/env python
"""`tagger serve` under load: concurrent clients, checked answers, then malformed requests.

Starts a local server (its own process, one torch thread), then:

1. load: 32 clients, each with its own keep-alive connection, send 50 /segment requests of
   1-20 lines drawn from a text file; reports requests/s, chars/s and p50 / p99 latency, and
   checks every answer against `segment_lines` on the same texts (a wrong answer is a failure);
2. malformed: 1,000 bad requests of many kinds (invalid JSON, empty bodies, non-string texts,
   unknown standards, oversized bodies, wrong content types, ...) from 8 clients; counts the
   statuses (none may be 5xx; a 4xx must carry a JSON error; a path with a trailing slash gets
   FastAPI's 307 redirect), then checks that the server is still healthy and still right.

    OMP_NUM_THREADS=1 TAGGER_THREADS=1 python -m scripts.bench.bench_serve_load \\
        --text /work/shared/corpora/sighan2005/pku_test.utf8 --json results/serve/load.json

`--batch-chars 1` runs the server without batching across requests (one request per model
call), for comparison. Exits 1 on any failed request, any 5xx, or an unhealthy server after.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

SERVER = ("import sys; from tagger.serve import Limits, serve; "
          "serve(host='127.0.0.1', port=int(sys.argv[1]), threads=1, log_level='warning', "
          "limits=Limits(batch_chars=int(sys.argv[2])))")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, batch_chars: int) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", TAGGER_THREADS="1")
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(batch_chars)], env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            if request(port, "GET", "/health")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not answer /health within 180 s")


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            connection: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    """(status, body) of one request, on `connection` when given (kept alive), else a new one."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


JSON = {"content-type": "application/json"}


def load_phase(port: int, lines: list[str], clients: int, per_client: int, seed: int) -> dict:
    """Concurrent /segment requests; every answer kept for checking."""
    rng = random.Random(seed)
    plans = [[rng.sample(lines, rng.randint(1, 20)) for _ in range(per_client)] for _ in range(clients)]
    results: list[list[tuple[float, int, object]]] = [[] for _ in range(clients)]

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for texts in plans[number]:
            body = json.dumps({"texts": texts}, ensure_ascii=False).encode()
            started = time.perf_counter()
            try:
                status, data = request(port, "POST", "/segment", body, JSON, connection)
                answer = json.loads(data) if status == 200 else data[:200]
            except (OSError, http.client.HTTPException, ValueError) as error:
                status, answer = -1, repr(error)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            results[number].append((time.perf_counter() - started, status, answer))
        connection.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"plans": plans, "results": results, "wall": wall}


def check_answers(plans, results, segment_lines) -> tuple[int, int, list[str]]:
    """(failed requests, wrong answers among them, first problems)."""
    failed, wrong, problems = 0, 0, []
    for plan, answers in zip(plans, results):
        for texts, (_, status, answer) in zip(plan, answers):
            if status != 200:
                failed += 1
                problems.append(f"status {status}: {answer!r}"[:200])
            elif answer.get("words") != segment_lines(texts):
                failed += 1
                wrong += 1
                problems.append(f"wrong words for {texts[0][:30]!r}...")
    return failed, wrong, problems[:10]


def malformed_requests(count: int, seed: int, max_body: int) -> list[tuple[str, str, str, bytes, dict]]:
    """(kind, method, path, body, headers) of `count` bad requests, the kinds in turn."""
    rng = random.Random(seed)
    big_text = "好" * 10_001

    def junk() -> bytes:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 80)))

    def post(path: str, payload, headers: dict = JSON) -> tuple[str, str, bytes, dict]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return "POST", path, body, headers

    def endpoint(*paths: str) -> str:
        return rng.choice(paths)

    kinds = [
        ("invalid JSON", lambda: post("/segment", b'{"texts": ["a",')),
        ("truncated JSON", lambda: post("/tag", json.dumps({"texts": ["你好"] * 3}).encode()[:rng.randint(1, 20)])),
        ("empty body", lambda: post("/segment", b"")),
        ("random bytes", lambda: post(endpoint("/segment", "/tag", "/explain"), junk())),
        ("non-string text", lambda: post("/segment", {"texts": ["a", rng.choice([1, 2.5, None, True, [], {}])]})),
        ("texts not a list", lambda: post("/tag", {"texts": rng.choice(["abc", 5, None, {"a": 1}])})),
        ("body not an object", lambda: post("/segment", rng.choice([[], [1], "x", 3, None]))),
        ("unknown standard", lambda: post(endpoint("/segment", "/tag"), {"texts": ["a"], "standard": "zz"})),
        ("unknown field", lambda: post("/segment", {"texts": ["a"], "txets": 1})),
        ("bad pos flag", lambda: post("/segment", {"texts": ["a"], "pos": "yes"})),
        ("wrong content type", lambda: post("/segment", {"texts": ["a"]}, {"content-type": "text/plain"})),
        ("not UTF-8", lambda: post("/segment", b'{"texts": ["\xc3\x28"]}')),
        ("text too long", lambda: post("/segment", {"texts": [big_text]})),
        ("too many texts", lambda: post("/tag", {"texts": ["a"] * 1_001})),
        ("body too large", lambda: post("/segment", b'{"texts": ["' + b"a" * (max_body + 10) + b'"]}')),
        ("explain empty", lambda: post("/explain", {"text": rng.choice(["", "   "])})),
        ("explain too long", lambda: post("/explain", {"text": "好" * 1_001})),
        ("deep nesting", lambda: post("/segment", b"[" * 5_000 + b"]" * 5_000)),
        ("huge number", lambda: post("/segment", b'{"texts": [1e999999]}')),
        ("wrong method", lambda: (endpoint("GET", "PUT", "DELETE"), "/segment", b"", {})),
        ("unknown path", lambda: post("/" + endpoint("cut", "segment/", "..%2f", "%ff"), b"{}")),
    ]
    return [(kinds[i % len(kinds)][0], *kinds[i % len(kinds)][1]()) for i in range(count)]


def malformed_phase(port: int, count: int, seed: int, max_body: int, clients: int = 8) -> dict:
    requests = malformed_requests(count, seed, max_body)
    statuses: Counter = Counter()
    by_kind: dict[str, Counter] = {}
    not_json: list[str] = []
    lock = threading.Lock()

    def client(numbers) -> None:
        for n in numbers:
            kind, method, path, body, headers = requests[n]
            try:
                status, data = request(port, method, path, body, headers)
                try:
                    is_error_json = isinstance(json.loads(data).get("error"), str)
                except (ValueError, AttributeError):
                    is_error_json = False
            except (OSError, http.client.HTTPException) as error:
                status, is_error_json = f"connection error ({type(error).__name__})", False
            with lock:
                statuses[status] += 1
                by_kind.setdefault(kind, Counter())[status] += 1
                if not is_error_json and not (isinstance(status, int) and 300 <= status < 400):
                    not_json.append(f"{kind}: {status}")

    threads = [threading.Thread(target=client, args=(range(k, count, clients),)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server_errors = sum(v for k, v in statuses.items() if not isinstance(k, int) or k >= 500)
    redirects = sum(v for k, v in statuses.items() if isinstance(k, int) and 300 <= k < 400)
    return {"requests": count, "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
            "by_kind": {kind: {str(k): v for k, v in c.items()} for kind, c in by_kind.items()},
            "5xx_or_connection_errors": server_errors, "redirects": redirects,
            "answers_without_a_json_error": not_json[:10],
            "answers_without_a_json_error_count": len(not_json)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default="/work/shared/corpora/sighan2005/pku_test.utf8",
                        help="UTF-8 text whose non-empty lines the requests draw from")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=50, help="requests per client")
    parser.add_argument("--malformed", type=int, default=1_000)
    parser.add_argument("--batch-chars", type=int, default=50_000,
                        help="characters the server's worker takes per model call (1: no batching)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)

    lines = [line for line in Path(args.text).read_text(encoding="utf-8").splitlines() if line.strip()]
    port = free_port()
    server = start_server(port, args.batch_chars)
    try:
        health = json.loads(request(port, "GET", "/health")[1])
        load = load_phase(port, lines, args.clients, args.requests, args.seed)
        malformed = malformed_phase(port, args.malformed, args.seed, health["limits"]["body_bytes"])
        status, data = request(port, "GET", "/health")
        healthy_after = status == 200 and json.loads(data)["status"] == "ok"
        probe = lines[:5]
        status, data = request(port, "POST", "/segment", json.dumps({"texts": probe}).encode(), JSON)
        still_answers = json.loads(data)["words"] if status == 200 else None
    finally:
        server.terminate()
        server.wait(timeout=30)

    import tagger  # after the server has gone: the check must not compete with it
    segmenter = tagger.load(threads=1)
    failed, wrong, problems = check_answers(load["plans"], load["results"], segmenter.segment_lines)
    latencies = [latency for answers in load["results"] for latency, _, _ in answers]
    requests_sent = len(latencies)
    chars = sum(len(text) for plan in load["plans"] for texts in plan for text in texts)
    lines_sent = sum(len(texts) for plan in load["plans"] for texts in plan)
    report = {
        "server": {"model": health["model"], "default_standard": health["default_standard"], "threads": 1,
                   "batch_chars": args.batch_chars, "cpus": os.cpu_count()},
        "load": {"clients": args.clients, "requests": requests_sent, "lines": lines_sent, "chars": chars,
                 "seconds": round(load["wall"], 2),
                 "requests_per_s": round(requests_sent / load["wall"], 1),
                 "chars_per_s": round(chars / load["wall"]),
                 "latency_ms": {"p50": round(1000 * percentile(latencies, 0.5), 1),
                                "p99": round(1000 * percentile(latencies, 0.99), 1),
                                "max": round(1000 * max(latencies), 1),
                                "mean": round(1000 * statistics.mean(latencies), 1)},
                 "failed": failed, "wrong_answers": wrong, "problems": problems},
        "malformed": malformed,
        "after": {"healthy": healthy_after, "still_right": still_answers == segmenter.segment_lines(probe)},
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    ok = failed == 0 and malformed["5xx_or_connection_errors"] == 0 and healthy_after and report["after"]["still_right"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
