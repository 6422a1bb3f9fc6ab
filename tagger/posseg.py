"""jieba.posseg's interface over a joint segmentation + POS model (the shipped one by default).

    import tagger.posseg as pseg
    for word, flag in pseg.cut("我们喜欢北京"):
        print(word, flag)               # 我们 r / 喜欢 v / 北京 ns

Flags are the PKU (People's Daily 1998) tag set the shipped model learned. Every character of
the input comes back: whitespace runs, which the model never tags, are pairs with flag "x"
(jieba's flag for non-words).
"""
from __future__ import annotations

import os
import threading
from typing import Iterator, NamedTuple

from .errors import TaggerError

WHITESPACE_FLAG = "x"


class pair(NamedTuple):  # noqa: N801 (jieba.posseg's name)
    """A word and its POS flag; unpacks as (word, flag) and prints as word/flag, as jieba's."""
    word: str
    flag: str

    def __str__(self) -> str:
        return f"{self.word}/{self.flag}"


class POSTokenizer:
    """jieba.posseg.POSTokenizer's cut/lcut over a tagger POS model, loaded on first use."""

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
        from . import POS_MODEL, load
        path = POS_MODEL if self.model_path is None else self.model_path
        segmenter = load(path)
        if segmenter.task.name != "pos":
            raise TaggerError(f"{path}: a {segmenter.task.name} model; posseg needs a joint "
                              f"segmentation + POS model (train one with --task pos)")
        return segmenter

    def cut(self, sentence: str, HMM: bool = True) -> Iterator[pair]:  # noqa: N803
        """(word, flag) pairs covering `sentence` in order. HMM is accepted and ignored."""
        at = 0
        for start, end, label in self.segmenter.label_lines([sentence])[0]:
            if start > at:
                yield pair(sentence[at:start], WHITESPACE_FLAG)
            yield pair(sentence[start:end], label)
            at = end
        if at < len(sentence):
            yield pair(sentence[at:], WHITESPACE_FLAG)

    def lcut(self, sentence: str, HMM: bool = True) -> list[pair]:  # noqa: N803
        return list(self.cut(sentence, HMM))


dt = POSTokenizer()


def cut(sentence: str, HMM: bool = True) -> Iterator[pair]:  # noqa: N803
    """(word, flag) pairs of `sentence` with the shipped POS model."""
    return dt.cut(sentence, HMM)


def lcut(sentence: str, HMM: bool = True) -> list[pair]:  # noqa: N803
    return dt.lcut(sentence, HMM)
