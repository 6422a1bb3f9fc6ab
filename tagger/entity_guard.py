"""Text an entity never cuts into, as an allowed-tag mask for the entity decoder.

URLs, e-mail addresses, @mentions and #hashtags are no names of people, places or
organizations, whatever characters they hold (`@北京日报`, `#上海#`): their characters are
tagged O, so no entity starts, ends or lies inside them. They are the words of their own of
tagger/tokens.py (URLs, addresses, paths, options, Latin mentions and hashtags, the signs,
emoji), plus what segmentation leaves to the model there: a Chinese @mention, up to the next
space or punctuation, and a Weibo topic between two hash signs. Runs of Latin letters and
digits (`IBM`, `2024`, `v2.1`) may belong to an entity, but only whole: no entity edge falls
inside one, as no word boundary does in segmentation.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .decode import keep_whole_mask
from .tokens import Tokens

_CHINESE_TAGS = re.compile(r"[#＃][^#＃\s]{1,40}[#＃]|[@＠][\w\-]+")


def outside_spans(text: str, tokens: Tokens) -> list[tuple[int, int]]:
    """(start, end) of the URLs, e-mail addresses, @mentions, #hashtags (and other words of
    their own) of `text`, whose `tokens` tagger/tokens.py found."""
    words = tokens.words
    extra = [m.span() for m in _CHINESE_TAGS.finditer(text)
             if not any(s < m.end() and m.start() < e and not (m.start() <= s and e <= m.end()) for s, e in words)]
    return sorted({*words, *extra})


def entity_mask(text: str, tokens: Tokens, tags: Sequence[str]) -> np.ndarray | None:
    """Allowed tags per character (None: all): O alone on `outside_spans`, and no entity edge
    inside a run of Latin letters and digits."""
    outside = outside_spans(text, tokens)
    runs = [(s, e) for s, e in tokens.runs if not any(a <= s < b for a, b in outside)]
    if not outside and not runs:
        return None
    mask = keep_whole_mask(len(text), runs, tags, np.ones((len(text), len(tags)), dtype=bool))
    entity = [i for i, tag in enumerate(tags) if tag != "O"]
    for start, end in outside:
        mask[start:end, entity] = False
    return mask
