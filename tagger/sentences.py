"""Where a sentence ends: one rule for cutting training paragraphs and long input runs alike.

A sentence ends after a run of sentence-final marks (Chinese and ASCII full stops, question and
exclamation marks, semicolons, the ellipsis) and the closing quotes and brackets that follow
them. Training cuts long segmented paragraphs there (tagger/train.py), and inference cuts runs
longer than the network's chunk size there (tagger/chunks.py): the model then reads input cut
the way its training sentences were.
"""
from __future__ import annotations

import re
from typing import Sequence

from .metrics import spans

FINALS = "。！？!?；;…"
CLOSERS = "”’」』）)》"
SENTENCE_END = re.compile(f"[{re.escape(FINALS)}]+[{re.escape(CLOSERS)}]*")


def split_words(words: Sequence[str]) -> list[list[str]]:
    """A segmented paragraph cut after each sentence end that falls between two words (an end
    inside a word, as in a word "好！", does not cut it). The ends are SENTENCE_END's matches
    in the joined text, so a paragraph is cut exactly where a long input run would be."""
    ends = {m.end() for m in SENTENCE_END.finditer("".join(words))}
    out: list[list[str]] = []
    current: list[str] = []
    for word, (_, end) in zip(words, spans(words)):
        current.append(word)
        if end in ends:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out
