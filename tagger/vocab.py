"""Vocabularies and the character normalization that feeds them.

Normalization only changes what the model *sees*; output words are always cut from the
original text. It folds full-width forms to half-width (PD 1998 writes `１９９８`, the PKU test
writes `1998`), and optionally maps every digit to `0` and every Latin letter to `a`, so a
number or a foreign word never reaches the model as an unseen character.
"""
from __future__ import annotations

import itertools
import operator
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable, Sequence

PAD, UNK = "<pad>", "<unk>"
BOS, EOS = "<s>", "</s>"


@lru_cache(maxsize=65536)
def _width_fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


@lru_cache(maxsize=65536)
def normalize_char(char: str, classes: bool = True) -> str:
    """One character as the model sees it (always exactly one character)."""
    char = _width_fold(char)
    if classes:
        if char.isdigit() or unicodedata.category(char) == "Nd":
            return "0"
        if char.isascii() and char.isalpha():
            return "a"
    return char


class _NormalTable(dict):
    """code point -> normalized character, filled on first sight; `str.translate` reads it
    (and calls __missing__ for new characters), so a whole text is mapped in one C loop."""

    def __init__(self, classes: bool):
        super().__init__()
        self.classes = classes

    def __missing__(self, code: int) -> str:
        self[code] = value = normalize_char(chr(code), self.classes)
        return value


_TABLES = {True: _NormalTable(True), False: _NormalTable(False)}


def normalize(text: str, classes: bool = True) -> str:
    """The text as the model sees it: one character for one character (see normalize_char)."""
    return text.translate(_TABLES[bool(classes)])


def bigrams(text: str) -> list[str]:
    """The bigram starting at each position: text[i] + text[i+1], with EOS after the end."""
    return list(map(operator.add, text, text[1:])) + [text[-1] + EOS] if text else []


class Vocab:
    """A string <-> id table; id 0 is padding and id 1 stands for unknown strings."""

    def __init__(self, items: Sequence[str]):
        self.itos: list[str] = [PAD, UNK] + [s for s in items if s not in (PAD, UNK)]
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}

    @classmethod
    def build(cls, sequences: Iterable[Iterable[str]], min_count: int = 1,
              max_size: int | None = None) -> "Vocab":
        """Most frequent items first, ties broken alphabetically (so builds are reproducible)."""
        counts = Counter()
        for seq in sequences:
            counts.update(seq)
        ranked = sorted((c, s) for s, c in counts.items() if c >= min_count)
        ranked = sorted(ranked, key=lambda pair: (-pair[0], pair[1]))
        items = [s for _, s in ranked][:max_size]
        return cls(items)

    def __len__(self) -> int:
        return len(self.itos)

    def ids(self, items: Iterable[str]) -> list[int]:
        return list(map(self.stoi.get, items, itertools.repeat(1)))  # unknown -> 1
