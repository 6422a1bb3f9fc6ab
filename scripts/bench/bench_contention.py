#!/usr/bin/env python
"""Segmentation speed under load: each way of running tagger, idle and beside busy processes.

A user's server or notebook is rarely idle, and default settings are what users get, so this
times the same segmentation with default settings on an idle machine, then beside one and two
CPU-bound busy processes (`python -c "while True: pass"`) that the script starts and stops
itself. Each figure is idle time / loaded time: 0.5 beside one busy process is a fair share of
a 2-core machine. Targets: at least 0.5 with one busy process, at least 0.3 with two.

Every run is a fresh process, started while the busy processes run, so the thread policy
(tagger/threads.py, which samples the free cores at load) sees the load a user's process
would. The thread variables (TAGGER_THREADS, OMP_NUM_THREADS, ...) are removed from the
children's environment, so the defaults are measured whatever this shell sets. Python API
rows time only `segment_lines` (warm: one call on the first 20 lines first; import and load are
not timed); command-line rows time the whole `tagger segment FILE` command. Each figure is the
best of --repeats runs (the least disturbed one); the runs of one level alternate between the
ways, so a drift of the machine hits them alike. The `--threads 1` row is a reference: its
ratios are taken against the idle time of the default command (`--engine torch`), to show how
close the default comes to the best fixed setting.

Run it with nothing else on the machine (it warns when the idle baseline is not idle):

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.bench.bench_contention

Prints a table and writes the raw seconds, ratios, core count and command as JSON (--json).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from scripts.common import ROOT, command_line, pku_test, read_lines, reporting_errors
from tagger.files import check_writable, write_json
from tagger.errors import TaggerError
from tagger.threads import available_cores, free_cores

LEVELS = (0, 1, 2)  # busy processes beside the runs; 0 is the idle baseline
TARGETS = {1: 0.5, 2: 0.3}  # idle time / loaded time, at least
DEFAULT_JSON = "results/contention/contention.json"
QUICK_JSON = "results/contention/contention_quick.json"
QUICK_LINES = 200
WARM_UP_LINES = 20  # as scripts/bench/bench_speed.py warms up
BUSY_SETTLE_SECONDS = 0.5  # long enough for the busy processes to be running when a run samples the load
IDLE_SAMPLE_SECONDS = 0.5
THREAD_VARIABLES = ("TAGGER_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

# One timed API run: load, warm up, time segment_lines over all lines, print the figures as JSON.
API_CHILD = """
import json, sys, time
import tagger
path, engine, model, warm_up = sys.argv[1], sys.argv[2], sys.argv[3] or None, int(sys.argv[4])
with open(path, encoding="utf-8-sig") as handle:
    lines = [line.rstrip("\\r\\n") for line in handle]
segmenter = tagger.load(model, engine=engine)
segmenter.segment_lines(lines[:warm_up])
start = time.perf_counter()
segmenter.segment_lines(lines)
seconds = time.perf_counter() - start
from threadpoolctl import threadpool_info
pools = {pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()}
if "torch" in sys.modules:
    pools["torch"] = sys.modules["torch"].get_num_threads()
print(json.dumps({"seconds": seconds, "threads": pools}))
"""


@dataclass(frozen=True)
class Way:
    """One row: how tagger is run, and whose idle time its ratios are taken against."""

    key: str
    label: str
    kind: str  # "api" or "cli"
    engine: str
    cli_args: tuple[str, ...] = ()
    baseline: Optional[str] = None  # another way's key; None: its own idle time

    @property
    def baseline_key(self) -> str:
        return self.baseline or self.key

    @property
    def shown(self) -> str:
        """The call or command as a user would write it."""
        if self.kind == "api":
            engine = "" if self.engine == "torch" else f'engine="{self.engine}"'
            return f"tagger.load({engine}).segment_lines(lines)"
        return shlex.join(["tagger", "segment", "FILE", *self.cli_args])

    @property
    def title(self) -> str:
        return f"{self.label}: `{self.shown}`"


WAYS = (
    Way("api-torch", "Python API, torch engine", "api", "torch"),
    Way("api-numpy", "Python API, numpy engine", "api", "numpy"),
    Way("cli-torch", "command line, torch engine (the default for big files)", "cli", "torch", ("--engine", "torch")),
    Way("cli-numpy", "command line, numpy engine", "cli", "numpy", ("--engine", "numpy")),
    Way("cli-threads1", "reference, one thread", "cli", "torch", ("--engine", "torch", "--threads", "1"),
        baseline="cli-torch"),
)


# -- busy processes ----------------------------------------------------------------------------
def _die_with_parent() -> None:
    """In a busy child before exec: have Linux kill it if this script dies unannounced (kill -9),
    where no finally block can run."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_busy(count: int) -> list[subprocess.Popen]:
    """`count` CPU-bound processes that spin until killed."""
    processes: list[subprocess.Popen] = []
    try:
        for _ in range(count):
            processes.append(subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent))
    except BaseException:
        stop_busy(processes)
        raise
    return processes


