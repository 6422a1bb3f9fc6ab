"""Posted copies (tagger/posted.py): NER training sentences again with made-up post pieces between clauses."""
from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from tagger.posted import posted, posted_copies
from tagger.tasks import Sample, Task
from tagger.trainset import assemble

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


def test_the_draw_is_seeded_and_share_zero_copies_nothing():
    assert posted_copies(SAMPLES, 0.5, seed=7) == posted_copies(SAMPLES, 0.5, seed=7)
    assert posted_copies(SAMPLES, 0.0, seed=7) == []
    assert len(posted_copies(SAMPLES, 1.0, seed=7)) == 3


def test_assemble_counts_the_copies_in_their_own_corpus():
    items = {"a": [(s.text, s.spans) for s in SAMPLES], "b": [("上海很大。", [(0, 2, "LOC")])]}
    data = assemble(items, None, Task("ner"), mixed_share=0.0, posted=1.0)
    assert data.posted == 4 and len(data.members["a"]) == 6 and len(data.members["b"]) == 2


def test_train_logs_the_copies_and_records_the_share(tmp_path, capsys):
    from tagger.cli import main
    from tagger.modelio import load_model

    from .ner_corpora import tiny_ner_corpora
    msra, _ = tiny_ner_corpora(tmp_path, n=120)
    model = tmp_path / "ner.model"
    assert main(["train", str(msra), "-o", str(model), "--hidden", "8", "--char-dim", "8",
                 "--bigram-dim", "4", "--epochs", "1", "--batch-chars", "600", "--task", "ner",
                 "--posted", "1", "--no-plot", "--threads", "1", "--no-test"]) == 0
    line = next(text for text in capsys.readouterr().err.splitlines() if text.startswith("posted copies:"))
    assert int(line.split()[2]) > 0
    assert load_model(model).metadata["train_config"]["posted"] == 1.0
    assert main(["train", str(msra), "-o", str(tmp_path / "seg.model"), "--posted", "0.5", "--epochs", "1",
                 "--no-plot", "--threads", "1", "--no-test"]) == 1  # without --task ner it trains a segmenter: refused
