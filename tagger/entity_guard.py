"""Text an entity never cuts into, as an allowed-tag mask for the entity decoder.

URLs, e-mail addresses, @mentions and #hashtags are no names of people, places or
organizations, whatever characters they hold (`@北京日报`, `#上海#`): their characters are
tagged O, so no entity starts, ends or lies inside them. They are the words of their own of
tagger/tokens.py (URLs, addresses, paths, options, Latin mentions and hashtags, the signs,
emoji), plus what segmentation leaves to the model there: a Chinese @mention, up to the next
space or punctuation, and a Weibo topic between two hash signs. Runs of Latin letters and
digits (`IBM`, `2024`, `v2.1`) may belong to an entity, but only whole: no entity edge falls
inside one, as no word boundary does in segmentation.

No entity begins or ends on punctuation or a symbol (`~~`, `★`, `→`, `——`): no name does,
whereas a model that rarely saw such a sign in training may read it as one (MSRA NER's dev text
with `~~` after each comma: 570 of its false entities were `~~` alone, tagged a person). Inside
an entity they stay free (`中国（集团）公司`, `卡尔·马克思`). Brackets and quotes may open or close
one (`《...》`, as some corpora mark titles), and two signs that stand for a character in names
may take any place: `○` for zero (`二○○二年`) and `×` for a withheld one (`××公司`).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Sequence

import numpy as np

from .decode import keep_whole_mask
from .tags import boundary_columns, prefix
from .tokens import Tokens

_CHINESE_TAGS = re.compile(r"[#＃][^#＃\s]{1,40}[#＃]|[@＠][\w\-]+")
_SIGNS = re.compile(r"[^\w\s○×]")  # punctuation and symbols, but the two that stand for a character in names
_QUOTES = "\"'＂＇"  # quotes without a side (Unicode's Po): either edge


def outside_spans(text: str, tokens: Tokens) -> list[tuple[int, int]]:
    """(start, end) of the URLs, e-mail addresses, @mentions, #hashtags (and other words of
    their own) of `text`, whose `tokens` tagger/tokens.py found."""
    words = tokens.words
    extra = [m.span() for m in _CHINESE_TAGS.finditer(text)
             if not any(s < m.end() and m.start() < e and not (m.start() <= s and e <= m.end()) for s, e in words)]
    return sorted({*words, *extra})


def sign_edges(text: str) -> tuple[list[int], list[int]]:
    """(positions where no entity may begin, positions where none may end): the text's
    punctuation and symbols, but an opening bracket or quote may begin one, a closing one end
    it, and a quote without a side do either."""
    no_begin, no_end = [], []
    for match in _SIGNS.finditer(text):
        sign, at = match.group(), match.start()
        if sign in _QUOTES:
            continue
        category = unicodedata.category(sign)
        if category not in ("Ps", "Pi"):
            no_begin.append(at)
        if category not in ("Pe", "Pf"):
            no_end.append(at)
    return no_begin, no_end


def entity_mask(text: str, tokens: Tokens, tags: Sequence[str]) -> np.ndarray | None:
    """Allowed tags per character (None: all): O alone on `outside_spans`, no entity edge
    inside a run of Latin letters and digits, and none on punctuation or a symbol (`sign_edges`)."""
    outside = outside_spans(text, tokens)
    runs = [(s, e) for s, e in tokens.runs if not any(a <= s < b for a, b in outside)]
    no_begin, no_end = sign_edges(text)
    if not (outside or runs or no_begin or no_end):
        return None
    mask = keep_whole_mask(len(text), runs, tags, np.ones((len(text), len(tags)), dtype=bool))
    may_continue, may_go_on, outside_only = _rows(tuple(tags))
    mask[no_begin] &= may_continue
    mask[no_end] &= may_go_on
    for start, end in outside:
        mask[start:end] &= outside_only
    return mask


@functools.lru_cache(maxsize=16)
def _rows(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed-tag rows of a tag set, read once (every line's mask asks): no tag that begins an
    entity, none that ends one, O alone."""
    begins, ends = boundary_columns(tags)[:2]
    columns = np.arange(len(tags))
    return ~np.isin(columns, begins), ~np.isin(columns, ends), np.array([tag == "O" for tag in tags])


def entity_breaks(mask: np.ndarray, starts: Sequence[int], tags: Sequence[str]) -> np.ndarray:
    """`mask` with no entity running into any of `starts` from the character before: there,
    no tag that continues an entity (I, M or E). The decoder's transition rules then end
    every entity before it, in BIO and BIOES alike."""
    continuing = [i for i, tag in enumerate(tags) if prefix(tag) in ("I", "M", "E")]
    mask[np.ix_(list(starts), continuing)] = False
    return mask
