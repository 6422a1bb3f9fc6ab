"""What the NER copy options share (--unpunctuated: tagger/unpunctuated.py, --posted:
tagger/posted.py): a seeded draw of a share, counted per corpus, logged and recorded by train."""
from __future__ import annotations

import pytest

from tagger.posted import posted_copies
from tagger.tasks import Sample, Task
from tagger.trainset import assemble
from tagger.unpunctuated import unpunctuated_copies

SAMPLES = [Sample("张三在北京工作，很忙。", [(0, 2, "PER"), (3, 5, "LOC")]),
           Sample("“世界银行”，在华盛顿。", [(0, 6, "ORG"), (8, 11, "LOC")]),
           Sample("上海很大", [(0, 2, "LOC")])]
# option: (the copies of a share, how many of SAMPLES get one at share 1, the log line's start)
OPTIONS = {"unpunctuated": (unpunctuated_copies, 2, "unpunctuated copies:"),  # 上海很大 has no punctuation
           "posted": (posted_copies, 3, "posted copies:")}


@pytest.mark.parametrize("option", OPTIONS)
def test_the_draw_is_seeded_and_share_zero_copies_nothing(option):
    copies, every, _ = OPTIONS[option]
    assert copies(SAMPLES, 0.5, seed=7) == copies(SAMPLES, 0.5, seed=7)
    assert copies(SAMPLES, 0.0, seed=7) == []
    assert len(copies(SAMPLES, 1.0, seed=7)) == every


@pytest.mark.parametrize("option", OPTIONS)
def test_assemble_counts_the_copies_in_their_own_corpus(option):
    every = OPTIONS[option][1]
    items = {"a": [(s.text, s.spans) for s in SAMPLES], "b": [("上海很大。", [(0, 2, "LOC")])]}
    data = assemble(items, None, Task("ner"), mixed_share=0.0, **{option: 1.0})
    assert getattr(data, option) == every + 1
    assert len(data.members["a"]) == 3 + every and len(data.members["b"]) == 2


@pytest.mark.parametrize("option", OPTIONS)
def test_the_copies_train_but_build_no_vocabulary(option):
    """Made-up pieces and text joined across dropped marks would otherwise add rows (and
    file size) for strings no real text holds; the copies read the corpus's own vocabulary."""
    from tagger.trainconfig import TrainConfig
    from tagger.trainset import build_encoder
    items = {"a": [(s.text, s.spans) for s in SAMPLES]}
    data = assemble(items, None, Task("ner"), mixed_share=0.0, **{option: 1.0})
    own = data.own_samples()
    assert own == list(range(3)) and len(data.samples) == 3 + OPTIONS[option][1]
    encoder = build_encoder([[data.samples[i].text] for i in own], TrainConfig(), True,
                            [data.standards[i] for i in own], data.names(0.0))
    plain = build_encoder([[s.text] for s in SAMPLES], TrainConfig(), True, ["a"] * 3, ("a",))
    assert encoder.bigrams.itos == plain.bigrams.itos and encoder.chars.itos == plain.chars.itos
    copied = {b for i in range(3, len(data.samples)) for b in zip(data.samples[i].text, data.samples[i].text[1:])}
    assert copied - {tuple(b) for b in encoder.bigrams.itos}  # the copies hold bigrams the vocabulary lacks


@pytest.mark.parametrize("option", OPTIONS)
def test_train_logs_the_copies_records_the_share_and_refuses_a_segmenter(option, tmp_path, capsys):
    from tagger.cli import main
    from tagger.modelio import load_model

    from .ner_corpora import tiny_ner_corpora
    flag, log = "--" + option, OPTIONS[option][2]
    msra, _ = tiny_ner_corpora(tmp_path, n=120)
    model = tmp_path / "ner.model"
    assert main(["train", str(msra), "-o", str(model), "--hidden", "8", "--char-dim", "8",
                 "--bigram-dim", "4", "--epochs", "1", "--batch-chars", "600", "--task", "ner",
                 flag, "1", "--no-plot", "--threads", "1", "--no-test"]) == 0
    line = next(text for text in capsys.readouterr().err.splitlines() if text.startswith(log))
    assert int(line.split()[2]) > 0  # the tiny corpus's sentences end with a full stop
    assert load_model(model).metadata["train_config"][option] == 1.0
    assert main(["train", str(msra), "-o", str(tmp_path / "seg.model"), flag, "0.5", "--epochs", "1",
                 "--no-plot", "--threads", "1", "--no-test"]) == 1  # without --task ner it trains a segmenter
