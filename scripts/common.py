"""What the scripts share: the repository root, the PKU test files, a free port, a child process's wall time and
peak memory, mean ± std, the command line, machine and precision a result records, and error reporting for `main`.

Run the scripts from the repository root as modules (`python -m scripts.bench.bench_speed ...`),
so that `scripts` and `tagger` import from the checkout without any sys.path edit.
"""
from __future__ import annotations

import os
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from tagger.corpora import corpora_root

ROOT = Path(__file__).resolve().parent.parent


def pku_test() -> Path:
    """The raw SIGHAN 2005 PKU test text, the default input of the speed and memory benchmarks."""
    return corpora_root() / "sighan2005" / "pku_test.utf8"


def pku_gold() -> Path:
    """Its gold segmentation."""
    return corpora_root() / "sighan2005" / "pku_test_gold.utf8"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a script starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_lines(path: str | os.PathLike) -> list[str]:
    """A text file's lines, without line ends (a UTF-8 BOM dropped)."""
    with open(path, encoding="utf-8-sig") as handle:
        return [line.rstrip("\r\n") for line in handle]


@dataclass
class Child:
    """A finished child process: exit status, wall seconds, its own peak RSS and its output."""
    returncode: int
    seconds: float
    peak_mb: int
    stdout: bytes = b""
    stderr: bytes = b""
    tree_peak_mb: int = 0  # with tree=True: the peak of the resident memory of it and its children together


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants together, in kB, from /proc (0 when gone)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            own = next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
        children = [int(c) for task in os.listdir(f"/proc/{pid}/task")
                    for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
    except (OSError, ValueError):
        return 0
    return own + sum(tree_rss_kb(child) for child in children)


def run_child(argv: Sequence[str], stdin: Optional[bytes] = None, capture: bool = False,
              cwd: Optional[str | os.PathLike] = None, env: Optional[dict] = None, tree: bool = False) -> Child:
    """Run ARGV to its end and measure it. The peak RSS is the child's own (`os.wait4` reads the
    rusage of that one process, not of this parent or of other children); start the child from a
    small parent, since Linux counts the parent's memory at fork time in the child's peak. stdout
    and stderr are read when `capture`, else dropped (stderr kept on the terminal). With `tree`,
    the memory of the child and its worker processes together is sampled every 20 ms too."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE if capture else None)
    chunks: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=name, s=stream: chunks.__setitem__(n, s.read()))
               for name, stream in (("out", proc.stdout), ("err", proc.stderr)) if stream is not None]
    tree_peak = [0]
    if tree:
        def sample() -> None:
            # until it exits, seen without reaping it (WNOWAIT): wait4 below must read its rusage
            while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                tree_peak[0] = max(tree_peak[0], tree_rss_kb(proc.pid))
                time.sleep(0.02)
        readers.append(threading.Thread(target=sample, daemon=True))
    for reader in readers:  # read both pipes at once, so that neither fills up and blocks the child
        reader.start()
    if stdin is not None:
        try:
            proc.stdin.write(stdin)
        except BrokenPipeError:  # the child exited without reading all of it
            pass
        proc.stdin.close()
    for reader in readers:
        reader.join()
    _, status, usage = os.wait4(proc.pid, 0)  # not proc.wait(): that reaps the child without its rusage
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Child(proc.returncode, time.perf_counter() - start, usage.ru_maxrss // 1024,
                 chunks.get("out", b""), chunks.get("err", b""), tree_peak[0] // 1024)


def run_tagger(args: Sequence[str], **kwargs) -> Child:
    """`python -m tagger ARGS` in a child process, measured as `run_child` measures."""
    return run_child([sys.executable, "-m", "tagger", *args], **kwargs)


def measure_tagger(args: Sequence[str], stdin: Optional[bytes] = None) -> tuple[float, int]:
    """(wall seconds, peak RSS MB) of `python -m tagger ARGS`, its output dropped; exits if it fails."""
    done = run_tagger(args, stdin=stdin)
    if done.returncode:
        raise SystemExit(f"tagger {' '.join(args)} failed with status {done.returncode}")
    return done.seconds, done.peak_mb


def mean_std(values: Sequence[float]) -> dict:
    """{"mean", "std"} of VALUES: the sample standard deviation, 0 for a single value."""
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def command_line(module: str, argv: Sequence[str]) -> str:
    """The command a result records: `python -m MODULE ARGV...`, quoted for a shell."""
    return shlex.join(["python", "-m", module, *argv])


def precision_of(tagger_model) -> str:
    """The number format a loaded model's network computes in: "bfloat16" where the torch engine
    took it (`precision` auto on a CPU with native bfloat16), else "float32"."""
    return "bfloat16" if getattr(tagger_model.model, "bfloat16_inference", False) else "float32"


def machine() -> dict:
    """The CPU a speed figure was measured on (speeds differ by a half between 2-core machines
    of this project's: record which one gave each figure)."""
    from tagger.engine import native_bfloat16
    name = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            name = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": name, "cores": os.cpu_count(), "native_bfloat16": native_bfloat16()}


def reporting_errors(name: str, run: Callable[[], int]) -> int:
    """RUN's exit status; a TaggerError or OSError becomes one line on stderr and status 1."""
    from tagger.errors import TaggerError
    try:
        return run()
    except TaggerError as err:
        print(f"{name}: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"{name}: error: {err.filename or ''}: {err.strerror}", file=sys.stderr)
        return 1
