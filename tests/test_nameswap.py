"""Name swapping (tagger/nameswap.py): copies of NER training sentences with made-up names."""
from __future__ import annotations

import pytest

from tagger.errors import TaggerError
from tagger.nameswap import NameParts, swapped_copies
from tagger.tasks import Sample, Task
from tagger.trainset import assemble

SAMPLES = [Sample("张三在北京工作。", [(0, 2, "PER"), (3, 5, "LOC")]),
           Sample("李四说张三丰来了", [(0, 2, "PER"), (3, 6, "PER")]),
           Sample("王五和张三在上海", [(0, 2, "PER"), (3, 5, "PER"), (6, 8, "LOC")]),
           Sample("上海很大。", [(0, 2, "LOC")]),
           Sample("Tom在北京", [(0, 3, "PER"), (4, 6, "LOC")]),
           Sample("欧阳修在此", [(0, 3, "PER")])]


def test_surnames_are_the_first_characters_that_begin_enough_names():
    parts = NameParts(SAMPLES)
    assert parts.surnames == {"张": 3}  # 李, 王 and 欧 begin one name each; Tom is not Chinese
    assert set(parts.given) == set("三四丰五修阳")


def test_copies_change_only_the_names_and_keep_every_span():
    copies = swapped_copies(SAMPLES, share=1.0, seed=3)
    originals = [s for s in SAMPLES if NameParts(SAMPLES).swappable(s)]
    assert len(copies) == len(originals) == 3
    for copy, original in zip(copies, originals):
        assert copy.spans == original.spans and len(copy.text) == len(original.text)
        swapped = NameParts(SAMPLES).swappable(original)
        for i, (a, b) in enumerate(zip(copy.text, original.text)):
            inside = any(s <= i < e for s, e in swapped)
            assert a == b or inside
        for s, e in swapped:
            assert copy.text[s] == "张" and all(c in "三四丰五修阳" for c in copy.text[s + 1:e])


def test_the_draw_is_seeded_and_share_zero_copies_nothing():
    assert swapped_copies(SAMPLES, 0.5, seed=7) == swapped_copies(SAMPLES, 0.5, seed=7)
    assert swapped_copies(SAMPLES, 0.0, seed=7) == []
    assert swapped_copies([Sample("上海", [(0, 2, "LOC")])], 1.0, seed=1) == []


def test_assemble_adds_the_copies_to_their_own_corpus_and_standard():
    items = {"a": [("".join(s.text), s.spans) for s in SAMPLES[:3]] * 2, "b": [("上海很大。", [(0, 2, "LOC")])]}
    data = assemble(items, None, Task("ner"), mixed_share=0.0, swap_names=1.0)
    assert data.swapped == 6
    assert len(data.members["a"]) == 12 and len(data.members["b"]) == 1
    assert data.standards.count("a") == 12
    plain = assemble(items, None, Task("ner"), mixed_share=0.0)
    assert plain.swapped == 0 and len(plain.samples) == 7


@pytest.mark.parametrize("field, option", [("swap_names", "--swap-names"), ("unpunctuated", "--unpunctuated")])
def test_ner_copies_are_refused_for_a_segmenter(field, option):
    """Name swapping and unpunctuated copies (tagger/unpunctuated.py) are for NER models."""
    from tagger.model import ModelConfig
    from tagger.train import Trainer, TrainConfig
    corpus = [["上海", "很", "大"]] * 5
    with pytest.raises(TaggerError, match=option):
        Trainer(ModelConfig(), TrainConfig(task="seg", epochs=1, **{field: 0.5})).fit(corpus, corpus)


def test_train_swaps_names_in_both_corpora_and_records_the_share(tmp_path, capsys):
    from tagger.cli import main
    from tagger.modelio import load_model

    from .ner_corpora import tiny_ner_corpora
    msra, pd = tiny_ner_corpora(tmp_path, n=120)
    model = tmp_path / "ner.model"
    assert main(["train", f"{msra},{pd}", "-o", str(model), "--hidden", "8", "--char-dim", "8",
                 "--bigram-dim", "4", "--epochs", "1", "--batch-chars", "600", "--task", "ner",
                 "--swap-names", "1", "--no-plot", "--threads", "1", "--no-test"]) == 0
    # every training sentence of both tiny corpora (114 each; a 20th is dev) holds a name whose
    # surname begins many: each gets a copy
    err = capsys.readouterr().err
    assert "name swapping: 228 sentences again with made-up names" in err and "training on 456 sentences" in err
    assert load_model(model).metadata["train_config"]["swap_names"] == 1.0
