"""jieba.posseg's interface over a joint segmentation + POS model (the shipped one by default).

    import tagger.posseg as pseg
    for word, flag in pseg.cut("我们喜欢北京"):
        print(word, flag)               # 我们 r / 喜欢 v / 北京 ns

Flags are the PKU (People's Daily 1998) tag set the shipped model learned. Every character of
the input comes back: whitespace runs, which the model never tags, are pairs with flag "x"
(jieba's flag for non-words).
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

from .api import LazyModel
from .errors import TaggerError

WHITESPACE_FLAG = "x"


class pair(NamedTuple):  # noqa: N801 (jieba.posseg's name)
    """A word and its POS flag; unpacks as (word, flag) and prints as word/flag, as jieba's."""
    word: str
    flag: str

    def __str__(self) -> str:
        return f"{self.word}/{self.flag}"


def pieces(text: str, spans: list[tuple[int, int, str]]) -> Iterator[tuple[str, str | None]]:
    """`text` cut into its labeled spans and the gaps between them (label None), in order, so
    that the pieces join back to `text` exactly."""
    at = 0
    for start, end, label in spans:
        if start > at:
            yield text[at:start], None
        yield text[start:end], label
        at = end
    if at < len(text):
        yield text[at:], None


def require_pos_model(segmenter, source) -> None:
    """A one-line error unless `segmenter` is a joint segmentation + POS model; `source` names
    the model file or the option that asked for one."""
    if segmenter.task.name != "pos":
        raise TaggerError(f"{source}: a {segmenter.task.name} model; word/POS output needs a joint "
                          f"segmentation + POS model (train one with --task pos)")


class POSTokenizer(LazyModel):
    """jieba.posseg.POSTokenizer's cut/lcut over a tagger POS model, loaded on first use."""

    def _load(self):
        from . import POS_MODEL, load
        path = POS_MODEL if self.model_path is None else self.model_path
        segmenter = load(path)
        require_pos_model(segmenter, path)
        return segmenter

    def cut(self, sentence: str, HMM: bool = True) -> Iterator[pair]:  # noqa: N803
        """(word, flag) pairs covering `sentence` in order. HMM is accepted and ignored."""
        yield from self.lcut_lines([sentence])[0]

    def lcut(self, sentence: str, HMM: bool = True) -> list[pair]:  # noqa: N803
        return list(self.cut(sentence, HMM))

    def lcut_lines(self, lines: list[str]) -> list[list[pair]]:
        """One pair list per line, labeled in batches: many lines at once run several times
        faster than `lcut` line by line (the batched path `tagger segment --pos` takes)."""
        return [[pair(piece, WHITESPACE_FLAG if label is None else label) for piece, label in pieces(line, spans)]
                for line, spans in zip(lines, self.segmenter.label_lines(lines))]


dt = POSTokenizer()


def cut(sentence: str, HMM: bool = True) -> Iterator[pair]:  # noqa: N803
    """(word, flag) pairs of `sentence` with the shipped POS model."""
    return dt.cut(sentence, HMM)


def lcut(sentence: str, HMM: bool = True) -> list[pair]:  # noqa: N803
    return dt.lcut(sentence, HMM)


def lcut_lines(lines: list[str]) -> list[list[pair]]:
    """(word, flag) pairs for each of `lines`, batched, with the shipped POS model."""
    return dt.lcut_lines(lines)
