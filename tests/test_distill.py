"""Distillation (tagger/distill.py): a small student learns a tiny two-standard teacher's tag
distributions and is an ordinary model file; the shipped fast model is found by name."""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from tagger import load
from tagger.commands.distilling import add_command
from tagger.distill import DistillConfig, distill
from tagger.errors import ModelFileError, TaggerError
from tagger.modelio import read_payload, save_model, write_payload

from .conftest import write_segmented
from .test_multicriteria import two_standards

TINY = dict(char_dim=8, bigram_dim=4, channels=16, hidden=8, epochs=12, batch_chars=400, lr=1e-2, patience=12, lr_patience=4,
            threads=1)
ODD_LINES = ["我们喜欢北京大学和苹果。", "他在 上海工作了", "  abc123 中国人民！", "😀王一博#话题#", "北", ""]


@pytest.fixture(scope="module")
def teacher_path(tmp_path_factory):
    """A tiny multi-criteria teacher (standards split, joined, mixed) trained on two files, with
    jackknifed dictionary features, saved with the corpora named in its metadata."""
    from tagger.corpora import read_part, training_parts
    from tagger.model import ModelConfig
    from tagger.train import Trainer, TrainConfig
    root = tmp_path_factory.mktemp("distill")
    split, joined = two_standards(300, 1)
    paths = {"split": root / "split.seg", "joined": root / "joined.seg"}
    write_segmented(paths["split"], split)
    write_segmented(paths["joined"], joined)
    parts = {name: training_parts(str(path)) for name, path in paths.items()}
    trainer = Trainer(ModelConfig(char_dim=16, bigram_dim=8, hidden=24),
                      TrainConfig(epochs=6, batch_chars=400, lr=1e-2, char_min_count=1, bigram_min_count=1,
                                  dictionary="train", threads=1),
                      log=lambda message: None, progress=False)
    teacher = trainer.fit({n: read_part(p[0]) for n, p in parts.items()}, {n: read_part(p[1]) for n, p in parts.items()},
                          metadata={"corpus": ",".join(str(p) for p in paths.values())})
    save_model(teacher, root / "teacher.model")
    return root / "teacher.model"


@pytest.fixture(scope="module")
def student_path(teacher_path):
    out = teacher_path.parent / "student.model"
    distill([str(teacher_path)], str(out), config=DistillConfig(**TINY), log=lambda message: None)
    return out


def test_the_student_loads_with_both_engines_and_gives_the_same_words(student_path):
    torch_engine, numpy_engine = load(student_path, engine="torch"), load(student_path, engine="numpy")
    assert type(torch_engine.model).__name__ == "IDCNNTagger"
    assert type(numpy_engine.model).__name__ == "NumpyIDCNN"
    inputs = torch_engine.encoder.encode_batch(["我们喜欢北京大学", "他是学生"])
    np.testing.assert_allclose(torch_engine.model.log_probs(inputs), numpy_engine.model.log_probs(inputs), atol=1e-4)
    for standard in torch_engine.standards:
        assert torch_engine.segment_lines(ODD_LINES, standard=standard) == \
            numpy_engine.segment_lines(ODD_LINES, standard=standard)


def test_the_student_segments_losslessly(student_path):
    student = load(student_path)
    for line, words in zip(ODD_LINES, student.segment_lines(ODD_LINES)):
        assert "".join(words) == line


def test_the_student_keeps_the_teachers_standards(teacher_path, student_path):
    teacher, student = load(teacher_path), load(student_path)
    assert student.standards == teacher.standards == ("split", "joined", "mixed")
    assert student.encoder.default_standard == teacher.encoder.default_standard
    assert student.metadata["standards"] == list(teacher.standards)
    split, joined = two_standards(40, 7)  # new sentences of the kind both learned from
    for standard, sentences in (("split", split), ("joined", joined)):
        words = student.segment_lines(["".join(s) for s in sentences], standard=standard)
        assert sum(a == b for a, b in zip(words, sentences)) >= 36


