"""tagger: BiLSTM sequence labeling for Chinese word segmentation.

    import tagger
    tagger.lcut("我喜欢苹果")          # default model, shipped in the package
    seg = tagger.load("my.model")      # load once, segment many
    seg.segment_lines(lines)
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

__version__ = "0.1.0"

DEFAULT_MODEL = Path(__file__).parent / "data" / "default.model"

_default = None
_default_lock = threading.Lock()


def load(path: str | None = None):
    """A `Segmenter` from a model file (the shipped default model when path is None)."""
    from .modelio import load_model
    return load_model(DEFAULT_MODEL if path is None else path)


def default_segmenter():
    """The shipped model, loaded on first use and shared afterwards."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = load()
    return _default


def cut(text: str) -> Iterator[str]:
    """Words of `text` with the default model, as a generator (like jieba.cut)."""
    return default_segmenter().cut(text)


def lcut(text: str) -> list[str]:
    """Words of `text` with the default model, as a list (like jieba.lcut)."""
    return default_segmenter().lcut(text)


__all__ = ["__version__", "load", "cut", "lcut", "default_segmenter", "DEFAULT_MODEL"]
