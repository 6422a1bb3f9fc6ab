"""Dictionary features: which dictionary words start or end at each character.

For every character i and word length n in 2..max_len, two yes/no features: a dictionary word
of n characters starts at i, and one ends at i (Zhang, Liu & Fu 2018, "Neural networks
incorporating dictionaries for Chinese word segmentation"). They reach the model as one integer
per character, a bit mask, unpacked into 0/1 inputs beside the embeddings.

The dictionary can be jieba's (an open-setting resource: it ships with jieba, a dependency), a
word list file, and/or the training corpus's own words. Training words are *jackknifed*: the
features of a training sentence come from the words of the other folds only. Otherwise every
training word would be in the dictionary, the model would learn to trust the features blindly,
and it would miss the new words a test text has.

Words are matched on the normalized text the model sees (full width folded, digits -> 0,
Latin letters -> a), so `１９９８年` and `1998年` match the same entry.
"""
from __future__ import annotations

import itertools
import operator
import os
from typing import Iterable, Sequence

from .errors import TaggerError
from .vocab import normalize

MAX_LEN = 6  # longest word length with its own features; longer words are not matched


class Dictionary:
    """A set of normalized words and the per-character start/end bit masks they give."""

    def __init__(self, words: Iterable[str], max_len: int = MAX_LEN, classes: bool = True):
        self.max_len = max_len
        self.classes = classes
        self.words = frozenset(w for w in (normalize(w, classes) for w in words) if 2 <= len(w) <= max_len)
        self._stem_set: frozenset[str] | None = None

    @property
    def bits(self) -> int:
        """Features per character: starts and ends of words of 2..max_len characters."""
        return 2 * (self.max_len - 1)

    def __len__(self) -> int:
        return len(self.words)

    def features(self, seen: str) -> list[int]:
        """Bit masks for the already-normalized text `seen`: bit n-2 = a word of n characters
        starts here, bit max_len-1+n-2 = one ends here.

        One pass per word length n, each in C (map, compress, str.__add__): the n-grams at the
        positions still alive are looked up, and only those that begin a longer dictionary word
        grow by one character into the next pass (a third of the lookups of all n-grams).
        """
        masks = [0] * len(seen)
        words, stems, end_shift = self.words.__contains__, self._stems().__contains__, self.max_len - 1
        alive = list(range(len(seen) - 1))               # positions whose n-gram is still looked up
        pieces = list(map(operator.add, seen, seen[1:]))  # pieces[k] = seen[alive[k]:alive[k] + n]
        for n in range(2, self.max_len + 1):
            start_bit, end_bit = 1 << (n - 2), 1 << (end_shift + n - 2)
            for i in itertools.compress(alive, map(words, pieces)):
                masks[i] |= start_bit
                masks[i + n - 1] |= end_bit
            if n == self.max_len:
                break
            grows = [i + n < len(seen) for i in alive]  # room for one more character
            keep = list(map(operator.and_, grows, map(stems, pieces)))
            alive, pieces = list(itertools.compress(alive, keep)), list(itertools.compress(pieces, keep))
            if not alive:
                break
            pieces = list(map(operator.add, pieces, [seen[i + n] for i in alive]))
        return masks

    def _stems(self) -> frozenset[str]:
        """Strings of 2..max_len-1 characters that begin a longer dictionary word (built once)."""
        if self._stem_set is None:
            self._stem_set = frozenset(w[:n] for w in self.words for n in range(2, len(w)))
        return self._stem_set

    def to_dict(self) -> dict:
        # one newline-joined string: a third of the size of a list of strings in the model file
        return {"words": "\n".join(sorted(self.words)), "max_len": self.max_len, "classes": self.classes}

    @classmethod
    def from_dict(cls, data: dict) -> "Dictionary":
        made = cls((), data["max_len"], data["classes"])
        made.words = frozenset(data["words"].split("\n")) if data["words"] else frozenset()
        return made


def jieba_words() -> list[str]:
    """The words of jieba's bundled dictionary (dict.txt: `word freq tag` lines)."""
    import jieba
    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    with open(path, encoding="utf-8") as handle:
        return [line.split(" ", 1)[0] for line in handle if line.strip()]


def file_words(path: str) -> list[str]:
    """Words of a word-list file: the first whitespace-separated field of each line."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return [line.split()[0] for line in handle if line.strip()]
    except OSError as error:
        raise TaggerError(f"{path}: cannot read dictionary ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise TaggerError(f"{path}: dictionary is not UTF-8 ({error.reason})") from None


def external_words(sources: Sequence[str]) -> list[str]:
    """Words from each source: 'jieba' or a word-list path ('train' is handled by the trainer)."""
    words: list[str] = []
    for source in sources:
        if source == "jieba":
            words.extend(jieba_words())
        elif source != "train":
            words.extend(file_words(source))
    return words


def jackknife(sentences: Sequence[Sequence[str]], external: Sequence[str], folds: int, max_len: int = MAX_LEN,
              classes: bool = True) -> list[Dictionary]:
    """One dictionary per fold: the external words plus the training words of the *other* folds.

    Sentence i belongs to fold i % folds.
    """
    by_fold: list[set[str]] = [set() for _ in range(folds)]
    for i, words in enumerate(sentences):
        by_fold[i % folds].update(w for w in words if 2 <= len(w) <= max_len)
    out = []
    for k in range(folds):
        others = set().union(*(by_fold[j] for j in range(folds) if j != k))
        out.append(Dictionary([*external, *others], max_len, classes))
    return out
