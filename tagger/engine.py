"""Which inference engine and device a run uses, decided before any model is loaded.

Why apart from the commands: the choice depends on the input's size and must be made before
torch is imported (the numpy engine never imports it, and the torch engine's memory setting
only takes effect before the import).
"""
from __future__ import annotations

import os
import threading

from .errors import TaggerError
from .memory import one_heap_arena

AUTO_NUMPY_BYTES = 256_000  # engine "auto": smaller inputs skip the torch import
AUTO_JOBS_BYTES = 2_000_000  # jobs "auto": larger files are shared among worker processes
MAX_AUTO_PROCESSES = 4  # worker processes "auto" starts at most (segment --jobs, serve --workers): each holds a model
ENGINES = ("auto", "torch", "numpy")


def choose_engine(engine: str, path: str, device: str = "cpu", precision: str = "auto",
                  torch_from_bytes: int | None = AUTO_NUMPY_BYTES) -> str:
    """"torch" or "numpy" for `engine` ("auto", "torch" or "numpy") reading `path` ("-": stdin).

    auto takes numpy where the start-up it saves outweighs its slower tagging: stdin and files
    under AUTO_NUMPY_BYTES on the CPU (docs/cli.md), and at any size for a network whose numpy
    form is the faster (`torch_from_bytes` None: the network table's measure, tagger/networks.py);
    torch for bigger files, any GPU, precision bfloat16 (which only torch computes) and a model
    only torch runs (`torch_from_bytes` 0).
    """
    if engine != "auto":
        return engine
    if device != "cpu" or precision == "bfloat16" or torch_from_bytes == 0:
        return "torch"
    if torch_from_bytes is None:
        return "numpy"
    try:
        small = path == "-" or os.path.getsize(path) < torch_from_bytes
    except OSError:
        small = True  # the reader reports the missing file
    return "numpy" if small else "torch"


def choose_jobs(jobs: int | None, path: str, device: str = "cpu", threads: int | None = None) -> int:
    """Worker processes for `jobs` (None: auto) reading `path` ("-": stdin).

    auto gives a file over AUTO_JOBS_BYTES one worker per thread the run may use (`threads`,
    else $TAGGER_THREADS, else the cores free now; tagger/threads.py; at most MAX_AUTO_PROCESSES,
    as each worker holds its own model and engine in memory), each with one thread:
    the networks' Python steps (cutting, encoding, decoding, words) hold the interpreter's lock,
    so threads in one process share one core for them, and worker processes do not. Smaller
    files, stdin (its size is unknown) and GPUs keep one process: starting a worker and loading
    the model in it costs about what a core segments in a second.
    """
    if jobs is not None:
        return jobs
    if device != "cpu":
        return 1
    try:
        large = path != "-" and os.path.getsize(path) >= AUTO_JOBS_BYTES
    except OSError:
        return 1  # the reader reports the missing file
    if not large:
        return 1
    from .threads import thread_count
    return min(thread_count(threads), MAX_AUTO_PROCESSES)


def lean_memory(engine: str = "torch") -> None:
    """Keep a long run's memory flat in the input's size (torch engine); call before torch is imported.

    Why: oneDNN caches a compiled kernel for every new batch shape (1,024 by default), so peak
    memory grew with the input; a 4-entry cache keeps it flat at the same speed (the numpy
    engine stays flat by itself). Besides, inference batches come in a few fixed shapes
    (batching.shaped_batches), and every thread allocates from one heap arena (memory.one_heap_arena).
    The figures: docs/speed.md, "Memory of a stream".
    """
    if engine == "torch":
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "4")
        one_heap_arena()


PRECISIONS = ("auto", "float32", "bfloat16")
_NATIVE_BFLOAT16_FLAGS = {"avx512_bf16", "amx_bf16"}  # x86 instructions that multiply bfloat16 in hardware


