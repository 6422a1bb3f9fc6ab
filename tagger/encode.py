"""Text -> model inputs: id sequences, and encoded texts padded into the network's named `Inputs`
(numpy at inference, torch tensors with gold tags in training). Which texts share a batch, and
at what shape, is tagger/batching.py's."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, Sequence

import numpy as np

from .dictionary import Dictionary, KeyTable, code_points
from .errors import TaggerError
from .vocab import EOS, Vocab, bigrams, normalize, stand_ins

_END_MARK = 0x110000         # one past the last code point: "the text ends here" in a pair key
_PAIR_BASE = _END_MARK + 1  # pair key = first code point * _PAIR_BASE + next code point or end mark

if TYPE_CHECKING:  # torch is imported where batches are built, so inference can run without it
    import torch


class Encoded(NamedTuple):
    """One text as model inputs: unit ids (characters, or words for word-level models), bigram
    ids, word-edge bit masks (the dictionary words starting and ending at each character);
    word-level models add each word's character ids and its casing class."""
    chars: list[int]
    bigrams: list[int] | None
    word_edges: list[int] | None = None
    subchars: list[list[int]] | None = None
    casing: list[int] | None = None


class Inputs(NamedTuple):
    """A padded batch as the network reads it, by name: numpy arrays at inference, torch tensors
    in training. Why named: the optional inputs differ by model (dictionary features for some
    character models, a character CNN and casing for word-level ones), and positions whose
    meaning shifts with the model were easy to misread. A field the model does not take is None.

    chars: (batch, time) unit ids (characters, or words for word-level models); lengths: (batch,)
    real steps per row; bigrams: (batch, time) ids of c[i]c[i+1]; word_edges: (batch, time) bit
    masks of the dictionary words starting and ending at i (tagger/dictionary.py); subchars: (batch, time, word chars) the
    characters of each word; casing: (batch, time) each word's casing class."""
    chars: Any
    lengths: Any
    bigrams: Any = None
    word_edges: Any = None
    subchars: Any = None
    casing: Any = None

    def map(self, convert: Callable[[Any], Any], lengths: bool = True) -> "Inputs":
        """The same inputs with `convert` applied to every array present (to `lengths` too unless
        lengths=False: lengths stay on the CPU, where decoding and padding read them)."""
        return Inputs(*(None if value is None else value if (name == "lengths" and not lengths) else convert(value)
                        for name, value in zip(self._fields, self)))


STANDARD_BASE = 0xF0000  # standard k's marker is code point STANDARD_BASE + k (Plane 15, private use)


def marker_rows(char_vocab: int, marker_ids: Sequence[int]) -> np.ndarray:
    """char id -> 1 + the standard whose marker it is, 0 for every other character: the row of
    a network's standard embedding (row 0: no standard, zeros) that each first step selects."""
    rows = np.zeros(char_vocab, dtype=np.int64)
    for k, char_id in enumerate(marker_ids):
        if char_id >= 0:  # -1: a marker missing from the vocabulary
            rows[char_id] = k + 1
    return rows


