"""Unpunctuated copies: training sentences again without their punctuation, so a NER model
trained on news also reads text written without it (hurried posts, chat, speech transcripts).

Why: a model that learned from edited news leans on commas and full stops to find where a
name ends; with the punctuation dropped from MSRA NER test, the shipped model lost 2.6 points
(scripts/bench/ner_noise.py). Trained with copies of half its sentences without their
punctuation words outside entities (made from the corpus file), an MSRA-only model lost 1.8
points there instead of 4.3, and kept its score on the test as it is (docs/tagging.md).

The rule: a copy drops every punctuation character (Unicode category P*) that lies outside
every entity, and moves the entities with the text; a sentence with no such character gets
no copy. `share` of the sentences (a seeded draw) are copied, and the originals stay.
"""
from __future__ import annotations

import random
import unicodedata
from typing import Sequence

from .tasks import Sample


def _punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def unpunctuated(sample: Sample) -> Sample | None:
    """The sample without the punctuation outside its entities (None: it has none, or nothing else)."""
    inside = {i for start, end, _ in sample.spans for i in range(start, end)}
    kept = [i for i, char in enumerate(sample.text) if i in inside or not _punctuation(char)]
    if len(kept) == len(sample.text) or not kept:
        return None
    new_index = {old: new for new, old in enumerate(kept)}
    spans = [(new_index[start], new_index[end - 1] + 1, label) for start, end, label in sample.spans]
    return Sample("".join(sample.text[i] for i in kept), spans)


def unpunctuated_copies(samples: Sequence[Sample], share: float, seed: int) -> list[Sample]:
    """Unpunctuated copies of `share` of the samples (`seed` fixes the draw); none when 0."""
    if share <= 0:
        return []
    rng = random.Random(seed)
    copies = []
    for sample in samples:
        if rng.random() < share:
            copy = unpunctuated(sample)
            if copy is not None:
                copies.append(copy)
    return copies
