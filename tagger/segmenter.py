"""`Segmenter`: the former name of `tagger.pipeline.Tagger`, kept for one release.

It is a `Tagger` that also answers the jieba-style calls (`cut`, `lcut`, `tokenize`, search
mode, user-dictionary methods, `segment_series`), which now live in `tagger.api`: use
`tagger.load(path)` for batches and `tagger.Tokenizer(model)` for jieba's calls.
"""
from __future__ import annotations

import warnings
from typing import Iterator

from . import api
from .pipeline import Tagger

__all__ = ["Segmenter"]


class Segmenter(Tagger):
    """Deprecated: a `Tagger` with the jieba-style methods of `tagger.Tokenizer`."""

    def __init__(self, *args, **kwargs):
        warnings.warn("tagger.segmenter.Segmenter is deprecated: use tagger.load() (a tagger.pipeline.Tagger) "
                      "and tagger.Tokenizer(model) for jieba-style calls", DeprecationWarning, stacklevel=2)
        super().__init__(*args, **kwargs)

    def _tokenizer(self) -> api.Tokenizer:
        return api.Tokenizer(self)

    def load_userdict(self, source) -> None:
        self.user_dict.load(source)

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        self.user_dict.add(word, freq, tag)

    def del_word(self, word: str) -> None:
        self.user_dict.remove(word)

    def cut(self, text: str, standard: str | None = None) -> Iterator[str]:
        return self._tokenizer().cut(text, standard=standard)

    def lcut(self, text: str, standard: str | None = None) -> list[str]:
        return self._tokenizer().lcut(text, standard=standard)

    def tokenize(self, text: str, standard: str | None = None) -> list[tuple[str, int, int]]:
        return list(self._tokenizer().tokenize(text, standard=standard))

    def cut_for_search(self, text: str, standard: str | None = None) -> Iterator[str]:
        return self._tokenizer().cut_for_search(text, standard=standard)

    def lcut_for_search(self, text: str, standard: str | None = None) -> list[str]:
        return self._tokenizer().lcut_for_search(text, standard=standard)

    def segment_series(self, series, standard: str | None = None):
        return api.segment_series(self, series, standard)
