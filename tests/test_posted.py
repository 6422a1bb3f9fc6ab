"""Posted copies (tagger/posted.py): NER training sentences again with made-up post pieces between clauses."""
from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from tagger.posted import posted
from tagger.tasks import Sample

SAMPLES = [Sample("张三在北京工作，很忙。", [(0, 2, "PER"), (3, 5, "LOC")]),
           Sample("“世界银行”，在华盛顿。", [(0, 6, "ORG"), (8, 11, "LOC")]),
           Sample("上海很大", [(0, 2, "LOC")])]


def test_a_copy_keeps_every_character_in_order_and_adds_pieces_outside_entities():
    rng = random.Random(1)
    for sample in SAMPLES * 10:
        copy = posted(sample, rng)
        assert len(copy.text) > len(sample.text)
        rest = iter(copy.text)
        assert all(char in rest for char in sample.text)  # the sentence is a subsequence of its copy
        assert copy.text.startswith(sample.text[:sample.spans[0][1]])  # nothing before the first clause mark
        assert [label for *_, label in copy.spans] == [label for *_, label in sample.spans]


@given(st.text(alphabet=st.sampled_from(list("张三北京，。、！“”《》a1")), min_size=1, max_size=20),
       st.integers(0, 19), st.integers(1, 5), st.integers(0, 1000))
def test_every_entity_keeps_its_text(text, start, width, seed):
    spans = [(start, min(start + width, len(text)), "LOC")] if start < len(text) else []
    copy = posted(Sample(text, spans), random.Random(seed))
    assert [copy.text[s:e] for s, e, _ in copy.spans] == [text[s:e] for s, e, _ in spans]