def test_the_student_agrees_with_the_teacher_on_its_training_text(teacher_path, student_path):
    teacher, student = load(teacher_path), load(student_path)
    split, joined = two_standards(300, 1)
    for standard, sentences in (("split", split), ("joined", joined)):
        texts = ["".join(words) for words in sentences[:100]]
        ours, theirs = student.segment_lines(texts, standard=standard), teacher.segment_lines(texts, standard=standard)
        assert sum(a == b for a, b in zip(ours, theirs)) >= 85


def test_the_command_line_and_a_bilstm_student_from_raw_text(teacher_path, tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("我们喜欢北京大学和苹果。\n他在上海工作了 中国人民\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers(dest="command"))
    out = tmp_path / "bilstm.model"
    args = parser.parse_args(["distill", str(teacher_path), str(raw), "-o", str(out), "--network", "bilstm",
                              "--hidden", "8", "--char-dim", "8", "--bigram-dim", "4", "--epochs", "2",
                              "--batch-chars", "400", "--threads", "1"])
    assert args.func(args) == 0
    student = load(out, engine="numpy")
    assert student.standards == ("split", "joined", "mixed")
    assert student.metadata["raw_sources"] == ["raw.txt"]
    assert "".join(student.segment("他在上海工作了")) == "他在上海工作了"


def test_raw_text_alone_and_errors(teacher_path, tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("我们喜欢北京大学和苹果。\n", encoding="utf-8")
    small = DistillConfig(**{**TINY, "epochs": 1, "teacher_corpora": False})
    messages = []
    student = distill([str(teacher_path)], None, [str(raw)], small, log=messages.append)
    assert student.metadata["train_sentences"] == 1
    assert student.metadata["dev_f1"] is None and student.metadata["history"][0]["dev_f1"] is None  # no dev text
    assert not any("nan" in message.lower() for message in messages)
    with pytest.raises(TaggerError, match="neither a corpus name nor a file"):
        distill([str(teacher_path)], None, [str(tmp_path / "missing.txt")], small, log=lambda message: None)
    with pytest.raises(TaggerError, match="no training text"):
        distill([str(teacher_path)], None, [], small, log=lambda message: None)
    with pytest.raises(TaggerError, match="unknown student network"):
        distill([str(teacher_path)], None, [str(raw)], DistillConfig(network="gru"), log=lambda message: None)


def test_an_unknown_network_in_a_model_file_is_a_one_line_error(student_path, tmp_path):
    payload = read_payload(student_path)
    payload["config"]["network"] = "transformer"
    write_payload(payload, tmp_path / "future.model")
    for engine in ("torch", "numpy"):
        with pytest.raises(ModelFileError, match="unknown network 'transformer'"):
            load(tmp_path / "future.model", engine=engine)


def test_fast_names_the_shipped_fast_model(monkeypatch):
    from tagger import FAST_MODEL, modelio
    if FAST_MODEL.exists():
        fast = load("fast", engine="numpy")
        assert fast.metadata["distilled_from"] == ["default.model"]
        assert fast.standards == load("default", engine="numpy").standards
        assert "".join(fast.segment("我们喜欢北京大学。")) == "我们喜欢北京大学。"
    monkeypatch.setitem(modelio.SHIPPED, "fast", "no-such-fast.model")
    with pytest.raises(TaggerError) as error:
        load("fast")
    assert "shipped fast model" in str(error.value) and "\n" not in str(error.value)


def test_summary_of_the_student_lists_its_layers_and_adds_up(student_path, capsys):
    from tagger.cli import main
    student = load(student_path)
    assert main(["summary", str(student_path)]) == 0
    out = capsys.readouterr().out
    assert "block (Conv1d k=3 dilation 4)" in out and "LSTM" not in out
    listed = sum(row[2] for row in student.model.layer_rows())
    assert listed == sum(p.numel() for p in student.model.parameters())
    assert f"Total params: {listed:,}" in out


def test_evaluate_takes_the_shipped_names(tmp_path, capsys):
    from tagger.cli import main
    gold = tmp_path / "gold.seg"
    gold.write_text("我们 喜欢 北京 大学 。\n他 是 学生 。\n", encoding="utf-8")
    assert main(["evaluate", "fast", str(gold), "--json", str(tmp_path / "fast.json")]) == 0
    out = capsys.readouterr().out
    assert "fast" in out and "F1" in out
