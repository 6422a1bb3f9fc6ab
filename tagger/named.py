"""`tagger.ner(text)`: the named entities of a text, by the shipped NER model (tagger/data/ner.model).

The model is loaded on first use, once, as the segmentation functions load theirs (api.LazyModel):
`import tagger` pays nothing for it. For another NER model, `tagger.load(path).entities(text)`.
"""
from __future__ import annotations

from .api import LazyModel

_SHIPPED = LazyModel("ner")


def ner(text: str, standard: str | None = None) -> list[tuple[int, int, str, str]]:
    """(start, end, type, text) of each entity in `text`: PER, LOC, ORG or TIME, offsets into
    `text`, in order, never overlapping, never across a line end. `standard` picks one of the
    model's corpora conventions ("msra-ner": no TIME; default: the model's own choice)."""
    return _SHIPPED.tagger.entities(text, standard)
