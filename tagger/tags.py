"""Tag schemes: labeled spans <-> per-unit tags, and which tag may follow which.

A `Scheme` is everything that knows the tag letters: the tags for a set of labels, tags from
spans and spans from tags, the transition rules that constrained decoding obeys (so a decoder
never emits a sequence that cannot be read back), and the columns where a word may begin or end.

    BMES        segmentation: B begins a word, M is inside, E ends it, S is a one-unit word
    BMES-typed  joint segmentation and POS: `B-v`, `E-v`, ...; the tags of one word share its POS
    BIOES       entities: `B-PER`, `I-PER`, `E-PER`, `S-PER`, and O outside any entity
    BIO         entities: `B-PER`, `I-PER`, O

What a model file holds of its scheme is `scheme_to_dict`'s; a file that names none is read with
the scheme its task always used (`scheme_from_dict`). A new scheme is a subclass here and an
entry in SCHEMES.
"""
from __future__ import annotations

import functools
import itertools
import operator
from typing import Iterable, NamedTuple, Sequence

import numpy as np

Span = tuple[int, int, str]
BMES = ("B", "M", "E", "S")
TAG_PATTERN = r"^(O|[BIMES]-\S+|[BIMES])$"  # what a corpus column of tags (any scheme above, or IOB1) holds


# -- BMES words ---------------------------------------------------------------------------------
def words_to_tags(words: Sequence[str]) -> list[str]:
    """BMES tags, one per character of the words (empty words are an error)."""
    tags: list[str] = []
    for word in words:
        tags.extend(_bmes(len(word)))
    return tags


def _bmes(length: int) -> list[str]:
    if length < 1:
        raise ValueError("empty word")
    return ["S"] if length == 1 else ["B"] + ["M"] * (length - 2) + ["E"]


def prefix(tag: str) -> str:
    """`B` of `B-v` (and of `B`)."""
    return tag.split("-", 1)[0]


def label(tag: str) -> str:
    """`v` of `B-v` ('' for an untyped tag)."""
    return tag.partition("-")[2]


_PREFIXES: dict[str, str] = {}  # tag -> prefix, for word_bounds's inner loop
_ENDS, _STARTS = frozenset("ES"), frozenset("BS")  # a word ends after E or S, and before B or S


def word_bounds(tags: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) of each word that (plain or typed) BMES tags mark; a word ends after E or S,
    and before B or S.

    Tolerant of invalid sequences (a B or M at the end still closes the last word), so the
    words always cover every character.
    """
    if not tags:
        return []
    for tag in set(tags) - _PREFIXES.keys():
        _PREFIXES[tag] = prefix(tag)
    prefixes = list(map(_PREFIXES.__getitem__, tags))  # map/compress: these loops run in C
    ends = map(_ENDS.__contains__, prefixes)
    starts = map(_STARTS.__contains__, prefixes[1:])
    cuts = list(itertools.compress(range(1, len(tags)), map(operator.or_, ends, starts)))
    cuts.append(len(tags))
    return list(zip([0, *cuts], cuts))


def word_starts(ids: np.ndarray, firsts: np.ndarray, tags: Sequence[str]) -> np.ndarray:
    """word_bounds' rule over the tag ids (indices into `tags`) of several texts laid end to
    end, text k beginning at index firsts[k]: the indices where a word begins (at a B or S,
    after an E or S, and where a text begins), found for all texts in one numpy pass."""
    prefixes = [prefix(tag) for tag in tags]
    ends_after = np.array([p in _ENDS for p in prefixes], dtype=bool)
    begins = np.array([p in _STARTS for p in prefixes], dtype=bool)[ids]
    begins[1:] |= ends_after[ids[:-1]]
    begins[firsts] = True
    return np.flatnonzero(begins)


def tags_to_words(chars: str, tags: Sequence[str]) -> list[str]:
    """Words from characters and their (plain or typed) BMES tags (see word_bounds): no
    character is ever dropped."""
    if len(chars) != len(tags):
        raise ValueError(f"{len(chars)} characters but {len(tags)} tags")
    return [chars[start:end] for start, end in word_bounds(tags)]


class Boundaries(NamedTuple):
    """Tag columns (indices into a tag list) by what they say about word edges."""
    begins: list[int]     # a word begins here (B, S)
    ends: list[int]       # a word ends here (E, S)
    opens: list[int]      # the word goes on after this unit (B, M)
    continues: list[int]  # this unit goes on the word before it (M, E)


def boundary_columns(tags: Sequence[str]) -> Boundaries:
    """Which of a segmenting model's (plain or typed BMES) tags begin, end, open or continue a
    word. Read once per tag set: every line's mask asks (its lists are shared; never change them)."""
    return _boundary_columns(tuple(tags))


