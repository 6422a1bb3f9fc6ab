"""Text -> model inputs: id sequences, padded batches, length-grouped batching."""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import torch

from .vocab import Vocab, bigrams, normalize


@dataclass
class Encoder:
    """Turns raw text into character and bigram ids, the way the model was trained."""

    chars: Vocab
    bigrams: Vocab | None
    classes: bool = True  # digits -> 0, Latin letters -> a (see vocab.normalize_char)

    def encode(self, text: str) -> tuple[list[int], list[int] | None]:
        seen = normalize(text, self.classes)
        char_ids = self.chars.ids(seen)
        bigram_ids = self.bigrams.ids(bigrams(seen)) if self.bigrams is not None else None
        return char_ids, bigram_ids

    def to_dict(self) -> dict:
        return {"chars": list(self.chars.itos),
                "bigrams": list(self.bigrams.itos) if self.bigrams is not None else [],
                "classes": self.classes}

    @classmethod
    def from_dict(cls, data: dict) -> "Encoder":
        bigram_vocab = Vocab(data["bigrams"][2:]) if data["bigrams"] else None
        return cls(Vocab(data["chars"][2:]), bigram_vocab, bool(data["classes"]))


@dataclass
class Batch:
    chars: torch.Tensor            # (batch, time) long
    bigrams: torch.Tensor | None   # (batch, time) long
    lengths: torch.Tensor          # (batch,) long
    tags: torch.Tensor | None      # (batch, time) long, -100 on padding

    @property
    def num_chars(self) -> int:
        return int(self.lengths.sum())

    def to(self, device: torch.device | str) -> "Batch":
        """The same batch on another device (lengths stay on the CPU, where they are read)."""
        move = lambda t: t.to(device) if t is not None else None  # noqa: E731
        return Batch(move(self.chars), move(self.bigrams), self.lengths, move(self.tags))


def collate(encoded: Sequence[tuple[list[int], list[int] | None]],
            tags: Sequence[list[int]] | None = None) -> Batch:
    """Pad id sequences into one batch (padding id 0, tag padding -100 ignored by the loss)."""
    lengths = [len(c) for c, _ in encoded]
    time = max(lengths) if lengths else 0
    chars = torch.zeros(len(encoded), time, dtype=torch.long)
    has_bigrams = bool(encoded) and encoded[0][1] is not None
    big = torch.zeros(len(encoded), time, dtype=torch.long) if has_bigrams else None
    tag_tensor = torch.full((len(encoded), time), -100, dtype=torch.long) if tags is not None else None
    for i, (c, b) in enumerate(encoded):
        chars[i, :len(c)] = torch.tensor(c, dtype=torch.long)
        if big is not None:
            big[i, :len(b)] = torch.tensor(b, dtype=torch.long)
        if tag_tensor is not None:
            tag_tensor[i, :len(c)] = torch.tensor(tags[i], dtype=torch.long)
    return Batch(chars, big, torch.tensor(lengths, dtype=torch.long), tag_tensor)


def length_grouped_batches(lengths: Sequence[int], max_chars: int, rng: random.Random | None = None,
                           max_sentences: int = 256) -> list[list[int]]:
    """Indices grouped into batches of similar length, each holding at most ~max_chars chars.

    With an rng, lengths are jittered before sorting and the batch order is shuffled, so every
    epoch sees different batches while padding stays small.
    """
    if rng is not None:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i] + rng.uniform(-2, 2))
    else:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        longest_if_added = max(longest, lengths[i])
        if current and (longest_if_added * (len(current) + 1) > max_chars or len(current) >= max_sentences):
            batches.append(current)
            current, longest_if_added = [], lengths[i]
        current.append(i)
        longest = longest_if_added
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def blocks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of `size` items (the last may be shorter), read lazily from any iterable."""
    iterator = iter(items)
    while block := list(itertools.islice(iterator, size)):
        yield block
