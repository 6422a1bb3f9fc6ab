#!/usr/bin/env python
"""`tagger serve` under load: concurrent clients, checked answers, then malformed requests.

Starts a local server (its own process, `--threads` torch threads), then:

1. load: 32 clients, each with its own keep-alive connection, send 50 /segment requests of
   1-20 lines drawn from a text file; reports requests/s, chars/s and p50 / p99 latency, and
   checks every answer against `segment_lines` on the same texts (a wrong answer is a failure);
2. malformed: 1,000 bad requests of many kinds (invalid JSON, empty bodies, non-string texts,
   unknown standards, oversized bodies, wrong content types, ...) from 8 clients; counts the
   statuses (none may be 5xx; a 4xx must carry a JSON error; a path with a trailing slash gets
   FastAPI's 307 redirect), then checks that the server is still healthy and still right.

    OMP_NUM_THREADS=1 TAGGER_THREADS=1 python -m scripts.bench.bench_serve_load \\
        --json results/serve/load.json

`--batch-chars 1` runs the server without batching across requests (one request per model
call), for comparison. Exits 1 on any failed request, any 5xx, or an unhealthy server after.

`--attackers 4 --rounds 4` measures the service's targets instead (issue 33): `--attackers`
clients send oversized and invalid requests the whole time (100,000 invalid texts, 50,000
unknown fields, lone surrogates, bodies of 1.1 MB stated and 3 MB chunked, 1,001 texts), while
a prober asks /health every 20 ms; first with nothing else running (`/health` alone under
attack), then through `--rounds` rounds of the load (`--total` requests from `--clients`
clients each round). Reports /health's p50 / p99 in each phase, each round's throughput and
latency, the largest error answer, and the server's resident memory before and after each
round (read from /proc, a second after the round ends); fails when an answer is wrong or a
request fails.

    OMP_NUM_THREADS=1 TAGGER_THREADS=1 python -m scripts.bench.bench_serve_load --threads 1 \\
        --attackers 4 --rounds 4 --total 3000 --json results/serve/under_attack.json
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from scripts.common import free_port, pku_test, tree_rss_kb

SERVER = ("import sys; from tagger.serve import Limits, serve; "
          "serve(host='127.0.0.1', port=int(sys.argv[1]), threads=int(sys.argv[3]), log_level='warning', "
          "limits=Limits(batch_chars=int(sys.argv[2])), workers=int(sys.argv[4]))")


def start_server(port: int, batch_chars: int, threads: int = 1, workers: int = 1) -> subprocess.Popen:
    """The server in its own process: `workers` processes (tagger/serve_workers.py) of `threads`
    threads each (one each when there are several)."""
    each = threads if workers == 1 else 1
    env = dict(os.environ, OMP_NUM_THREADS=str(each), TAGGER_THREADS=str(each))
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(batch_chars), str(threads), str(workers)],
                              env=env)
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


def load_phase(port: int, lines: list[str], clients: int, per_client: int, seed: int,
               per_request: tuple[int, int] = (1, 20)) -> dict:
    """Concurrent /segment requests; every answer kept for checking."""
    rng = random.Random(seed)
    plans = [[rng.sample(lines, rng.randint(*per_request)) for _ in range(per_client)] for _ in range(clients)]
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
    """(failed requests, wrong answers among them, first problems). Each distinct line is
    segmented once, alone (the words of a line do not depend on the lines beside it)."""
    distinct = sorted({text for plan in plans for texts in plan for text in texts})
    words = dict(zip(distinct, segment_lines(distinct)))
    failed, wrong, problems = 0, 0, []
    for plan, answers in zip(plans, results):
        for texts, (_, status, answer) in zip(plan, answers):
            if status != 200:
                failed += 1
                problems.append(f"status {status}: {answer!r}"[:200])
            elif answer.get("words") != [words[text] for text in texts]:
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


# -- the service's targets: load while attackers send oversized and invalid requests --------
def attack_requests(max_body: int) -> list[tuple[str, bytes, dict, bool]]:
    """(kind, body, headers, chunked) of the oversized and invalid requests the attackers send."""
    too_big = b'{"texts": ["' + b"a" * (max_body + 100_000) + b'"]}'
    return [
        ("100,000 invalid texts", json.dumps({"texts": [1] * 100_000}).encode(), JSON, False),
        ("50,000 unknown fields", json.dumps({str(k): 1 for k in range(50_000)}).encode(), JSON, False),
        ("lone surrogates", b'{"texts": ["a\\ud800b", "\\udfff"]}', JSON, False),
        ("1.1 MB body", too_big, JSON, False),
        ("3 MB chunked body", b'{"texts": ["' + b"a" * 3_000_000 + b'"]}', JSON, True),
        ("1,001 texts", json.dumps({"texts": ["好"] * 1_001}).encode(), JSON, False),
    ]


def attacker(port: int, kinds: list, stop: threading.Event, seen: dict, lock: threading.Lock, offset: int) -> None:
    """Sends the attack requests in turn until `stop`, each on a new connection; records the
    statuses and the largest answer of each kind."""
    number = offset
    while not stop.is_set():
        kind, body, headers, chunked = kinds[number % len(kinds)]
        number += 1
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            payload = (body[i:i + 65536] for i in range(0, len(body), 65536)) if chunked else body
            connection.request("POST", "/segment", body=payload, headers=headers, encode_chunked=chunked)
            response = connection.getresponse()
            status, size = response.status, len(response.read())
        except (OSError, http.client.HTTPException) as error:
            status, size = f"connection error ({type(error).__name__})", 0
        finally:
            connection.close()
        with lock:
            entry = seen.setdefault(kind, {"statuses": Counter(), "largest_answer_bytes": 0})
            entry["statuses"][status] += 1
            entry["largest_answer_bytes"] = max(entry["largest_answer_bytes"], size)


def prober(port: int, stop: threading.Event, latencies: list[float], failures: list[str]) -> None:
    """GET /health every 20 ms on one kept-alive connection, each latency recorded."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, _ = request(port, "GET", "/health", connection=connection)
            if status != 200:
                failures.append(f"status {status}")
        except (OSError, http.client.HTTPException) as error:
            failures.append(repr(error))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies.append(time.perf_counter() - started)
        time.sleep(max(0.0, 0.02 - (time.perf_counter() - started)))
    connection.close()