def native_bfloat16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bfloat16 numbers in hardware (AVX512-BF16 or AMX, read from
    Linux's cpuinfo; False where that cannot be read). Elsewhere bfloat16 is emulated, slower
    than float32."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return not _NATIVE_BFLOAT16_FLAGS.isdisjoint(line.split(":", 1)[-1].split())
    except OSError:
        pass
    return False


def choose_precision(precision: str, engine: str = "torch") -> str:
    """"float32" or "bfloat16", the number format a BiLSTM runs its layers in, for `precision`
    ("auto", "float32" or "bfloat16").

    auto takes bfloat16 on the torch engine where the CPU computes it natively: the shipped
    model's BiLSTM then runs 1.5 times as fast, and its words differ from float32's on about 1%
    of lines, with the same F1 to within 0.0003 on six test sets (docs/speed.md). Elsewhere, and
    always on the numpy engine, float32. Training, evaluation and distillation use float32, so
    their figures are the same on every machine.
    """
    if precision not in PRECISIONS:
        raise TaggerError(f"unknown precision {precision!r}; choose {', '.join(PRECISIONS)}")
    if engine == "numpy":
        if precision == "bfloat16":
            raise TaggerError("the numpy engine computes in float32 only (use --engine torch for bfloat16)")
        return "float32"
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


def check_device(name: str) -> str:
    """`name` (cpu, cuda, cuda:N) when usable here, checked up front so that a missing GPU is a
    one-line error rather than a traceback from deep inside torch."""
    if name == "cpu":
        return name
    import torch
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TaggerError(f"--device {name}: no CUDA GPU is available here (torch {torch.__version__})")
    try:
        torch.device(name)
    except RuntimeError:
        raise TaggerError(f"--device {name}: not a device name (cpu, cuda, cuda:N)") from None
    return name


class AutoNetwork:
    """Engine "auto" of the API (`tagger.load()`): the numpy network until the characters tagged
    reach `switch_chars`, then the torch network, built on that call from the same file.

    Why: a first `tagger.lcut(...)` on a sentence should not pay torch's import (about a second,
    and a few hundred MB); a long job should get torch's faster layers where they are faster.
    Both compute in float32, so the words do not depend on which one ran (the PKU test text's
    output is byte-identical through both). `switch_chars` comes from the network table
    (tagger/networks.py, as measured); None: numpy stays, torch is never faster for it.

    Whatever the torch network has and this class does not (its layers, parameters, `embed`
    for `tagger explain`, `__call__`) is taken from it, building it on first use; `to(device)`
    with a GPU moves to torch for good."""

    def __init__(self, numpy_network, build_torch, switch_chars: int | None):
        self._numpy, self._build_torch, self.switch_chars = numpy_network, build_torch, switch_chars
        self._torch = None
        self._building = threading.Lock()  # a server's threads build it once
        self.tagged = 0

    @property
    def engine(self) -> str:
        """The engine the next batch runs on: "numpy" or "torch"."""
        return "numpy" if self._torch is None else "torch"

    @property
    def in_use(self):
        """The network the next batch runs on (tagger/batch_threads.py asks which engine it is)."""
        return self._numpy if self._torch is None else self._torch

    def torch_network(self):
        """The torch network (imports torch and builds it on the first call)."""
        with self._building:
            if self._torch is None:
                self._torch = self._build_torch()
        return self._torch

    def log_probs(self, inputs):
        """Tag log-probabilities of a padded numpy batch, from the engine in use."""
        if self._torch is None and self.switch_chars is not None:
            self.tagged += int(inputs.lengths.sum())
            if self.tagged >= self.switch_chars:
                self.torch_network()
        return (self._numpy if self._torch is None else self._torch).log_probs(inputs)

    def crf_scores(self):
        return self._numpy.crf_scores()

    def eval(self):
        return self

    def to(self, device):
        """The CPU keeps the engine choice; a GPU takes the torch network there."""
        if str(device) != "cpu":
            self.torch_network().to(device)
        return self

    def __call__(self, *args, **kwargs):
        return self.torch_network()(*args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.torch_network(), name)
