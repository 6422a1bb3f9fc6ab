"""New words: the words of a raw text that a model's dictionary does not hold (`tagger words`).

Candidates come from the model itself: the words of its segmentation of the text, and each two
neighbouring words joined (a name or a term the model split apart), of 2..MAX_LEN characters,
seen at least `min_count` times. Each candidate is then measured on the raw text, wherever the
string occurs, not only where the model cut it out:

- count: occurrences in the text;
- confidence: the model's mean probability that an occurrence is one whole word (a word
  boundary before and after it, none inside), from its per-character tag probabilities; the
  boundary confidence (before and after, whatever happens inside) is reported beside it, but
  ranking by it measured far worse: two common words side by side have confident outer
  boundaries too (6% of the top 200 were gold words on CTB6's text, against 90%);
- PMI: min over the ways to cut the string in two of log(p(string) / (p(left) p(right))): a
  word's parts occur together more often than chance (Church & Hanks 1990);
- cohesion: min over the same cuts of the share of the more frequent part's occurrences that lie
  inside the string: near 1 for a name whose parts occur nowhere else, low for two common words
  side by side (他 说), however often they meet;
- boundary entropy: the entropy of the characters seen just before (and after) it: a word is
  used in many contexts, a fragment of a longer word always in the same (Jin & Tanaka-Ishii 2006).

Candidates the model's dictionary features or training words (its lexicon) already hold, and
strings with digits, punctuation or no Han character, are left out. A candidate is kept when it
is seen min_count times, its PMI and both boundary entropies pass their thresholds, and the model
is fairly confident it is one word, or its cohesion is high (a word the model splits: what
adaptation must teach it). The kept are ranked by count times the larger of confidence and
cohesion. The text is read twice (the network's pass, then one scan of every position for
strings of up to MAX_LEN characters), so the time grows linearly with the text.

The plain output (`word count` lines) is a jieba-format user dictionary: `tagger segment
--user-dict`, and `tagger.load_userdict` read it as it is.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from .errors import TaggerError
from .chunks import split_long
from .vocab import normalize

MAX_LEN = 6  # the dictionary features' longest word
MIN_CONFIDENCE = 0.3  # mean probability of being one whole word, below which a candidate is dropped
MIN_COHESION = 0.5  # ... unless its parts occur mostly inside it (a word the model splits)
MIN_PMI = 1.0  # in nats
MIN_ENTROPY = 0.5  # of the characters on each side, in nats (a word seen in at least two contexts)
CONTEXT = 10  # characters shown either side of the example occurrence
_SEPARATOR = "\n"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class NewWord:
    """One discovered word and the figures it was ranked by."""

    word: str
    count: int
    confidence: float  # mean P(one whole word): boundaries at both ends, none inside
    boundary: float    # mean P(boundaries at both ends), whatever the model does inside
    pmi: float
    cohesion: float    # the least share of a part's occurrences that lie inside this string
    left_entropy: float
    right_entropy: float
    context: str

    @property
    def score(self) -> float:
        return self.count * max(self.confidence, self.cohesion)

    def to_dict(self) -> dict:
        return {**asdict(self), "score": self.score}


def text_chunks(lines: Iterable[str]) -> list[str]:
    """The whitespace-free runs of the lines, long ones cut as the pipeline cuts them."""
    return [chunk for line in lines for piece in line.split() for chunk in split_long(piece)]


def boundary_probabilities(tagger, chunks: Sequence[str], standard: str | None = None,
                           progress: Callable[[int], None] | None = None) -> list[np.ndarray]:
    """P(a word ends after character i) for each chunk: the summed probability of the tags
    that close a word (E and S, typed or not). `progress` hears the characters done."""
    closing = np.array([tag.split("-")[0] in ("E", "S") for tag in tagger.tags])
    out: list[np.ndarray | None] = [None] * len(chunks)
    for ids, texts, log_probs, lengths in tagger.log_prob_batches(chunks, standard=standard):
        ends = np.exp(log_probs)[..., closing].sum(-1)
        for row, (i, length) in enumerate(zip(ids, lengths)):
            out[i] = np.minimum(ends[row, :length], 1.0).astype(np.float32)
            out[i][-1] = 1.0  # a chunk's last character ends a word, whatever the model says
        if progress is not None:
            progress(int(sum(lengths)))
    return out  # type: ignore[return-value]


def known_words(tagger) -> Callable[[str], bool]:
    """Whether the model already knows a word: its dictionary features hold it (as the model
    sees it, normalized) or it is one of its training words."""
    dictionary = tagger.encoder.dictionary
    held = dictionary.words if dictionary is not None else frozenset()
    classes = dictionary.classes if dictionary is not None else True
    lexicon = tagger.lexicon
    return lambda word: word in lexicon or normalize(word, classes) in held


def is_word_like(word: str) -> bool:
    """A string worth proposing: letters only (no digits, punctuation, symbols), one Han at least."""
    return bool(_HAN.search(word)) and all(unicodedata.category(c).startswith("L") for c in word)


def discover(tagger, lines: Iterable[str], top: int = 100, min_count: int = 3, standard: str | None = None,
             progress: Callable[[int], None] | None = None) -> list[NewWord]:
    """The `top` new words of the raw `lines` for this model (0: all that pass), best first."""
    if not tagger.task.segments or tagger.units != "chars":
        raise TaggerError("new words need a segmenting character model (seg or pos), not an entity model")
    if min_count < 1:
        raise TaggerError(f"--min-count must be at least 1, not {min_count}")
    chunks = text_chunks(lines)
    ends = boundary_probabilities(tagger, chunks, standard, progress)
    text = _SEPARATOR.join(chunks)
    p_end = np.concatenate([np.append(e, 1.0) for e in ends]) if ends else np.zeros(0)  # 1 at each separator
    candidates = _candidates(text, p_end, min_count, known_words(tagger))
    found = _measure(text, p_end, candidates)
    kept = [w for w in found if w.count >= min_count and w.pmi >= MIN_PMI
            and (w.confidence >= MIN_CONFIDENCE or w.cohesion >= MIN_COHESION)
            and min(w.left_entropy, w.right_entropy) >= MIN_ENTROPY]
    kept.sort(key=lambda w: (-w.score, w.word))
    return kept[:top] if top > 0 else kept


def _candidates(text: str, p_end: np.ndarray, min_count: int, known: Callable[[str], bool]) -> set[str]:
    """The model's words and neighbouring-word pairs of 2..MAX_LEN characters, seen as such at
    least min_count times, that are word-like and new."""
    cuts = np.flatnonzero(p_end >= 0.5) + 1  # the greedy segmentation: a cut after each likely end
    words = _split(text, cuts)
    seen: Counter = Counter()
    for previous, word in zip([_SEPARATOR] + words, words):
        if word != _SEPARATOR:
            if 2 <= len(word) <= MAX_LEN:
                seen[word] += 1
            if previous != _SEPARATOR and len(previous) + len(word) <= MAX_LEN:
                seen[previous + word] += 1
    return {w for w, c in seen.items() if c >= min_count and is_word_like(w) and not known(w)}


def _split(text: str, cuts: np.ndarray) -> list[str]:
    """The pieces of text between cuts (a separator is a piece of its own)."""
    starts = np.concatenate([[0], cuts]).tolist()
    stops = cuts.tolist() + [len(text)]
    return [text[a:b] for a, b in zip(starts, stops) if a < b]


def _measure(text: str, p_end: np.ndarray, candidates: set[str]) -> list[NewWord]:
    """Count, confidence, PMI, boundary entropies and an example of each candidate, from one
    scan of every position of the text."""
    parts = {w[:k] for w in candidates for k in range(1, len(w))} | {w[k:] for w in candidates for k in range(1, len(w))}
    wanted = candidates | parts
    longest = max(map(len, wanted), default=0)
    closed = np.log(np.clip(1.0 - p_end, 1e-9, 1.0))
    inside = np.concatenate([[0.0], np.cumsum(closed)])  # inside[b] - inside[a]: log P(no end in a..b-1)
    counts: Counter = Counter()
    whole, outer = defaultdict(float), defaultdict(float)
    left, right = defaultdict(Counter), defaultdict(Counter)
    first: dict[str, int] = {}
    size = len(text)
    for i in range(size):
        for n in range(1, min(longest, size - i) + 1):
            piece = text[i:i + n]
            if _SEPARATOR in piece:
                break
            if piece not in wanted:
                continue
            counts[piece] += 1
            if piece in candidates:
                ends = float((p_end[i - 1] if i else 1.0) * p_end[i + n - 1])
                outer[piece] += ends
                whole[piece] += ends * math.exp(inside[i + n - 1] - inside[i])
                left[piece][text[i - 1] if i else _SEPARATOR] += 1
                right[piece][text[i + n] if i + n < size else _SEPARATOR] += 1
                first.setdefault(piece, i)
    total = max(sum(1 for c in text if c != _SEPARATOR), 1)
    out = []
    for word in candidates:
        count = counts[word]
        pmi = min(math.log(count * total / (counts[word[:k]] * counts[word[k:]])) for k in range(1, len(word)))
        cohesion = min(count / max(counts[word[:k]], counts[word[k:]]) for k in range(1, len(word)))
        at = first[word]
        context = text[max(0, at - CONTEXT):at + len(word) + CONTEXT].replace(_SEPARATOR, " ")
        out.append(NewWord(word, count, whole[word] / count, outer[word] / count, pmi, cohesion,
                           _entropy(left[word]), _entropy(right[word]), context))
    return out


def _entropy(counts: Counter) -> float:
    """Entropy (nats) of the neighbouring characters; each line end counts as a new neighbour."""
    values = [c for k, c in counts.items() if k != _SEPARATOR] + [1] * counts.get(_SEPARATOR, 0)
    total = sum(values)
    return -sum(c / total * math.log(c / total) for c in values) if total else 0.0


def dictionary_lines(words: Sequence[NewWord]) -> list[str]:
    """The words as a jieba-format user dictionary: `word count` lines."""
    return [f"{w.word} {w.count}\n" for w in words]