@dataclass
class Encoder:
    """Turns raw text into character and bigram ids (and dictionary features), as in training.

    A multi-criteria model (trained on several corpora, each a segmentation standard) reads
    every text between two markers of the standard it should follow, one before the first
    character and one after the last (He et al. 2019): the markers are vocabulary characters, so
    bigrams, dictionary features, both engines, ensembles and export need nothing else.
    `standards` names them; the model's outputs at the two marker steps are dropped (`unwrap`).
    """

    chars: Vocab
    bigrams: Vocab | None
    classes: bool = True  # digits -> 0, Latin letters -> a (see vocab.normalize_char)
    dictionary: Dictionary | None = None
    standards: tuple[str, ...] = ()   # segmentation standards of a multi-criteria model
    default_standard: str | None = None  # the one used when none is asked for
    units = "chars"                   # what one network step reads (a class constant, not a field)
    _tables: dict | None = field(default=None, init=False, repr=False, compare=False)  # encode_batch's
    _marks: tuple | None = field(default=None, init=False, repr=False, compare=False)  # _mark_lookups'

    @property
    def margin(self) -> int:
        """Marker steps before (and after) each text: 1 for a multi-criteria model, else 0."""
        return 1 if self.standards else 0

    def standard_of(self, standard: str | None) -> str | None:
        """The standard a text is read with: the one asked for, else the default (None for a
        single-criterion model). An unknown name is a one-line error listing the known ones."""
        if standard is None:
            return self.default_standard
        if standard not in self.standards:
            known = ", ".join(self.standards) if self.standards else "none: it was trained on one corpus"
            raise TaggerError(f"unknown standard {standard!r}; this model's standards: {known}")
        return standard

    def marker(self, standard: str) -> str:
        return chr(STANDARD_BASE + self.standards.index(standard))

    def marker_ids(self) -> list[int]:
        """Each standard's marker's character id (-1 if the vocabulary lacks it), in the order of
        `standards`: what a network's standard embedding is indexed by (see marker_rows)."""
        return [self.chars.stoi.get(self.marker(s), -1) for s in self.standards]

    def wrap(self, seen: str, standard: str | None = None) -> str:
        """The normalized text between its standard's markers (unchanged without standards)."""
        if not self.standards:
            return seen
        mark = self.marker(self.standard_of(standard))
        return mark + seen + mark

    def seen(self, text: str, standard: str | None = None) -> str:
        """The text as the network reads it, one character for one: normalized (vocab.normalize),
        brackets and quotes it never saw read as ones it knows (`known_marks`), between its
        standard's markers."""
        seen = normalize(text, self.classes)
        marks, unknown = self._mark_lookups()
        if unknown is not None and unknown.search(seen):  # most texts hold none: over MSRA NER test
            seen = seen.translate(marks)                   # the search took 0.9 ms, a translate 11 ms
        return self.wrap(seen, standard)

    def known_marks(self) -> dict[int, str]:
        """str.translate's table: each bracket or quote missing from the character vocabulary ->
        a known one of the same kind (vocab.stand_ins). Built on first use."""
        return self._mark_lookups()[0]

    def _mark_lookups(self) -> tuple[dict[int, str], re.Pattern | None]:
        """(known_marks' table, a pattern finding any of its marks; None when the table is empty)."""
        if self._marks is None:
            known = self.chars.stoi
            table = {ord(a): b for a, b in stand_ins(known.__contains__, self.classes).items()}
            pattern = re.compile("[" + "".join(map(re.escape, map(chr, table))) + "]") if table else None
            self._marks = (table, pattern)
        return self._marks

    def forget_lookups(self) -> None:
        """Drop what was built from the vocabularies (encode_batch's tables, known_marks), after
        they change (fine-tuning grows them): rebuilt on next use for the new ids."""
        self._tables = self._marks = None

    def unwrap(self, scores: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, lengths) of the texts themselves: the marker steps at both ends removed."""
        m = self.margin
        if not m:
            return scores, lengths
        return scores[:, m:scores.shape[1] - m], lengths - 2 * m

    def encode(self, text: str, dictionary: Dictionary | None = None, standard: str | None = None) -> Encoded:
        """`dictionary` overrides the encoder's own (the trainer's jackknifed dictionaries)."""
        seen = self.seen(text, standard)
        char_ids = self.chars.ids(seen)
        bigram_ids = self.bigrams.ids(bigrams(seen)) if self.bigrams is not None else None
        if dictionary is None:  # not `or`: an empty fold dictionary is falsy but still meant
            dictionary = self.dictionary
        masks = dictionary.features(seen) if dictionary is not None else None
        return Encoded(char_ids, bigram_ids, masks)

    def encode_batch(self, texts: Sequence[str], standard: str | None = None) -> Inputs:
        """pad_arrays([self.encode(t) for t in texts]), with the id lookups vectorized in numpy
        (the per-character Python work was a third of inference time). Texts are non-empty.

        Code points index a table for character ids; (code point, next code point or end mark)
        pairs are found in a hash table of the bigram vocabulary's pairs (KeyTable); dictionary
        features likewise (Dictionary.batch_features).
        """
        seens = [self.seen(t, standard) for t in texts]
        lengths = np.fromiter(map(len, seens), dtype=np.int64, count=len(seens))
        joined = "".join(seens)
        codes = code_points(joined)
        rows = np.repeat(np.arange(len(seens)), lengths)
        cols = np.arange(len(codes)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        time = int(lengths.max())

        def padded(values: np.ndarray) -> np.ndarray:
            out = np.zeros((len(seens), time), dtype=np.int64)
            out[rows, cols] = values
            return out

        tables = self._lookup_tables()
        inputs = Inputs(padded(tables["chars"][codes]), lengths)
        if self.bigrams is not None:
            following = np.append(codes[1:], _END_MARK)
            following[np.cumsum(lengths) - 1] = _END_MARK  # each text's last character meets </s>
            where, found = tables["pairs"].find(codes * _PAIR_BASE + following)
            ids = tables["pair_ids"]
            inputs = inputs._replace(bigrams=padded(np.where(found, ids[where], 1) if len(ids) else np.ones_like(codes)))
        if self.dictionary is not None:
            inputs = inputs._replace(word_edges=padded(self.dictionary.batch_features(joined, lengths, codes)))
        return inputs

    def _lookup_tables(self) -> dict:
        """Numpy forms of the vocabularies for encode_batch, built on first use, in numpy from
        the vocabularies' code points (a Python loop over 138k bigrams was most of a first call)."""
        if self._tables is None:
            chars = np.ones(_END_MARK, dtype=np.int32)  # every code point -> <unk> (1) ...
            codes, starts, lengths = _code_rows(self.chars)
            single = np.flatnonzero(lengths == 1)
            chars[codes[starts[single]]] = single       # ... except the vocabulary's characters
            keys, ids = np.zeros(0, np.int64), np.zeros(0, np.int64)
            if self.bigrams is not None:
                codes, starts, lengths = _code_rows(self.bigrams)
                pair = np.flatnonzero(lengths == 2)
                keys, ids = codes[starts[pair]] * _PAIR_BASE + codes[starts[pair] + 1], pair
                if len(EOS) > 1:  # "c</s>": c ends a text
                    ending = np.flatnonzero(lengths == 1 + len(EOS))
                    tails = codes[starts[ending][:, None] + 1 + np.arange(len(EOS))]
                    ending = ending[(tails == code_points(EOS)).all(axis=1)]
                    keys = np.concatenate([keys, codes[starts[ending]] * _PAIR_BASE + _END_MARK])
                    ids = np.concatenate([ids, ending])
                order = np.lexsort((ids, keys))  # by key; of equal keys the last id wins, as in a dict
                keys, ids = keys[order], ids[order]
                last = np.append(keys[1:] != keys[:-1], True)
                keys, ids = keys[last], ids[last]
            self._tables = {"chars": chars, "pairs": KeyTable(keys), "pair_ids": ids.astype(np.int64)}
        return self._tables

    def to_dict(self) -> dict:
        data = {"chars": list(self.chars.itos),
                "bigrams": list(self.bigrams.itos) if self.bigrams is not None else [],
                "classes": self.classes}
        if self.dictionary is not None:
            data["dictionary"] = self.dictionary.to_dict()
        if self.standards:  # text k of standard s is read as marker(s) + text + marker(s)
            data.update(standards=list(self.standards), default_standard=self.default_standard,
                        standard_base=STANDARD_BASE)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Encoder":
        bigram_vocab = Vocab(data["bigrams"][2:]) if data["bigrams"] else None
        dictionary = Dictionary.from_dict(data["dictionary"]) if data.get("dictionary") else None
        return cls(Vocab(data["chars"][2:]), bigram_vocab, bool(data["classes"]), dictionary,
                   tuple(data.get("standards", ())), data.get("default_standard"))


