"""User dictionaries in jieba's format: `word [freq] [tag]`, one entry a line.

A dictionary does not post-edit the output: `Segmenter` turns its matches into a decoding mask
(no boundary inside the word, boundaries at both ends), so the model still decides everything
around them. Matches are found greedily, longest first, left to right, and never overlap.
"""
from __future__ import annotations

import io
import os
from typing import Iterable

from .errors import CorpusError
from .readers import read_lines


class UserDict:
    def __init__(self, words: Iterable[str] = ()):
        self.entries: dict[str, tuple[int | None, str | None]] = {}
        self._max_len = 0
        for word in words:
            self.add(word)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, word: str) -> bool:
        return word in self.entries

    def add(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        word = word.strip()
        if not word:
            raise ValueError("a dictionary word cannot be empty")
        self.entries[word] = (freq, tag)
        self._max_len = max(self._max_len, len(word))

    def remove(self, word: str) -> None:
        self.entries.pop(word, None)
        self._max_len = max(map(len, self.entries), default=0)

    def load(self, source: str | os.PathLike | io.TextIOBase) -> None:
        """Add entries from a jieba-format file (path or open text file)."""
        if hasattr(source, "read"):
            name = getattr(source, "name", "<dictionary>")
            lines = enumerate((line.rstrip("\r\n") for line in source), start=1)
        else:
            name, lines = str(source), read_lines(source)
        for number, line in lines:
            line = line.lstrip("\ufeff")
            fields = line.split()
            if not fields:
                continue
            freq = None
            if len(fields) > 1:
                if not fields[1].isdigit():
                    if len(fields) > 2:
                        raise CorpusError(name, number, f"frequency {fields[1]!r} is not a number")
                    self.add(fields[0], None, fields[1])  # `word tag`
                    continue
                freq = int(fields[1])
            if len(fields) > 3:
                raise CorpusError(name, number, "expected `word [freq] [tag]`")
            self.add(fields[0], freq, fields[2] if len(fields) > 2 else None)

    def find(self, text: str) -> list[tuple[int, int]]:
        """Non-overlapping (start, end) matches of words of two or more characters."""
        spans, i = [], 0
        while i < len(text):
            for length in range(min(self._max_len, len(text) - i), 1, -1):
                if text[i:i + length] in self.entries:
                    spans.append((i, i + length))
                    i += length
                    break
            else:
                i += 1
        return spans
