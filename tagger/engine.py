"""Which inference engine and device a run uses, decided before any model is loaded.

Why apart from the commands: the choice depends on the input's size and must be made before
torch is imported (the numpy engine never imports it, and the torch engine's memory setting
only takes effect before the import).
"""
from __future__ import annotations

import os

from .errors import TaggerError

AUTO_NUMPY_BYTES = 256_000  # engine "auto": smaller inputs skip the torch import
ENGINES = ("auto", "torch", "numpy")


def choose_engine(engine: str, path: str, device: str = "cpu") -> str:
    """"torch" or "numpy" for `engine` ("auto", "torch" or "numpy") reading `path` ("-": stdin).

    auto takes numpy where the start-up it saves outweighs its slower tagging: stdin and files
    under AUTO_NUMPY_BYTES on the CPU (docs/cli.md); torch for bigger files and any GPU.
    """
    if engine != "auto":
        return engine
    if device != "cpu":
        return "torch"
    try:
        small = path == "-" or os.path.getsize(path) < AUTO_NUMPY_BYTES
    except OSError:
        small = True  # the reader reports the missing file
    return "numpy" if small else "torch"


def lean_memory(engine: str = "torch") -> None:
    """Keep a long run's memory flat in the input's size (torch engine); call before torch is imported.

    Measured with python -m scripts.bench.stream_memory: peak RSS grew from 545 MB on a 2 MB input to 706 MB
    on 20 MB, because oneDNN caches a compiled kernel for every new batch shape (1,024 by
    default). With a 4-entry cache: 409 and 410 MB, at the same speed. (The numpy engine stays
    flat by itself: 218 MB on both.)
    """
    if engine == "torch":
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "4")


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