def stop_busy(processes: Sequence[subprocess.Popen]) -> None:
    """Kill and reap every process, also the ones that already ended."""
    for process in processes:
        if process.poll() is None:
            process.kill()
    for process in processes:
        process.wait()


@contextlib.contextmanager
def busy_processes(count: int, settle_seconds: float = BUSY_SETTLE_SECONDS) -> Iterator[list[subprocess.Popen]]:
    """`count` busy processes for the length of the block; gone after it, however it ends
    (an error, Ctrl-C, or SIGTERM once `main` turned it into SystemExit)."""
    processes = start_busy(count)
    try:
        if count:
            time.sleep(settle_seconds)
        yield processes
    finally:
        stop_busy(processes)


# -- runs --------------------------------------------------------------------------------------
def child_environment() -> dict[str, str]:
    """This environment without the thread variables (so defaults are measured), with this
    checkout first on the path (so the children run the code this script belongs to)."""
    env = {name: value for name, value in os.environ.items() if name not in THREAD_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def child_command(way: Way, text: str, model: Optional[str]) -> list[str]:
    """The argv of one run of `way` on the file `text`."""
    if way.kind == "api":
        return [sys.executable, "-c", API_CHILD, text, way.engine, model or "", str(WARM_UP_LINES)]
    model_args = ["--model", model] if model else []
    return [sys.executable, "-m", "tagger", "segment", text, *way.cli_args, *model_args]


def failure(way: Way, returncode: int, stderr: str) -> TaggerError:
    last = (stderr.strip().splitlines() or ["no message"])[-1]
    return TaggerError(f"{way.key} failed with status {returncode}: {last}")


def run_once(way: Way, text: str, model: Optional[str]) -> dict:
    """{"seconds": ..., "threads": ...} of one run in a fresh process: the segmentation alone for
    an API way, the whole command for a command-line way (its threads are not visible: None)."""
    start = time.perf_counter()
    done = subprocess.run(child_command(way, text, model), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, env=child_environment())
    wall = time.perf_counter() - start
    if done.returncode:
        raise failure(way, done.returncode, done.stderr)
    if way.kind == "cli":
        return {"seconds": wall, "threads": None}
    return json.loads(done.stdout.strip().splitlines()[-1])


RunOne = Callable[[Way], dict]


def measure_level(ways: Sequence[Way], busy: int, repeats: int, run_one: RunOne,
                  log: Callable[[str], None]) -> dict[str, list[dict]]:
    """Every way `repeats` times beside `busy` busy processes, round robin: {key: [runs]}."""
    runs: dict[str, list[dict]] = {way.key: [] for way in ways}
    with busy_processes(busy):
        for repeat in range(repeats):
            for way in ways:
                run = run_one(way)
                runs[way.key].append(run)
                log(f"{busy} busy, {way.key}, run {repeat + 1}/{repeats}: {run['seconds']:.2f} s")
    return runs


def measure(ways: Sequence[Way], repeats: int, run_one: RunOne,
            log: Callable[[str], None]) -> dict[int, dict[str, list[dict]]]:
    """{busy count: {key: [runs]}} for the idle baseline, then one and two busy processes."""
    return {busy: measure_level(ways, busy, repeats, run_one, log) for busy in LEVELS}


# -- figures -----------------------------------------------------------------------------------
def best_seconds(runs: dict[int, dict[str, list[dict]]]) -> dict[int, dict[str, float]]:
    """The fastest run of each way at each level."""
    return {busy: {key: min(run["seconds"] for run in way_runs) for key, way_runs in level.items()}
            for busy, level in runs.items()}


def ratios(best: dict[int, dict[str, float]], way: Way) -> dict[int, float]:
    """Idle time of the way's baseline / the way's loaded time, at each busy level."""
    idle = best[0][way.baseline_key]
    return {busy: round(idle / level[way.key], 3) for busy, level in best.items() if busy}


def verdict(busy: int, ratio: float) -> str:
    return "met" if ratio >= TARGETS[busy] else "below"


def format_table(ways: Sequence[Way], best: dict[int, dict[str, float]]) -> str:
    """A markdown table: idle seconds, then each busy level's seconds and ratio against its target."""
    header = ["how it was run", "idle"]
    for busy in LEVELS[1:]:
        header += [f"{busy} busy", f"idle/loaded (target >= {TARGETS[busy]})"]
    rows = [header, ["---"] * len(header)]
    for way in ways:
        row = [way.title + (" *" if way.baseline else ""), f"{best[0][way.key]:.2f} s"]
        for busy, ratio in ratios(best, way).items():
            row += [f"{best[busy][way.key]:.2f} s", f"{ratio:.2f} {verdict(busy, ratio)}"]
        rows.append(row)
    lines = ["| " + " | ".join(cells) + " |" for cells in rows]
    by_key = {way.key: way for way in WAYS}
    for way in ways:
        if way.baseline:
            lines.append(f"* {way.key}: ratios against the idle time of `{by_key[way.baseline].shown}`")
    return "\n".join(lines)


def report(command: str, text: dict, ways: Sequence[Way], runs: dict[int, dict[str, list[dict]]],
           idle_busy_cores: int, repeats: int, quick: bool, model: Optional[str]) -> dict:
    """Everything the table is made of, and what is needed to judge or repeat it."""
    best = best_seconds(runs)
    return {
        "command": command,
        "quick": quick,
        "cores": {"machine": os.cpu_count(), "available": available_cores()},
        "busy_cores_before_idle_baseline": idle_busy_cores,
        "text": text,
        "model": model,
        "repeats": repeats,
        "targets": {str(busy): target for busy, target in TARGETS.items()},
        "ways": {way.key: {
            "title": way.label,
            "run": way.shown,
            "ratio_baseline": way.baseline_key,
            "seconds": {str(busy): [round(run["seconds"], 4) for run in runs[busy][way.key]] for busy in LEVELS},
            "threads": {str(busy): [run["threads"] for run in runs[busy][way.key]] for busy in LEVELS},
            "best_seconds": {str(busy): round(best[busy][way.key], 4) for busy in LEVELS},
            "ratios": {str(busy): ratio for busy, ratio in ratios(best, way).items()},
        } for way in ways},
    }


# -- command line ------------------------------------------------------------------------------
def choose_ways(names: Optional[str]) -> list[Way]:
    """The ways named in a comma-separated list, in the table's order; all when None. A way whose
    ratios are taken against another's idle time brings that one along."""
    known = {way.key: way for way in WAYS}
    if names is None:
        return list(WAYS)
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    unknown = sorted(wanted - set(known))
    if unknown or not wanted:
        raise TaggerError(f"unknown way {', '.join(unknown) or repr(names)}; known: {', '.join(known)}")
    wanted |= {known[name].baseline for name in wanted if known[name].baseline}
    return [way for way in WAYS if way.key in wanted]


def default_text() -> Path:
    return pku_test()


def read_text(path: Path, quick: bool, given: bool = True) -> list[str]:
    """The text's lines (the first QUICK_LINES with --quick); `given`: named by --text, not the default."""
    if not path.is_file():
        where = "" if given else " (set TAGGER_CORPORA or give --text)"
        raise TaggerError(f"{path}: no such text file{where}")
    lines = read_lines(path)
    return lines[:QUICK_LINES] if quick else lines


def prepare_output(path: str) -> None:
    """Create the output's folders and fail now, not after the whole measurement, if it cannot be written."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    check_writable(path)


def idle_busy_cores(log: Callable[[str], None]) -> int:
    """Cores' worth of work other processes do now; warns when the idle baseline would not be idle."""
    busy = available_cores() - free_cores(IDLE_SAMPLE_SECONDS)
    if busy:
        log(f"warning: about {busy} core(s) already busy; the idle baseline is not idle and the "
            "ratios are not a valid measurement")
    return busy


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", help="raw text to segment (default: $TAGGER_CORPORA/sighan2005/pku_test.utf8)")
    parser.add_argument("--repeats", type=int, help="runs per way and level, the best kept (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: the first {QUICK_LINES} lines, 1 repeat, JSON to {QUICK_JSON}")
    parser.add_argument("--ways", help="comma-separated subset of: " + ", ".join(way.key for way in WAYS))
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--json", help=f"write the figures here (default: {DEFAULT_JSON})")
    return parser


def log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace, command: str) -> int:
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if repeats < 1:
        raise TaggerError("--repeats must be at least 1")
    if args.model and not Path(args.model).is_file():
        raise TaggerError(f"{args.model}: no such model file")
    ways = choose_ways(args.ways)
    path = Path(args.text) if args.text else default_text()
    lines = read_text(path, args.quick, given=bool(args.text))
    output = args.json or (QUICK_JSON if args.quick else DEFAULT_JSON)
    prepare_output(output)
    text = {"path": str(path), "lines": len(lines), "chars": sum(map(len, lines))}
    with tempfile.TemporaryDirectory(prefix="bench_contention.") as folder:
        segmented = Path(folder) / path.name
        segmented.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        busy_before = idle_busy_cores(log_to_stderr)
        runs = measure(ways, repeats, lambda way: run_once(way, str(segmented), args.model), log_to_stderr)
    data = report(command, text, ways, runs, busy_before, repeats, args.quick, args.model)
    print(format_table(ways, best_seconds(runs)))
    write_json(output, data)
    log_to_stderr(f"written to {output}")
    return 0


def _exit_on_sigterm(signum: int, frame) -> None:
    """SIGTERM as SystemExit, so the finally blocks kill the busy processes."""
    raise SystemExit(128 + signum)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    command = command_line("scripts.bench.bench_contention", argv)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return reporting_errors("bench_contention", lambda: run(args, command))
    except KeyboardInterrupt:
        print("bench_contention: interrupted; the busy processes are stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
