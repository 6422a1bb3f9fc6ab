"""A jieba-compatible front end: `Tokenizer` and the module-level functions built on it.

    import tagger as jieba          # the calls below keep working
    jieba.lcut("我来到北京清华大学")
    jieba.add_word("清华大学")
    jieba.tokenize("永和服装饰品有限公司")

Each `Tokenizer` holds its own model and user dictionary; the module functions use one shared
default `Tokenizer` (`tagger.dt`), whose model is loaded on first use.
"""
from __future__ import annotations

import os
import threading
from typing import Iterator

from .errors import TaggerError


class LazyModel:
    """A model file loaded on first use, once, even with several threads asking at once.

    Why: `import tagger` and jieba-style module functions must not pay for loading a model that
    a program may never use (jieba loads its dictionary lazily too)."""

    def __init__(self, model: str | os.PathLike | None = None):
        self.model_path = model
        self._segmenter = None
        self._lock = threading.Lock()

    @property
    def segmenter(self):
        if self._segmenter is None:
            with self._lock:
                if self._segmenter is None:
                    self._segmenter = self._load()
        return self._segmenter

    def _load(self):
        from . import load
        return load(self.model_path)

    def initialize(self) -> None:
        """Load the model now rather than on first use (jieba.initialize)."""
        _ = self.segmenter


class Tokenizer(LazyModel):
    """jieba.Tokenizer's interface over a tagger model (the shipped one by default)."""

    def cut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> Iterator[str]:  # noqa: N803
        """Words of `sentence`, as a generator. HMM is accepted for compatibility and ignored."""
        if cut_all:
            raise TaggerError("cut_all=True (jieba's full mode) is not supported; use cut_for_search")
        return self.segmenter.cut(sentence)

    def lcut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> list[str]:  # noqa: N803
        return list(self.cut(sentence, cut_all, HMM))

    def cut_for_search(self, sentence: str, HMM: bool = True) -> Iterator[str]:  # noqa: N803
        return self.segmenter.cut_for_search(sentence)

    def lcut_for_search(self, sentence: str, HMM: bool = True) -> list[str]:  # noqa: N803
        return list(self.cut_for_search(sentence))

    def tokenize(self, unicode_sentence: str, mode: str = "default", HMM: bool = True):  # noqa: N803
        """(word, start, end) tuples; mode="search" also gives known parts of long words."""
        if mode not in ("default", "search"):
            raise TaggerError(f"tokenize mode must be 'default' or 'search', not {mode!r}")
        for word, start, end in self.segmenter.tokenize(unicode_sentence):
            if mode == "search":
                for offset, part in self.segmenter.known_parts(word):
                    yield part, start + offset, start + offset + len(part)
            yield word, start, end

    def load_userdict(self, f) -> None:
        self.segmenter.load_userdict(f)

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        self.segmenter.add_word(word, freq, tag)

    def del_word(self, word: str) -> None:
        self.segmenter.del_word(word)

    def cut_series(self, series):
        """pandas: a Series of texts -> a Series of word lists (same index)."""
        return self.segmenter.segment_series(series)


dt = Tokenizer()

cut = dt.cut
lcut = dt.lcut
cut_for_search = dt.cut_for_search
lcut_for_search = dt.lcut_for_search
tokenize = dt.tokenize
load_userdict = dt.load_userdict
add_word = dt.add_word
del_word = dt.del_word
initialize = dt.initialize
cut_series = dt.cut_series
