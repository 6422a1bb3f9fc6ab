"""jieba.posseg's interface over a joint segmentation + POS model (the shipped one by default).

    import tagger.posseg as pseg
    for word, flag in pseg.cut("我们喜欢北京"):
        print(word, flag)               # 我们 r / 喜欢 v / 北京 ns

Flags are the PKU (People's Daily 1998) tag set the shipped model learned. Every character of
the input comes back: whitespace runs, which the model never tags, are pairs with flag "x"
(jieba's flag for non-words). A user word with a tag (`add_word(word, tag="nz")`, a dictionary
line `word 3 nz`) gets that tag, as in jieba; user words without one get the model's.

The default `dt` shares the user dictionary of `tagger.dt`, as jieba.posseg.dt shares jieba.dt's:
words added with `tagger.add_word` or `tagger.load_userdict` are kept whole here too.
"""
from __future__ import annotations

import os
from typing import Iterator, NamedTuple

from .api import LazyModel, Tokenizer, as_text
from .api import dt as default_tokenizer
from .errors import TaggerError


class pair(NamedTuple):  # noqa: N801 (jieba.posseg's name)
    """A word and its POS flag; unpacks as (word, flag) and prints as word/flag, as jieba's."""
    word: str
    flag: str

    def __str__(self) -> str:
        return f"{self.word}/{self.flag}"

    def __repr__(self) -> str:
        return f"pair({self.word!r}, {self.flag!r})"


def require_pos_model(tagger, source) -> None:
    """A one-line error unless `tagger` is a joint segmentation + POS model; `source` names
    the model file or the option that asked for one."""
    if tagger.task.name != "pos":
        raise TaggerError(f"{source}: a {tagger.task.name} model; word/POS output needs a joint "
                          f"segmentation + POS model (train one with --task pos)")


class POSTokenizer(LazyModel):
    """jieba.posseg.POSTokenizer's cut/lcut over a tagger POS model, loaded on first use.

    model: a joint segmentation + POS model file (None: the shipped one).
    tokenizer: a `Tokenizer` whose user dictionary this one shares, as jieba's POSTokenizer
    takes one; as in jieba it may come first (`POSTokenizer(jieba.dt)`)."""

    def __init__(self, model: str | os.PathLike | Tokenizer | None = None, tokenizer: Tokenizer | None = None):
        if isinstance(model, Tokenizer):
            model, tokenizer = None, model
        super().__init__(model, None if tokenizer is None else tokenizer.user_dict)
        self.tokenizer = tokenizer

    def _load(self):
        from .modelio import SHIPPED, load
        path = SHIPPED["pos"] if self.model_path is None else self.model_path
        tagger = load(path)
        require_pos_model(tagger, path)
        return tagger

    def cut(self, sentence: str | bytes, HMM: bool = True, use_paddle: bool = False) -> Iterator[pair]:  # noqa: N803
        """(word, flag) pairs covering `sentence` in order, as a generator; bytes are decoded as
        jieba does. HMM and use_paddle are accepted and ignored."""
        yield from self.lcut_lines([as_text(sentence)])[0]

    def lcut(self, sentence: str | bytes, HMM: bool = True, use_paddle: bool = False) -> list[pair]:  # noqa: N803
        return list(self.cut(sentence))

    def lcut_lines(self, lines: list[str]) -> list[list[pair]]:
        """One pair list per line, labeled in batches: many lines at once run several times
        faster than `lcut` line by line (the batched path `tagger segment --pos` takes)."""
        return [[pair(word, flag) for word, flag in words] for words in self.tagger.flag_lines(lines)]


dt = POSTokenizer(tokenizer=default_tokenizer)


def cut(sentence: str | bytes, HMM: bool = True, use_paddle: bool = False) -> Iterator[pair]:  # noqa: N803
    """(word, flag) pairs of `sentence` with the shipped POS model."""
    return dt.cut(sentence)


def lcut(sentence: str | bytes, HMM: bool = True, use_paddle: bool = False) -> list[pair]:  # noqa: N803
    return dt.lcut(sentence)


def lcut_lines(lines: list[str]) -> list[list[pair]]:
    """(word, flag) pairs for each of `lines`, batched, with the shipped POS model."""
    return dt.lcut_lines(lines)