CASINGS = ("lower", "upper", "title", "digits", "other")


def casing(word: str) -> int:
    """A word's casing class (index into CASINGS): what lowercasing the word itself throws away."""
    if word.islower():
        return 0
    if word.isupper():
        return 1
    if word[:1].isupper():
        return 2
    if any(c.isdigit() for c in word):
        return 3
    return 4


def word_key(word: str) -> str:
    """How a word is looked up in the word vocabulary: lowercased, digits -> 0."""
    return "".join("0" if c.isdigit() else c for c in word.lower())


@dataclass
class WordEncoder:
    """Turns a sequence of words (English tokens) into word ids, character ids and casing.

    Words unseen in training still get features from their characters (a char CNN in the
    model) and their casing, so a rare name is not just <unk>.
    """

    words: Vocab
    chars: Vocab
    max_word_chars: int = 20  # longer words are cut for the char CNN
    dictionary: Dictionary | None = None  # unused for words; here so both encoders look alike
    bigrams: Vocab | None = None
    standards: tuple[str, ...] = ()       # word-level models follow one standard
    default_standard: str | None = None
    units = "words"

    margin = Encoder.margin
    standard_of = Encoder.standard_of
    unwrap = Encoder.unwrap

    def encode(self, tokens: Sequence[str], dictionary: Dictionary | None = None,
               standard: str | None = None) -> Encoded:
        return Encoded(self.words.ids(word_key(w) for w in tokens), None, None,
                       [self.chars.ids(w[:self.max_word_chars]) for w in tokens],
                       [casing(w) for w in tokens])

    def encode_batch(self, texts: Sequence[Sequence[str]], standard: str | None = None) -> Inputs:
        """Padded network inputs for several token sequences (as Encoder.encode_batch)."""
        self.standard_of(standard)  # a standard asked of a word-level model is an error
        return pad_arrays([self.encode(t) for t in texts])

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 1) -> "WordEncoder":
        sentences = list(sentences)
        return cls(Vocab.build(([word_key(w) for w in s] for s in sentences), min_count=min_count),
                   Vocab.build(("".join(s) for s in sentences), min_count=1))

    def to_dict(self) -> dict:
        return {"units": "words", "words": list(self.words.itos), "chars": list(self.chars.itos),
                "max_word_chars": self.max_word_chars}

    @classmethod
    def from_dict(cls, data: dict) -> "WordEncoder":
        return cls(Vocab(data["words"][2:]), Vocab(data["chars"][2:]), int(data["max_word_chars"]))


