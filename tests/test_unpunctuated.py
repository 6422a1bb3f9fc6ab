"""Unpunctuated copies (tagger/unpunctuated.py): NER training sentences again without their punctuation."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tagger.tasks import Sample
from tagger.unpunctuated import unpunctuated

SAMPLES = [Sample("张三在北京工作。", [(0, 2, "PER"), (3, 5, "LOC")]),
           Sample("“世界银行”，在华盛顿。", [(0, 6, "ORG"), (8, 11, "LOC")]),
           Sample("上海很大", [(0, 2, "LOC")])]


def test_a_copy_drops_the_punctuation_outside_entities_and_moves_them():
    copy = unpunctuated(SAMPLES[1])
    assert copy.text == "“世界银行”在华盛顿"  # the quotes inside the ORG stay
    assert [copy.text[s:e] for s, e, _ in copy.spans] == ["“世界银行”", "华盛顿"]
    assert unpunctuated(SAMPLES[2]) is None and unpunctuated(Sample("。！", [])) is None


@given(st.text(alphabet=st.sampled_from(list("张三北京，。、！“”《》a1")), min_size=1, max_size=20),
       st.integers(0, 19), st.integers(1, 5))
def test_every_entity_keeps_its_text(text, start, width):
    spans = [(start, min(start + width, len(text)), "LOC")] if start < len(text) else []
    copy = unpunctuated(Sample(text, spans))
    if copy is not None:
        assert [copy.text[s:e] for s, e, _ in copy.spans] == [text[s:e] for s, e, _ in spans]
        assert len(copy.text) < len(text)