@functools.lru_cache(maxsize=16)
def _boundary_columns(tags: tuple[str, ...]) -> Boundaries:
    prefixes = [prefix(t) for t in tags]
    columns = lambda *letters: [i for i, p in enumerate(prefixes) if p in letters]  # noqa: E731
    return Boundaries(columns("B", "S"), columns("E", "S"), columns("B", "M"), columns("M", "E"))


# -- entity tags --------------------------------------------------------------------------------
def spans_to_tags(length: int, spans: Iterable[Span], scheme: str = "BIOES") -> list[str]:
    """BIOES (or BIO) tags of `length` units with the entity spans marked."""
    tags = ["O"] * length
    for start, end, kind in spans:
        if scheme == "BIOES" and end - start == 1:
            tags[start] = f"S-{kind}"
            continue
        tags[start] = f"B-{kind}"
        for i in range(start + 1, end):
            tags[i] = f"I-{kind}"
        if scheme == "BIOES":
            tags[end - 1] = f"E-{kind}"
    return tags


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Spans from BIO, BIOES, BMES-typed (M for I) or IOB1 tags; a stray I starts a span."""
    spans, start, kind = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        head, _, tag_label = tag.partition("-")
        head = "I" if head == "M" else head
        continues = head in ("I", "E") and start is not None and tag_label == kind
        if start is not None and not continues:
            spans.append((start, i, kind))
            start = kind = None
        if head in ("B", "S") or (head in ("I", "E") and start is None):
            start, kind = i, tag_label
        if head in ("E", "S") and start is not None:
            spans.append((start, i + 1, kind))
            start = kind = None
    return spans


def allowed(prev: str, nxt: str, scheme: str = "BIOES") -> bool:
    """May entity tag `nxt` follow tag `prev` in BIOES or BIO?"""
    p, _, prev_kind = prev.partition("-")
    n, _, next_kind = nxt.partition("-")
    if scheme == "BIOES":
        if p in ("B", "I"):  # an entity is open: only I or E of the same type may follow
            return n in ("I", "E") and next_kind == prev_kind
        return n not in ("I", "E")
    if n == "I":  # BIO: I continues a B or I of the same type
        return p in ("B", "I") and next_kind == prev_kind
    return True


def _bmes_follows(prev: str, nxt: str) -> bool:
    if prefix(nxt) not in {"B": "ME", "M": "ME", "E": "BS", "S": "BS"}[prefix(prev)]:
        return False
    return prefix(nxt) in ("B", "S") or label(prev) == label(nxt)  # a word keeps one label


# -- schemes ------------------------------------------------------------------------------------
class Scheme:
    """A tag scheme. `segments`: its spans cover the text (words), rather than mark parts of it
    (entities). `filler`: the tag of a step outside the text proper (a standard's marker)."""
    name = ""
    segments = True
    typed = False
    filler = "O"

    def tag_set(self, labels: Iterable[str]) -> tuple[str, ...]:
        """Every tag for these span labels, in a fixed order (the model's output columns)."""
        raise NotImplementedError

    def tags(self, length: int, spans: Sequence[Span]) -> list[str]:
        """The tags of `length` units carrying these spans."""
        raise NotImplementedError

    def spans(self, tags: Sequence[str]) -> list[Span]:
        """The labeled spans that tags mark."""
        raise NotImplementedError

    def follows(self, prev: str, nxt: str) -> bool:
        """May tag `nxt` follow tag `prev`?"""
        raise NotImplementedError

    def starts(self, tag: str) -> bool:
        """May a sequence begin with `tag`?"""
        raise NotImplementedError

    def ends(self, tag: str) -> bool:
        """May a sequence end with `tag`?"""
        raise NotImplementedError

    def word_starts(self, ids: np.ndarray, firsts: np.ndarray, tags: Sequence[str]) -> np.ndarray | None:
        """Where words begin in the tag ids of several texts laid end to end (text k from index
        firsts[k]), found in one numpy pass; None where the scheme has no such pass (then each
        text's `spans` are read on their own: the same spans, slower)."""
        return None

    def __repr__(self) -> str:
        return f"Scheme({self.name})"


class WordScheme(Scheme):
    """BMES over words: every unit is in a word; typed, each tag carries its word's label."""
    filler = "S"

    def __init__(self, typed: bool):
        self.typed = typed
        self.name = "BMES-typed" if typed else "BMES"

    def tag_set(self, labels: Iterable[str]) -> tuple[str, ...]:
        return tuple(f"{p}-{lab}" for lab in labels for p in BMES) if self.typed else BMES

    def tags(self, length: int, spans: Sequence[Span]) -> list[str]:
        if self.typed:
            return [f"{t}-{lab}" for s, e, lab in spans for t in _bmes(e - s)]
        return [t for s, e, _ in spans for t in _bmes(e - s)]

    def spans(self, tags: Sequence[str]) -> list[Span]:
        if self.typed:
            return [(start, end, label(tags[start])) for start, end in word_bounds(tags)]
        return [(start, end, "") for start, end in word_bounds(tags)]

    def follows(self, prev: str, nxt: str) -> bool:
        return _bmes_follows(prev, nxt)

    def starts(self, tag: str) -> bool:
        return prefix(tag) in _STARTS

    def ends(self, tag: str) -> bool:
        return prefix(tag) in _ENDS

    def word_starts(self, ids: np.ndarray, firsts: np.ndarray, tags: Sequence[str]) -> np.ndarray | None:
        return word_starts(ids, firsts, tags)


class EntityScheme(Scheme):
    """BIOES or BIO over entities: units outside every entity are O."""
    segments = False
    typed = True

    def __init__(self, name: str, letters: str):
        self.name, self.letters = name, letters

    def tag_set(self, labels: Iterable[str]) -> tuple[str, ...]:
        return ("O",) + tuple(f"{p}-{lab}" for lab in labels for p in self.letters)

    def tags(self, length: int, spans: Sequence[Span]) -> list[str]:
        return spans_to_tags(length, spans, self.name)

    def spans(self, tags: Sequence[str]) -> list[Span]:
        return tags_to_spans(tags)

    def follows(self, prev: str, nxt: str) -> bool:
        return allowed(prev, nxt, self.name)

    def starts(self, tag: str) -> bool:
        return allowed("O", tag, self.name)

    def ends(self, tag: str) -> bool:
        return allowed(tag, "O", self.name)


SCHEMES: dict[str, Scheme] = {s.name: s for s in (WordScheme(False), WordScheme(True),
                                                  EntityScheme("BIOES", "BIES"), EntityScheme("BIO", "BI"))}
OLD_FILES = {"seg": "BMES", "pos": "BMES-typed", "ner": "BIOES"}  # task -> the scheme it always used


def scheme_named(name: str) -> Scheme:
    """The scheme of this name; an unknown one is a TaggerError naming the known ones."""
    try:
        return SCHEMES[name]
    except KeyError:
        from .errors import TaggerError
        raise TaggerError(f"unknown tag scheme {name!r}; known: {', '.join(SCHEMES)}") from None


def scheme_to_dict(scheme: Scheme) -> dict:
    """What a model file stores of its scheme."""
    return {"name": scheme.name}


def scheme_from_dict(data: dict | None, task: str) -> Scheme:
    """The scheme a model file names, or, for a file that names none, the one its task used."""
    return scheme_named(data["name"] if data else OLD_FILES[task])


def transition_rules(tags: Sequence[str] = BMES, scheme: str | Scheme = "BMES"
                     ) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """(allowed[prev][next], allowed_start, allowed_end) over the given tag order, as AllenNLP's
    allowed_transitions: the plain rules of the scheme, for a decoder or a CRF to obey."""
    rules = scheme_named(scheme) if isinstance(scheme, str) else scheme
    return ([[rules.follows(a, b) for b in tags] for a in tags],
            [rules.starts(t) for t in tags], [rules.ends(t) for t in tags])
