"""Dictionaries in jieba's format, and the lexicon that jieba's full and search modes look in.

A user dictionary does not post-edit the output: the pipeline (`Tagger.allowed_tags`) turns
its matches into a decoding mask (no boundary inside the word, boundaries at both ends), so the
model still decides everything around them. Matches are found greedily, longest first, left to right, and never
overlap.

Lines follow jieba's own rule, its regular expression: the word (which may contain spaces), then
optionally ` freq` (digits), then optionally ` tag` (lowercase letters). So `Edu Trust认证 2000`
is the word `Edu Trust认证` and `凱特琳 nz` is a word with a tag and no frequency.
"""
from __future__ import annotations

import io
import os
import re
from typing import Iterable, Iterator, Sequence

from .errors import CorpusError, TaggerError
from .metrics import spans
from .vocab import normalize

# jieba's re_userdict (jieba/__init__.py), copied so that reading a dictionary needs no jieba import
USER_DICT_LINE = re.compile('^(.+?)( [0-9]+)?( [a-z]+)?$', re.U)
LONGEST_LEXICON_WORD = 32  # Dictionary keeps start and end bits of each length in one int64


def parse_line(line: str) -> tuple[str, int | None, str | None]:
    """(word, freq, tag) of one non-empty, stripped line, by jieba's rule (which every such line
    matches: whatever is not a trailing ` freq` or ` tag` belongs to the word)."""
    word, freq, tag = USER_DICT_LINE.match(line).groups()
    return word, int(freq) if freq else None, tag.strip() if tag else None


def _numbered_lines(source) -> tuple[str, Iterator[tuple[int, str | bytes]]]:
    """(name for messages, numbered raw lines) of a path or an open file (text or binary)."""
    if hasattr(source, "read"):
        return str(getattr(source, "name", "<dictionary>")), enumerate(source, start=1)
    try:
        handle = open(source, "rb")
    except OSError as error:
        raise TaggerError(f"{source}: cannot read dictionary ({error.strerror})") from None
    return str(source), _closing_lines(handle)


def _closing_lines(handle) -> Iterator[tuple[int, bytes]]:
    with handle:
        yield from enumerate(handle, start=1)


def read_entries(source: str | os.PathLike | io.IOBase) -> Iterator[tuple[str, int | None, str | None]]:
    """(word, freq, tag) for each entry of a jieba-format dictionary: a path or an open file, in
    text or binary mode (binary lines are UTF-8, as jieba requires). Blank lines are skipped."""
    name, lines = _numbered_lines(source)
    number = 0
    try:
        for number, raw in lines:
            line = _decoded(raw, name, number).lstrip("\ufeff").strip()
            if line:
                yield parse_line(line)
    except UnicodeDecodeError as error:  # an open text file could not decode what follows
        raise CorpusError(name, None, f"cannot be decoded after line {number} ({error.reason}); "
                                      "a jieba dictionary must be UTF-8") from None


def _decoded(raw: str | bytes, name: str, number: int) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(name, number, f"not UTF-8 (byte {error.start} of the line); "
                                        "a jieba dictionary must be UTF-8") from None


class UserDict:
    """User words (kept whole) and split rules (a string always cut into given parts)."""

    def __init__(self, words: Iterable[str] = ()):
        self.entries: dict[str, tuple[int | None, str | None]] = {}
        self.splits: dict[str, tuple[str, ...]] = {}
        self._max_len = 0
        self._folded: tuple[frozenset, dict] | None = None  # find()'s view, rebuilt after a change
        for word in words:
            self.add(word)

    def __len__(self) -> int:
        return len(self.entries) + len(self.splits)

    def __contains__(self, word: str) -> bool:
        return word in self.entries

    @property
    def longest(self) -> int:
        """Length of the longest word or split rule (0 when empty)."""
        return self._max_len

    def add(self, word: str, freq: int | str | None = None, tag: str | None = None) -> None:
        """Keep `word` whole. freq may be digits in a string, as jieba's add_word allows; adding
        a word again without a freq or tag keeps the ones it had (jieba keeps its tag)."""
        word = word.strip()
        if not word:
            raise TaggerError("a dictionary word cannot be empty")
        try:
            freq = None if freq is None else int(freq)
        except (TypeError, ValueError):
            raise TaggerError(f"{word}: frequency {freq!r} is not a whole number") from None
        self.splits.pop(word, None)
        self._folded = None
        old_freq, old_tag = self.entries.get(word, (None, None))
        self.entries[word] = (old_freq if freq is None else freq, tag or old_tag)
        self._max_len = max(self._max_len, len(word))

    def add_split(self, parts: Sequence[str]) -> None:
        """Always cut the joined `parts` into exactly these parts (jieba's suggest_freq with a
        tuple, tuned): unlike a frequency, a rule the decoder must follow."""
        parts = tuple(part for part in parts if part)
        word = "".join(parts)
        if len(parts) < 2:
            raise TaggerError(f"a split needs two or more non-empty parts, got {parts!r}")
        self.entries.pop(word, None)
        self._folded = None
        self.splits[word] = parts
        self._max_len = max(self._max_len, len(word))

    def remove(self, word: str) -> None:
        self._folded = None
        self.entries.pop(word, None)
        self.splits.pop(word, None)
        self._max_len = max(map(len, [*self.entries, *self.splits]), default=0)

    def frequency(self, word: str) -> int | None:
        """The frequency the dictionary gave `word`: 0 for a split rule, None when not given."""
        if word in self.splits:
            return 0
        return self.entries.get(word, (None, None))[0]

    def tag(self, word: str) -> str | None:
        """The POS tag the dictionary gave `word`, if any."""
        return self.entries.get(word, (None, None))[1]

    def load(self, source: str | os.PathLike | io.IOBase) -> None:
        """Add entries from a jieba-format file (path or open file, text or binary)."""
        for word, freq, tag in read_entries(source):
            self.add(word, freq, tag)

    def find(self, text: str) -> list[tuple[int, int]]:
        """Non-overlapping (start, end) spans to keep whole: words of two or more characters,
        and the parts of a split rule's match (so the decoder cuts between them).

        Words and text are compared as the model sees them (full width and Traditional script
        folded, tagger/vocab.py), so a user word in either script matches text in either."""
        keep, splits = self._folded_view()
        text = normalize(text, classes=False)
        spans, i = [], 0
        while i < len(text):
            for length in range(min(self._max_len, len(text) - i), 1, -1):
                piece = text[i:i + length]
                if piece in keep:
                    spans.append((i, i + length))
                elif piece in splits:
                    spans.extend(_part_spans(i, splits[piece]))
                else:
                    continue
                i += length
                break
            else:
                i += 1
        return spans

    def _folded_view(self) -> tuple[frozenset, dict]:
        """The words and split rules folded as find() compares them (folding keeps lengths)."""
        if self._folded is None:
            fold = lambda word: normalize(word, classes=False)  # noqa: E731
            self._folded = (frozenset(map(fold, self.entries)),
                            {fold(word): parts for word, parts in self.splits.items()})
        return self._folded

    def ends(self, text: str, start: int) -> Iterator[int]:
        """End offsets of the user words of two or more characters that begin at `start`."""
        for length in range(2, min(self._max_len, len(text) - start) + 1):
            if text[start:start + length] in self.entries:
                yield start + length


