"""How many threads the engines use: the cores that are free now, not all of them.

Why: torch's OpenMP pool and numpy's BLAS pool each start one thread per core, and their
threads spin at barriers waiting for each other. Beside another busy process on a 2-core
machine, a 2-thread pool then runs 3-12x slower than one thread does, because every step waits
for the thread that the OS has parked. One thread per free core avoids that cliff, and on an
idle machine it is still every core.

The policy (`free_cores`): the cores this process may run on (`os.sched_getaffinity`), minus
the ones other processes kept busy over a short sample of /proc/stat (Linux), at least one.
`--threads N` (`threads=N` in the API, or the TAGGER_THREADS environment variable) overrides
it, and caps every pool: torch's intra-op
pool and every BLAS / OpenMP pool that threadpoolctl finds (numpy's OpenBLAS for the numpy
engine).
"""
from __future__ import annotations

import os
import time

HELP = "threads for every pool the engine uses (default: $TAGGER_THREADS when set, else the cores free now)"
SAMPLE_SECONDS = 0.05  # long enough to see a busy core, short beside a model's load time
_chosen = 0  # the last thread count given explicitly in this process (0: none)


def _busy_and_total() -> tuple[float, float] | None:
    """(busy, total) jiffies summed over all cores from /proc/stat, or None where unreadable."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()[1:]
    except OSError:
        return None
    values = [float(v) for v in fields[:8]]
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)  # idle + iowait
    return sum(values) - idle, sum(values)


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def free_cores(sample_seconds: float = SAMPLE_SECONDS) -> int:
    """Cores not kept busy by other processes right now (at least 1, at most available_cores)."""
    cores = available_cores()
    machine = os.cpu_count() or cores
    before = _busy_and_total()
    if before is None:
        return cores
    time.sleep(sample_seconds)
    after = _busy_and_total()
    total = after[1] - before[1]
    if total <= 0:
        return cores
    busy = machine * (after[0] - before[0]) / total  # cores' worth of work done by others
    return max(1, min(cores, round(cores - busy)))


def _env_threads() -> int:
    """TAGGER_THREADS as a count (0 when unset); anything else than a positive integer is an error."""
    value = os.environ.get("TAGGER_THREADS", "").strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) < 1:
        from .errors import TaggerError
        raise TaggerError(f"TAGGER_THREADS must be a positive number of threads, not {value!r}")
    return int(value)


def thread_count(threads: int | None = None) -> int:
    """The count set_threads would give now, without setting anything."""
    return threads or _chosen or _env_threads() or free_cores()


def set_threads(threads: int | None = None, engine: str = "torch") -> int:
    """Cap the engine's thread pools at `threads` (None: the free cores now, unless a count was
    given explicitly earlier in this process: that one stands); returns the count.

    The torch engine sets torch's intra-op threads; both engines cap the BLAS and OpenMP pools
    threadpoolctl sees, so numpy's OpenBLAS follows too. The numpy engine never imports torch.
    """
    global _chosen
    if threads:
        _chosen = threads
    count = thread_count(threads)  # an explicit count set before stands
    import numpy  # noqa: F401  loaded first: threadpoolctl caps only the libraries already loaded
    if engine == "torch":
        import torch
        torch.set_num_threads(count)
    from threadpoolctl import threadpool_limits
    threadpool_limits(count)  # process-wide from here on
    return count
