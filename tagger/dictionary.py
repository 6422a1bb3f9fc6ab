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

import os
from typing import Iterable, Sequence

import numpy as np

from .errors import TaggerError
from .memory import release_free_memory
from .vocab import normalization_id, normalize

MAX_LEN = 6  # longest word length with its own features; longer words are not matched
_BITS = 21  # a code point fits in 21 bits, so up to 3 characters make one int64 key
_WORD, _STEM = 1, 2  # an n-gram key's kinds: a word, the beginning of a longer word


def code_points(text: str) -> np.ndarray:
    """The text's code points as int64 (lone surrogates included, as in any Python str)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)


def _keys(codes: np.ndarray) -> np.ndarray:
    """int64 keys of rows of code points (one row per string of 1..3 characters)."""
    out = np.zeros(len(codes), dtype=np.int64)
    for column in range(codes.shape[1]):
        out = (out << _BITS) | codes[:, column]
    return out


def _kinds(words: np.ndarray, stems: np.ndarray) -> tuple[KeyTable, np.ndarray]:
    """(a table of the unique keys, each key's kind bits: _WORD, _STEM or both) of the
    n-character words and the n-character beginnings of longer words: one lookup answers both.
    One sort of both lists (np.unique and np.isin on 350k keys cost more than the sort: they
    are paid once per model load, before the first line is segmented)."""
    keys = np.concatenate([words, stems])
    flags = np.concatenate([np.full(len(words), _WORD, np.int8), np.full(len(stems), _STEM, np.int8)])
    order = np.argsort(keys, kind="stable")
    keys, flags = keys[order], flags[order]
    firsts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else order
    kinds = np.bitwise_or.reduceat(flags, firsts) if len(keys) else flags
    return KeyTable(keys[firsts]), kinds


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing's multiplier (2**64 / the golden ratio)


class KeyTable:
    """Rows of unique int64 keys, found by open addressing with linear probing, all lookups of
    a batch at once in numpy.

    Why not np.searchsorted on the sorted keys: a binary search over 140k bigram keys reads
    about 17 scattered places per lookup; a hash table at most half full reads one or two. Its
    slots are int32 rows (4 bytes a slot: with jieba's dictionary the tables add about 10 MB).
    Built once per model (bigram ids, dictionary n-grams), it made those lookups about 1.7
    times faster. Exact: a key is found only where the stored key equals it."""

    def __init__(self, keys: np.ndarray):
        self.keys = np.asarray(keys, dtype=np.int64)
        self.bits = max(4, int(np.ceil(np.log2(max(len(self.keys), 1) * 2))))  # at most half full
        # Linear probing without wrap-around: the slots run past the hashed range, so a key sits
        # at its home slot or after the keys of lower homes. Sorted by home, the i-th key takes
        # max(its home, the previous key's slot + 1), a running maximum: built in one numpy pass.
        home = self._home(self.keys)
        order = np.argsort(home, kind="stable")
        where = home[order]  # then, in place (a large dictionary's temporaries count in peak memory):
        del home
        steps = np.arange(len(order))
        where -= steps
        np.maximum.accumulate(where, out=where)
        where += steps
        self.slots = np.full((1 << self.bits) + len(order) + 1, -1, dtype=np.int32)  # row, or -1: empty
        self.slots[where] = order

    def _home(self, keys: np.ndarray) -> np.ndarray:
        home = keys.view(np.uint64) * _GOLDEN  # wraps modulo 2**64, as Fibonacci hashing wants
        home >>= np.uint64(64 - self.bits)
        return home.view(np.int64)

    def find(self, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row of each needle in `keys`, found): a row is only meaningful where found."""
        rows = np.full(len(needles), -1, dtype=np.int64)
        active, probe = np.arange(len(needles)), self._home(needles)
        while len(active):
            row = self.slots[probe]
            occupied = row >= 0
            hit = occupied.copy()
            hit[occupied] = self.keys[row[occupied]] == needles[active[occupied]]
            rows[active[hit]] = row[hit]
            going = occupied & ~hit  # an empty slot ends the search: the needle is absent
            active, probe = active[going], probe[going] + 1
        return rows, rows >= 0


class Dictionary:
    """A set of normalized words and the per-character start/end bit masks they give.

    Lookups work on numpy keys: words of 2 and 3 characters (most of a dictionary) are int64
    keys of their code points in hash tables (KeyTable), so the n-grams of a whole batch of text
    are looked up with a few numpy passes and no Python object per n-gram or word. One lookup
    per n-gram says both whether it is a word and whether it begins a longer one, and only
    where a 2-gram begins a longer word is the 3-gram looked up (this halved the features' time
    on the PKU test text, output identical). Longer words are found the same way, one character
    further at a time, only where the shorter n-gram begins one (`_lookup_index`). (As Python
    strings and sets, jieba's 344k words took about 60 MB of memory and a fifth of the
    inference time.)
    """

    def __init__(self, words: Iterable[str], max_len: int = MAX_LEN, classes: bool = True,
                 normalized: bool = False):
        """normalized=True: the words are normalized already (jackknife folds share one
        normalized copy of a large external list instead of normalizing it once per fold)."""
        self.max_len = max_len
        self.classes = classes
        seen = words if normalized else (normalize(w, classes) for w in words)
        self._text = "\n".join(sorted({w for w in seen if 2 <= len(w) <= max_len}))
        self._index: dict | None = None

    @property
    def words(self) -> frozenset[str]:
        """The words (built on each call: for tests and tools, not for lookups)."""
        return frozenset(self._text.split("\n")) if self._text else frozenset()

    @property
    def bits(self) -> int:
        """Features per character: starts and ends of words of 2..max_len characters."""
        return 2 * (self.max_len - 1)

    def __len__(self) -> int:
        return self._text.count("\n") + 1 if self._text else 0

    def features(self, seen: str) -> list[int]:
        """Bit masks for the already-normalized text `seen`: bit n-2 = a word of n characters
        starts here, bit max_len-1+n-2 = one ends here."""
        return self.batch_features(seen, np.array([len(seen)])).tolist()

    def batch_features(self, joined: str, lengths: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
        """features() of several normalized texts at once: `joined` is their concatenation,
        `lengths` their lengths, `codes` (optional) joined's code points as int64. No n-gram
        crosses from one text into the next."""
        if codes is None:
            codes = code_points(joined)
        index = self._lookup_index()
        total, end_shift = len(codes), self.max_len - 1
        masks = np.zeros(total, dtype=np.int64)
        left = np.repeat(np.cumsum(lengths), lengths) - np.arange(total)  # characters left in the text
        at = np.flatnonzero(left >= 2)  # where an n-gram may start; narrowed to the stems' starts
        key = codes[at]
        for n in range(2, min(self.max_len, 3) + 1):
            key = (key << _BITS) | codes[at + n - 1]
            table, kinds = index["ngrams"][n]
            where, found = table.find(key)
            kind = np.where(found, kinds[where], 0)
            hit = at[(kind & _WORD) != 0]
            masks[hit] |= 1 << (n - 2)
            masks[hit + n - 1] |= 1 << (end_shift + n - 2)
            longer = (kind & _STEM) != 0
            if n < 3:  # the (n+1)-gram fits and begins with a stem: the only places a longer word may start
                longer &= left[at] > n
            at, key, row = at[longer], key[longer], where[longer]
        for n, (table, kinds) in enumerate(index["longer"], start=4):  # row: the (n-1)-prefix's row
            fits = left[at] >= n
            at, row = at[fits], row[fits]
            where, found = table.find((row << _BITS) | codes[at + n - 1])
            kind = np.where(found, kinds[where], 0)
            hit = at[(kind & _WORD) != 0]
            masks[hit] |= 1 << (n - 2)
            masks[hit + n - 1] |= 1 << (end_shift + n - 2)
            longer = (kind & _STEM) != 0
            at, row = at[longer], where[longer]
        return masks

    def _lookup_index(self) -> dict:
        """Key tables of the 2- and 3-character words and of the 2- and 3-character beginnings
        of longer words, with each key's kinds ("ngrams"); then, for n = 4..max_len, a table of
        the n-character words and beginnings keyed by their (n-1)-character beginning's row in
        the table before and their n-th character ("longer": a trie whose levels are hash
        tables, so a key never outgrows 64 bits). Built once, from the code points of the joined
        words: no str object per word (350k of them, freed at once, would leave the heap
        fragmented: about 20 MB more at peak with jieba's dictionary)."""
        if self._index is None:
            codes = code_points(self._text)
            ends = np.append(np.flatnonzero(codes == ord("\n")), len(codes)) if self._text else np.zeros(0, np.int64)
            starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64) if self._text else ends
            lengths = ends - starts

            def keys(firsts: np.ndarray, n: int) -> np.ndarray:  # the first n characters of words starting there
                return _keys(codes[firsts[:, None] + np.arange(n)])

            ngrams = {n: _kinds(keys(starts[lengths == n], n), keys(starts[lengths > n], n)) for n in (2, 3)}
            longer, beyond = [], lengths > 3
            starts, lengths = starts[beyond], lengths[beyond]
            rows = ngrams[3][0].find(keys(starts, 3))[0]
            for n in range(4, self.max_len + 1):
                key = (rows << _BITS) | codes[starts + n - 1]
                table, kinds = _kinds(key[lengths == n], key[lengths > n])
                longer.append((table, kinds))
                beyond = lengths > n
                rows, starts, lengths = table.find(key[beyond])[0], starts[beyond], lengths[beyond]
            self._index = {"ngrams": ngrams, "longer": longer}
            del codes, starts, ends, lengths, rows
            release_free_memory()  # the code points and keys made on the way (tagger/memory.py)
        return self._index

    def to_dict(self) -> dict:
        # one newline-joined string: a third of the size of a list of strings in the model file
        return {"words": self._text, "max_len": self.max_len, "classes": self.classes,
                "normalized": normalization_id()}

    @classmethod
    def from_dict(cls, data: dict) -> "Dictionary":
        made = cls((), data["max_len"], data["classes"])
        # normalized again, so a file written before a normalization rule was added (the
        # Traditional fold) matches the text as the model sees it now; not when the file says
        # its words were normalized under the rules in force (vocab.normalization_id)
        same = data.get("normalized") == normalization_id()
        made._text = data["words"] if same else normalize(data["words"], made.classes)
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


def fold_of(index: int, folds: int) -> int:
    """The jackknife fold of the index-th training sentence (in training order): its dictionary
    features come from the words of the other folds only. One rule for training and for the
    teacher pass of distillation, which must rebuild what training saw."""
    return index % folds


def jackknife(sentences: Sequence[Sequence[str]], external: Sequence[str], folds: int, max_len: int = MAX_LEN,
              classes: bool = True) -> list[Dictionary]:
    """One dictionary per fold: the external words plus the training words of the *other* folds.

    Sentence i belongs to fold fold_of(i, folds).
    """
    by_fold: list[set[str]] = [set() for _ in range(folds)]
    for i, words in enumerate(sentences):
        by_fold[fold_of(i, folds)].update(normalize(w, classes) for w in words if 2 <= len(w) <= max_len)
    shared = {w for w in (normalize(w, classes) for w in external) if 2 <= len(w) <= max_len}
    out = []
    for k in range(folds):
        others = set().union(*(by_fold[j] for j in range(folds) if j != k))
        out.append(Dictionary(shared | others, max_len, classes, normalized=True))
    return out
