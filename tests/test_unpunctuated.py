"""Unpunctuated copies (tagger/unpunctuated.py): NER training sentences again without their punctuation."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tagger.tasks import Sample, Task
from tagger.trainset import assemble
from tagger.unpunctuated import unpunctuated, unpunctuated_copies

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


def test_the_draw_is_seeded_and_share_zero_copies_nothing():
    assert unpunctuated_copies(SAMPLES, 0.5, seed=7) == unpunctuated_copies(SAMPLES, 0.5, seed=7)
    assert unpunctuated_copies(SAMPLES, 0.0, seed=7) == []
    assert len(unpunctuated_copies(SAMPLES, 1.0, seed=7)) == 2


def test_assemble_counts_the_copies_in_their_own_corpus():
    items = {"a": [(s.text, s.spans) for s in SAMPLES], "b": [("上海很大。", [(0, 2, "LOC")])]}
    data = assemble(items, None, Task("ner"), mixed_share=0.0, unpunctuated=1.0)
    assert data.unpunctuated == 3 and len(data.members["a"]) == 5 and len(data.members["b"]) == 2


def test_train_logs_the_copies_and_records_the_share(tmp_path, capsys):
    from tagger.cli import main
    from tagger.modelio import load_model

    from .ner_corpora import tiny_ner_corpora
    msra, _ = tiny_ner_corpora(tmp_path, n=120)
    model = tmp_path / "ner.model"
    assert main(["train", str(msra), "-o", str(model), "--hidden", "8", "--char-dim", "8",
                 "--bigram-dim", "4", "--epochs", "1", "--batch-chars", "600", "--task", "ner",
                 "--unpunctuated", "1", "--no-plot", "--threads", "1", "--no-test"]) == 0
    line = next(text for text in capsys.readouterr().err.splitlines() if text.startswith("unpunctuated copies:"))
    assert int(line.split()[2]) > 0  # the tiny corpus's sentences end with a full stop
    assert load_model(model).metadata["train_config"]["unpunctuated"] == 1.0
