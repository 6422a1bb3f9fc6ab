"""Posted copies: training sentences again as a post might write them, with what posts put
between their clauses, so a NER model trained on news leaves that alone.

Why: edited news has no `[哈哈]`, `T_T`, `~~` or `lol`, so a news model reads such pieces as it
reads the rare names of its corpus. Put after the commas of MSRA NER's dev text, `[嘻嘻]` and
`[哈哈]` were tagged persons 1,294 times and `T_T` 865 times; Latin words (`OMG`, `yyds`)
made persons and organizations (docs/tagging.md).

The rule: a copy inserts, after some of the sentence's clause marks outside its entities (each
with probability 1/4) and at its end, pieces that hold no entity, and moves the entities with
the text. Each piece is made up, not drawn from a list of real ones, so the model learns the
kinds rather than the items:
- a Latin word of 2 to 7 letters, or a run of 3 to 6 digits (`233333`);
- a run of 2 to 4 of one drawn-out mark (`~~`, `！！！`, `……`);
- an emoticon code: 1 to 3 of the sentence's own characters outside its entities, in `[]`;
- a face of 3 to 6 ASCII signs and letters (`^_^`-like).
`share` of the sentences (a seeded draw) are copied, and the originals stay.
"""
from __future__ import annotations

import random
import string
from typing import Callable, Sequence

from .tasks import Sample

CLAUSE_MARKS = set("，。！？；、,.!?;")
DRAWN_OUT = "~～!！?？.。…"
FACE_SIGNS = "^_-~*()<>;:'=.,/\\|oOTvVxX"
INSERT_SHARE = 0.25


def latin_word(rng: random.Random, sample: Sample, outside: Sequence[int]) -> str:
    if rng.random() < 0.2:
        return "".join(rng.choice(string.digits) for _ in range(rng.randint(3, 6)))
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 7)))
    return rng.choice([word, word.upper(), word.capitalize()])


def drawn_out(rng: random.Random, sample: Sample, outside: Sequence[int]) -> str:
    return rng.choice(DRAWN_OUT) * rng.randint(2, 4)


def emoticon_code(rng: random.Random, sample: Sample, outside: Sequence[int]) -> str:
    chars = [sample.text[i] for i in outside if "\u4e00" <= sample.text[i] <= "\u9fff"]
    if not chars:
        return drawn_out(rng, sample, outside)
    return "[" + "".join(rng.choice(chars) for _ in range(rng.randint(1, 3))) + "]"


def face(rng: random.Random, sample: Sample, outside: Sequence[int]) -> str:
    return "".join(rng.choice(FACE_SIGNS) for _ in range(rng.randint(3, 6)))


PIECES: tuple[Callable[[random.Random, Sample, Sequence[int]], str], ...] = (latin_word, drawn_out, emoticon_code, face)


def posted(sample: Sample, rng: random.Random) -> Sample:
    """The sample with made-up post pieces after some of its clause marks and at its end."""
    inside = {i for start, end, _ in sample.spans for i in range(start, end)}
    outside = [i for i in range(len(sample.text)) if i not in inside]
    marks = [i for i in outside if sample.text[i] in CLAUSE_MARKS and i < len(sample.text) - 1]
    after = [i for i in marks if rng.random() < INSERT_SHARE] + [len(sample.text) - 1]
    pieces = {i: rng.choice(PIECES)(rng, sample, outside) for i in after}
    text, moved_to, at = [], [], 0
    for i, char in enumerate(sample.text):
        moved_to.append(at)
        text.append(char + pieces.get(i, ""))
        at += len(text[-1])
    spans = [(moved_to[start], moved_to[end - 1] + 1, label) for start, end, label in sample.spans]
    return Sample("".join(text), spans)


def posted_copies(samples: Sequence[Sample], share: float, seed: int) -> list[Sample]:
    """Posted copies of `share` of the samples (`seed` fixes the draw and the pieces); none when 0."""
    if share <= 0:
        return []
    rng = random.Random(seed * 7919 + 1)  # a draw of its own, not the unpunctuated copies' sentences
    return [posted(sample, rng) for sample in samples if sample.text and rng.random() < share]
