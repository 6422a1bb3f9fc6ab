"""Which inference engine and device a run uses, decided before any model is loaded.

Why apart from the commands: the choice depends on the input's size and must be made before
torch is imported (the numpy engine never imports it, and the torch engine's memory setting
only takes effect before the import).
"""
from __future__ import annotations

import os

from .errors import TaggerError
from .memory import one_heap_arena

AUTO_NUMPY_BYTES = 256_000  # engine "auto": smaller inputs skip the torch import
ENGINES = ("auto", "torch", "numpy")


def choose_engine(engine: str, path: str, device: str = "cpu", precision: str = "auto") -> str:
    """"torch" or "numpy" for `engine` ("auto", "torch" or "numpy") reading `path` ("-": stdin).

    auto takes numpy where the start-up it saves outweighs its slower tagging: stdin and files
    under AUTO_NUMPY_BYTES on the CPU (docs/cli.md); torch for bigger files, any GPU, and
    precision bfloat16 (which only torch computes).
    """
    if engine != "auto":
        return engine
    if device != "cpu" or precision == "bfloat16":
        return "torch"
    try:
        small = path == "-" or os.path.getsize(path) < AUTO_NUMPY_BYTES
    except OSError:
        small = True  # the reader reports the missing file
    return "numpy" if small else "torch"


def lean_memory(engine: str = "torch") -> None:
    """Keep a long run's memory flat in the input's size (torch engine); call before torch is imported.

    Why: oneDNN caches a compiled kernel for every new batch shape (1,024 by default), so peak
    memory grew with the input; a 4-entry cache keeps it flat at the same speed (the numpy
    engine stays flat by itself). Besides, inference batches come in a few fixed shapes
    (encode.shaped_batches), and every thread allocates from one heap arena (memory.one_heap_arena).
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
