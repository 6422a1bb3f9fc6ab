"""Partial labels: a corpus that tags no entity of some type teaches nothing about that type.

Why: the shared standard of a multi-corpus NER model (MIXED) learns from every corpus's
sentences. MSRA NER tags no times, so its sentences, read as they are, teach MIXED that a date is
O, against People's Daily's TIME; the shared standard then finds few times outside People's
Daily's own text. So where a corpus's sentence trains MIXED, each of its O characters is left
open between O and the tags of the types the corpus never tags, and the loss counts every tag
sequence within those choices (the marginal likelihood of Greenberg et al. 2018, "Marginal
likelihood training of BiLSTM-CRF for biomedical named entity recognition from disjoint label
sets"). Under the corpus's own standard its sentences keep their labels as they are: that
standard is the corpus's convention, times untagged.

Tag ids: 0..tags-1 as usual; an open O is tags + k, for the k-th set of choices; padding -100.
`choices(tags, open_sets)` is the (tags + k, tags) table of what each id allows.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch

from .tags import label


def untagged_types(labels_by_corpus: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    """Each corpus's entity types that another corpus tags and it never does (corpora missing none
    are left out)."""
    every = set().union(*labels_by_corpus.values()) if labels_by_corpus else set()
    return {name: frozenset(every - own) for name, own in labels_by_corpus.items() if every - own}


def open_choices(tags: Sequence[str], missing: frozenset[str], filler: str = "O") -> list[int]:
    """Tag ids an open O allows: O itself and every tag of the `missing` types."""
    return [i for i, tag in enumerate(tags) if tag == filler or label(tag) in missing]


def choices(num_tags: int, open_sets: Sequence[Sequence[int]], device=None) -> torch.Tensor:
    """(num_tags + len(open_sets), num_tags) bool: row i < num_tags allows tag i alone, row
    num_tags + k the tags of open_sets[k]."""
    table = torch.zeros(num_tags + len(open_sets), num_tags, dtype=torch.bool, device=device)
    table[torch.arange(num_tags), torch.arange(num_tags)] = True
    for k, allowed in enumerate(open_sets):
        table[num_tags + k, list(allowed)] = True
    return table


def allowed_tags(tags: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """(batch, time, num_tags) bool of the tags each step's id allows (padding: all)."""
    allowed = table[tags.clamp(min=0)]
    return allowed | (tags < 0).unsqueeze(2)


def softmax_loss(logits: torch.Tensor, tags: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Mean over tagged steps of -log(the probability of the step's allowed tags): cross-entropy
    where a step has one allowed tag."""
    mask = tags >= 0
    scores = logits.float()
    allowed = allowed_tags(tags, table)
    kept = torch.logsumexp(scores.masked_fill(~allowed, -1e4), dim=2)
    loss = (torch.logsumexp(scores, dim=2) - kept) * mask
    return loss.sum() / mask.sum().clamp(min=1)
