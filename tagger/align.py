"""Align a corpus's word boundaries to a benchmark's training word list.

Why: the SIGHAN 2005 PKU training set was edited from People's Daily 1998-01, and the edits
changed some word boundaries. `放在` is a word 110 times in PD 1998-01 but not once in the
bakeoff's training word list (the bakeoff writes `放 在`); idioms such as `狰狞面目`, two words
in PD 1998, are one word there. The training text is not public, its word list is (it ships
with the bakeoff, as training material), so PD 1998-01 can be brought to the bakeoff's
standard wherever the list says for certain what the bakeoff did:

- **split**: a PD word missing from the list was never a word of the bakeoff's training text,
  so every occurrence is cut into list words (the most probable cut under a unigram model of
  the corpus's own word counts, as jieba cuts with its dictionary);
- **merge**: a list word that PD never has as one word but writes, exactly once in the whole
  corpus, as a run of consecutive words, is that run joined. A run seen twice or more is left
  alone: the list says some occurrence was joined, not which.

Only words of 2+ Chinese characters move (not numbers or Latin codes).

Words are compared as the model sees characters (full width folded to half width,
`vocab.normalize`); the output keeps the corpus's own characters, only the boundaries move.
Nothing here reads a test set.
"""
from __future__ import annotations

import math
import unicodedata
from collections import Counter
from typing import Iterable, Sequence

from .readers import Words
from .vocab import normalize

MAX_RUN = 8     # longest run of words a merge may join
MAX_PIECE = 12  # longest list word a split may produce


def _key(word: str) -> str:
    return normalize(word, classes=False)


def _may_move(word: str) -> bool:
    """A word of 2+ Chinese characters (category Lo), the only kind a split or a merge may give
    or take. Numbers and Latin codes are open classes: `１６５９` missing from the list says
    nothing about how the bakeoff cut numbers, and entries holding punctuation (`，还`) are noise
    of the list."""
    return len(word) > 1 and all(unicodedata.category(c) == "Lo" for c in word)


class WordListAligner:
    """Maps each sentence of a corpus to the word boundaries of a training word list.

    Built from the list and the whole corpus (one pass to count words and runs); then called
    on each sentence, which keeps its characters and its order.
    """

    def __init__(self, word_list: Iterable[str], sentences: Iterable[Words]):
        self.listed = {_key(w) for w in word_list}
        sentences = [[_key(w) for w in words] for words in sentences]
        self.counts = Counter(w for words in sentences for w in words)
        total = sum(self.counts.values()) or 1
        self._log_total = math.log(total + len(self.counts))
        self.joinable = {w for w in self.listed if w not in self.counts and _may_move(w)}
        run_counts = Counter(run for words in sentences for _, _, run in self._runs(words))
        self.merges = {run for run, n in run_counts.items() if n == 1}
        self.splits: dict[str, list[str]] = {}
        for word in self.counts:
            if word not in self.listed and _may_move(word):
                pieces = self._cut(word)
                if pieces:
                    self.splits[word] = pieces

    def _runs(self, keys: Sequence[str]):
        """(start, end, joined) for each run of 2+ words whose concatenation is a joinable list
        word, scanning left to right and taking the longest run at each start."""
        i = 0
        while i < len(keys):
            found = None
            joined = keys[i]
            for j in range(i + 1, min(len(keys), i + MAX_RUN)):
                joined += keys[j]
                if joined in self.joinable:
                    found = (i, j + 1, joined)
            if found:
                yield found
                i = found[1]
            else:
                i += 1

    def _cut(self, word: str) -> list[str] | None:
        """The most probable cut of `word` into 2+ list words (unigram model of the corpus's
        word counts, add-one smoothed); None when no such cut exists."""
        n = len(word)
        best: list[tuple[float, list[str]] | None] = [None] * (n + 1)
        best[0] = (0.0, [])
        for end in range(1, n + 1):
            for start in range(max(0, end - MAX_PIECE), end):
                piece = word[start:end]
                if best[start] is None or piece not in self.listed or piece == word:
                    continue
                score = best[start][0] + math.log(self.counts.get(piece, 0) + 1) - self._log_total
                if best[end] is None or score > best[end][0]:
                    best[end] = (score, best[start][1] + [piece])
        return best[n][1] if best[n] else None

    def __call__(self, words: Words) -> Words:
        keys = [_key(w) for w in words]
        joins = {start: end for start, end, joined in self._runs(keys) if joined in self.merges}
        out: Words = []
        i = 0
        while i < len(words):
            if i in joins:
                out.append("".join(words[i:joins[i]]))
                i = joins[i]
            else:
                out.extend(_pieces(words[i], self.splits.get(keys[i])))
                i += 1
        return out


def _pieces(word: str, cut: list[str] | None) -> list[str]:
    """`word` cut where `cut` (its normalized pieces) says, in the word's own characters."""
    if not cut:
        return [word]
    out, at = [], 0
    for piece in cut:
        out.append(word[at:at + len(piece)])
        at += len(piece)
    return out
