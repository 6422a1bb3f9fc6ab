"""Name swapping: copies of training sentences with each person's name replaced by a made-up
one, so a NER model learns what a Chinese name looks like rather than the names its corpus
happens to hold (mention replacement, Dai & Adel 2020).

Why: news corpora repeat a few thousand names in a few kinds of context. A model trained on
them alone finds a name it never saw less reliably, above all in contexts news lacks (a CV's
"NAME，男，汉族", a chat line): scripts/bench/ner_names.py measures that.

The rule, learned from the corpus itself, so nothing here is a list of names:
- a swappable name is a PER span of two or three Chinese characters whose first character
  begins at least MIN_SURNAME such names (a surname, by the corpus's own count);
- its replacement has the same length: a surname drawn by how often each begins a name, then
  given-name characters drawn by how often each follows one. Same length, so no other span
  moves;
- `share` of the sentences holding a swappable name get one swapped copy each (a seeded draw),
  added to the corpus: the originals stay, so no context is lost.
"""
from __future__ import annotations

import random
import unicodedata
from collections import Counter
from itertools import accumulate
from typing import Sequence

from .tasks import Sample

PERSON = "PER"
LENGTHS = (2, 3)   # surname + one or two given-name characters
MIN_SURNAME = 3    # a first character begins at least this many names to count as a surname


def _chinese(text: str) -> bool:
    return all(unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH") for c in text)


class NameParts:
    """How often each character begins a name (surnames) and follows its first character
    (given names), as cumulative weights for drawing."""

    def __init__(self, samples: Sequence[Sample]):
        firsts, rests = Counter(), Counter()
        for sample in samples:
            for start, end in self._names(sample):
                firsts[sample.text[start]] += 1
                rests.update(sample.text[start + 1:end])
        self.surnames = {c: n for c, n in firsts.items() if n >= MIN_SURNAME}
        self.given = dict(rests)
        self._surname_draw = (list(self.surnames), list(accumulate(self.surnames.values())))
        self._given_draw = (list(self.given), list(accumulate(self.given.values())))

    @staticmethod
    def _names(sample: Sample) -> list[tuple[int, int]]:
        """(start, end) of each PER span that may be a name: two or three Chinese characters."""
        return [(s, e) for s, e, kind in sample.spans
                if kind == PERSON and e - s in LENGTHS and _chinese(sample.text[s:e])]

    def swappable(self, sample: Sample) -> list[tuple[int, int]]:
        """(start, end) of each name in `sample` that may be swapped: its first character is a surname."""
        return [(s, e) for s, e in self._names(sample) if sample.text[s] in self.surnames]

    def made_up(self, length: int, rng: random.Random) -> str:
        """A name of `length` characters drawn from the corpus's surnames and given-name characters."""
        surname = rng.choices(self._surname_draw[0], cum_weights=self._surname_draw[1])[0]
        given = rng.choices(self._given_draw[0], cum_weights=self._given_draw[1], k=length - 1)
        return surname + "".join(given)


def swapped_copies(samples: Sequence[Sample], share: float, seed: int) -> list[Sample]:
    """Copies of `share` of the samples that hold a swappable name, each name made up anew
    (`seed` fixes the draw); none when `share` is 0 or the corpus has no surnames."""
    if share <= 0:
        return []
    parts, rng = NameParts(samples), random.Random(seed)
    if not parts.surnames or not parts.given:
        return []
    copies = []
    for sample in samples:
        places = parts.swappable(sample)
        if not places or rng.random() >= share:
            continue
        text = list(sample.text)
        for start, end in places:
            text[start:end] = parts.made_up(end - start, rng)
        copies.append(Sample("".join(text), list(sample.spans)))
    return copies