class Background:
    """The attackers and the /health prober, running until stopped; `take()` gives the /health
    latencies since the last take."""

    def __init__(self, port: int, attackers: int, max_body: int):
        self.stop, self.lock = threading.Event(), threading.Lock()
        self.seen: dict = {}
        self.latencies: list[float] = []
        self.failures: list[str] = []
        kinds = attack_requests(max_body)
        self.threads = [threading.Thread(target=attacker, args=(port, kinds, self.stop, self.seen, self.lock, k))
                        for k in range(attackers)]
        self.threads.append(threading.Thread(target=prober, args=(port, self.stop, self.latencies, self.failures)))
        for thread in self.threads:
            thread.start()

    def take(self) -> dict:
        taken, self.latencies[:] = list(self.latencies), []
        return latency_summary(taken)

    def close(self) -> dict:
        self.stop.set()
        for thread in self.threads:
            thread.join()
        return {kind: {"statuses": {str(k): v for k, v in entry["statuses"].items()},
                       "largest_answer_bytes": entry["largest_answer_bytes"]} for kind, entry in self.seen.items()}


def latency_summary(latencies: list[float]) -> dict:
    if not latencies:
        return {"count": 0}
    return {"count": len(latencies), "p50_ms": round(1000 * percentile(latencies, 0.5), 1),
            "p99_ms": round(1000 * percentile(latencies, 0.99), 1), "max_ms": round(1000 * max(latencies), 1)}


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes, from /proc (Linux). Pages the
    workers still share with their parent count once in each."""
    return round(tree_rss_kb(pid) / 1024, 1)


def round_summary(load: dict) -> dict:
    latencies = [latency for answers in load["results"] for latency, _, _ in answers]
    statuses = Counter(status for answers in load["results"] for _, status, _ in answers)
    return {"requests": len(latencies), "seconds": round(load["wall"], 2),
            "requests_per_s": round(len(latencies) / load["wall"], 1),
            "latency_ms": {"p50": round(1000 * percentile(latencies, 0.5), 1),
                           "p99": round(1000 * percentile(latencies, 0.99), 1),
                           "max": round(1000 * max(latencies), 1)},
            "statuses": {str(k): v for k, v in statuses.items()}}


def lines_per_request(text: str) -> tuple[int, int]:
    """--lines MIN-MAX (or N) as (MIN, MAX)."""
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def attack_mode(args, lines: list[str]) -> int:
    """The targets of issue 33 (see the module's docstring)."""
    port = free_port()
    server = start_server(port, args.batch_chars, args.threads, args.workers)
    per_client = -(-args.total // args.clients)
    per_request = lines_per_request(args.lines)
    rounds, loads = [], []
    try:
        health = json.loads(request(port, "GET", "/health")[1])
        load_phase(port, lines, args.clients, 5, args.seed + 99, per_request)  # warm up
        time.sleep(1)
        rss_before = rss_mb(server.pid)
        background = Background(port, args.attackers, health["limits"]["body_bytes"])
        try:
            time.sleep(args.attack_seconds)
            health_alone = background.take()
            for number in range(args.rounds):
                load = load_phase(port, lines, args.clients, per_client, args.seed + number, per_request)
                loads.append(load)
                summary = round_summary(load)
                summary["health_during"] = background.take()
                time.sleep(1)
                summary["rss_mb_after"] = rss_mb(server.pid)
                rounds.append(summary)
                print(json.dumps(summary), flush=True)
        finally:
            attacks = background.close()
        probe_failures = background.failures
    finally:
        server.terminate()
        server.wait(timeout=30)

    import tagger  # after the server has gone: the check must not compete with it
    segmenter = tagger.load(threads=1)
    checks = [check_answers(load["plans"], load["results"], segmenter.segment_lines) for load in loads]
    failed, wrong = sum(c[0] for c in checks), sum(c[1] for c in checks)
    health_load = [r["health_during"] for r in rounds]
    rss = [r["rss_mb_after"] for r in rounds]
    report = {
        "machine": {"cpus": os.cpu_count(), "note": args.note},
        "server": {"model": health["model"], "threads": args.threads, "workers": args.workers, "batch_chars": args.batch_chars,
                   "limits": health["limits"]},
        "load": {"clients": args.clients, "requests_per_round": per_client * args.clients,
                 "lines_per_request": args.lines, "rounds": args.rounds},
        "attackers": args.attackers,
        "health_under_attack_alone": health_alone,
        "health_under_attack_during_load": {"p99_ms_worst_round": max(h.get("p99_ms", 0) for h in health_load)},
        "rounds": rounds,
        "attacks": attacks,
        "largest_error_answer_bytes": max(a["largest_answer_bytes"] for a in attacks.values()),
        "memory_mb": {"before_load": rss_before, "after_each_round": rss,
                      "last_minus_first_round": round(rss[-1] - rss[0], 1)},
        "failed_requests": failed, "wrong_answers": wrong, "problems": [p for c in checks for p in c[2]][:10],
        "health_failures": probe_failures[:10],
    }
    targets = {"health_p99_ms<=50 (attack alone)": health_alone.get("p99_ms", 1e9) <= 50,
               "error_answer<=4096 bytes": report["largest_error_answer_bytes"] <= 4096,
               "requests_per_s>=250 (every round)": all(r["requests_per_s"] >= 250 for r in rounds),
               "p99_ms<=250 (every round)": all(r["latency_ms"]["p99"] <= 250 for r in rounds),
               "0 errors": failed == 0 and not probe_failures,
               "rss within 100 MB of round 1": abs(rss[-1] - rss[0]) <= 100}
    report["targets_met"] = targets
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if failed == 0 and not probe_failures else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", help="UTF-8 text whose non-empty lines the requests draw from "
                                       "(default: the PKU test text under $TAGGER_CORPORA)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=50, help="requests per client")
    parser.add_argument("--malformed", type=int, default=1_000)
    parser.add_argument("--batch-chars", type=int, default=50_000,
                        help="characters the server's worker takes per model call (1: no batching)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="the server's torch threads")
    parser.add_argument("--workers", type=int, default=1, help="server processes (tagger serve --workers)")
    parser.add_argument("--attackers", type=int, default=0,
                        help="clients sending oversized and invalid requests throughout (the targets' mode)")
    parser.add_argument("--rounds", type=int, default=4, help="load rounds, with --attackers")
    parser.add_argument("--total", type=int, default=3_000, help="requests per round, with --attackers")
    parser.add_argument("--lines", default="1-20", help="lines per request, MIN-MAX")
    parser.add_argument("--attack-seconds", type=float, default=15,
                        help="seconds of attack alone before the load, with --attackers")
    parser.add_argument("--note", default="", help="a word on the machine (shared, idle, ...) for the JSON")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)

    lines = [line for line in Path(args.text or pku_test()).read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.attackers:
        return attack_mode(args, lines)
    port = free_port()
    server = start_server(port, args.batch_chars, args.threads, args.workers)
    try:
        health = json.loads(request(port, "GET", "/health")[1])
        load = load_phase(port, lines, args.clients, args.requests, args.seed, lines_per_request(args.lines))
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
        "server": {"model": health["model"], "default_standard": health["default_standard"], "threads": args.threads,
                   "workers": args.workers, "batch_chars": args.batch_chars, "cpus": os.cpu_count()},
        "load": {"clients": args.clients, "lines_per_request": args.lines, "requests": requests_sent,
                 "lines": lines_sent, "chars": chars,
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