def _part_spans(start: int, parts: Sequence[str]) -> Iterator[tuple[int, int]]:
    for s, e in spans(parts):
        yield start + s, start + e


class Lexicon:
    """The words jieba's full mode and search mode look for (jieba's FREQ, in effect): the words
    of some `Dictionary`s and of a `UserDict`, which stays live (words added later count).
    Every single character counts as a word, as nearly all are in jieba's dictionary.

    Why `Dictionary`: its numpy index finds every word of a text with a few binary searches and
    holds jieba's 344k words in a few MB, where a Python set of them takes about 60 MB; and a
    model's own feature dictionary is used as it is, without a copy. Its words are stored as the
    model sees them (digits as 0, Latin letters as a), so one of its matches counts only where
    the text reads the same without that mapping: `0000年` never matches `1998年`.
    """

    def __init__(self, dictionaries: Sequence, user_dict: UserDict):
        self.dictionaries = list(dictionaries)
        self.user_dict = user_dict

    @classmethod
    def of_words(cls, words: Iterable[str], user_dict: UserDict) -> "Lexicon":
        """A lexicon of plain words (training words, a dictionary file's), indexed once."""
        return cls([words_dictionary(words)], user_dict)

    def dag(self, text: str) -> dict[int, list[int]]:
        """jieba's DAG of `text`: for each position k, the ends j (inclusive, ascending) of the
        lexicon words text[k:j + 1]; k itself is always among them."""
        ends = [{k} for k in range(len(text))]
        folded = normalize(text, False)
        for dictionary in self.dictionaries:
            seen = folded if not dictionary.classes else normalize(text, True)
            for k, mask in enumerate(dictionary.features(seen)):
                for n in _start_lengths(mask, dictionary.max_len):
                    if seen[k:k + n] == folded[k:k + n]:
                        ends[k].add(k + n - 1)
        if self.user_dict.longest > 1:
            for k in range(len(text)):
                ends[k].update(end - 1 for end in self.user_dict.ends(text, k))
        return {k: sorted(found) for k, found in enumerate(ends)}

    def __contains__(self, word: str) -> bool:
        if len(word) < 2:
            return len(word) == 1
        return len(word) - 1 in self.dag(word)[0]


def _start_lengths(mask: int, max_len: int) -> Iterator[int]:
    """Lengths n of the words a Dictionary feature mask says start here (bit n - 2)."""
    starts = mask & ((1 << (max_len - 1)) - 1)
    while starts:
        low = starts & -starts
        yield low.bit_length() + 1
        starts ^= low


def words_dictionary(words: Iterable[str]):
    """A `Dictionary` of exactly these words (no digit or letter classes), for lookups only;
    words longer than LONGEST_LEXICON_WORD characters are left out."""
    from .dictionary import Dictionary
    words = [word for word in words if 1 < len(word) <= LONGEST_LEXICON_WORD]
    return Dictionary(words, max(2, max(map(len, words), default=2)), classes=False)


def dictionary_file_words(path: str | os.PathLike) -> Iterator[str]:
    """The words of a jieba-format dictionary file (`word [freq] [tag]` lines)."""
    return (word for word, _, _ in read_entries(path))