def encoder_from_dict(data: dict) -> "Encoder | WordEncoder":
    """The encoder a model file describes (character-level unless it says words)."""
    return WordEncoder.from_dict(data) if data.get("units") == "words" else Encoder.from_dict(data)


@dataclass
class Batch:
    """A training batch: the network's inputs as torch tensors and the gold tag ids."""
    inputs: Inputs
    tags: torch.Tensor | None      # (batch, time) long, -100 on padding

    @property
    def num_chars(self) -> int:
        return int(self.inputs.lengths.sum())

    def to(self, device: torch.device | str) -> "Batch":
        """The same batch on another device (lengths stay on the CPU, where they are read)."""
        return Batch(self.inputs.map(lambda t: t.to(device), lengths=False),
                     self.tags.to(device) if self.tags is not None else None)


def _code_rows(vocab: Vocab) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(code points of all the vocabulary's strings joined, each string's start, its length)."""
    joined, ends = vocab.joined()
    ends = np.asarray(ends, dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    return code_points(joined), starts, ends - starts


def _padded(rows: Sequence[Sequence[int]], time: int, fill: int = 0) -> np.ndarray:
    out = np.full((len(rows), time), fill, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, :len(row)] = row
    return out


def _padded_words(rows: Sequence[Sequence[Sequence[int]]], time: int) -> np.ndarray:
    width = max((len(word) for row in rows for word in row), default=1)
    out = np.zeros((len(rows), time, max(width, 1)), dtype=np.int64)
    for i, row in enumerate(rows):
        for j, word in enumerate(row):
            out[i, j, :len(word)] = word
    return out


def pad_arrays(encoded: Sequence[Encoded]) -> Inputs:
    """The network's inputs for several encoded texts: int64 arrays padded with 0 (the optional
    ones only when the encoded texts have them)."""
    encoded = [Encoded(*e) for e in encoded]
    lengths = np.array([len(e.chars) for e in encoded], dtype=np.int64)
    time = int(lengths.max()) if len(encoded) else 0
    first = encoded[0] if encoded else Encoded([], None)
    inputs = Inputs(_padded([e.chars for e in encoded], time), lengths)
    if first.bigrams is not None:
        inputs = inputs._replace(bigrams=_padded([e.bigrams for e in encoded], time))
    if first.word_edges is not None:
        inputs = inputs._replace(word_edges=_padded([e.word_edges for e in encoded], time))
    if first.subchars is not None:
        inputs = inputs._replace(subchars=_padded_words([e.subchars for e in encoded], time),
                                 casing=_padded([e.casing for e in encoded], time))
    return inputs


def collate(encoded: Sequence[Encoded], tags: Sequence[list[int]] | None = None) -> Batch:
    """Pad id sequences into one torch batch (padding id 0, tag padding -100 ignored by the loss)."""
    import torch
    inputs = pad_arrays(encoded).map(torch.from_numpy)
    tag_array = _padded(tags, inputs.chars.shape[1], -100) if tags is not None else None
    return Batch(inputs, torch.from_numpy(tag_array) if tag_array is not None else None)
