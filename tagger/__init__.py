"""tagger: BiLSTM sequence labeling for Chinese word segmentation.

    import tagger
    tagger.lcut("我喜欢苹果")          # default model, shipped in the package, loaded lazily
    seg = tagger.load("my.model")      # load once, segment many
    seg.segment_lines(lines)

The module-level functions follow jieba's (cut, lcut, cut_for_search, tokenize, add_word,
load_userdict, ...); see tagger/api.py. `tagger.posseg` follows jieba.posseg with the shipped
joint segmentation + POS model, `tagger.analyse` jieba.analyse's keyword extraction. For code
written against jieba, `tagger.install_as_jieba()` makes `import jieba` give tagger.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

__version__ = "0.1.0"

DEFAULT_MODEL = Path(__file__).parent / "data" / "default.model"
POS_MODEL = Path(__file__).parent / "data" / "pos.model"  # joint segmentation + POS (tagger.posseg)
FAST_MODEL = Path(__file__).parent / "data" / "fast.model"  # distilled from the default: `load("fast")`


def load(path: "str | os.PathLike | Sequence[str | os.PathLike] | None" = None, engine: str = "torch",
         threads: "int | None" = None, precision: str = "auto"):
    """A `Tagger` (tagger/pipeline.py) from a model file (the shipped default model when path is None), or from a
    list of model files trained alike: an ensemble, the mean of their tag probabilities.
    "default" and "fast" name the shipped models (fast: a small student distilled from the
    default, docs/speed.md).

    engine="numpy" runs inference without importing torch (faster start, less memory).
    threads caps the engine's thread pools; None takes the cores free now (TAGGER_THREADS
    overrides), so a busy machine does not slow segmentation down many times (tagger/threads.py).
    precision="auto" runs a BiLSTM in bfloat16 where the CPU computes it natively (about 1.5
    times as fast; the words differ on about 1% of lines), else float32; "float32" gives the
    same words on every machine (tagger/engine.py, docs/speed.md)."""
    from .threads import set_threads
    set_threads(threads, engine)
    if isinstance(path, (list, tuple)):
        if len(path) > 1:
            from .ensemble import load_ensemble
            return load_ensemble(path, engine, precision)
        path = path[0] if path else None
    from .modelio import load_model
    return load_model(DEFAULT_MODEL if path is None else path, engine, precision)


from .api import (Tokenizer, add_word, cut, cut_for_search, cut_series, del_word, dt,  # noqa: E402
                  initialize, lcut, lcut_for_search, load_userdict, tokenize)

def __getattr__(name: str):
    """Heavier entry points load on first use, so `import tagger` stays fast."""
    if name == "cross_validate":
        from .cv import cross_validate
        return cross_validate
    if name == "install_as_jieba":
        from .jieba_compat import install_as_jieba
        return install_as_jieba
    if name == "analyse":
        import importlib
        return importlib.import_module(".analyse", __name__)  # `from . import` would recurse here
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")


__all__ = ["cross_validate", "install_as_jieba", "analyse", "__version__", "DEFAULT_MODEL", "POS_MODEL", "FAST_MODEL", "load",
           "Tokenizer", "dt", "cut", "lcut", "cut_for_search",
           "lcut_for_search", "tokenize", "load_userdict", "add_word", "del_word", "initialize", "cut_series"]
