"""Multi-criteria models: several corpora, each a segmentation standard, one shared network."""
from __future__ import annotations

import random

import numpy as np
import pytest

from tagger.errors import TaggerError
from tagger.train import Trainer, TrainConfig
from tagger.trainset import MIXED, balanced_epoch, mixed_standards

from .conftest import WORDS

# Standard "split" writes the compounds as two words, standard "joined" as one.
COMPOUNDS = [("北京", "大学"), ("王", "一博"), ("人民", "日报")]


def two_standards(n: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """The same sentences in both standards."""
    rng = random.Random(seed)
    split, joined = [], []
    for _ in range(n):
        left, right = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))], [rng.choice(WORDS)]
        compound = rng.choice(COMPOUNDS)
        split.append(left + list(compound) + right + ["。"])
        joined.append(left + ["".join(compound)] + right + ["。"])
    return split, joined


@pytest.fixture(scope="module")
def multi_model():
    from tagger.model import ModelConfig
    train_split, train_joined = two_standards(300, 1)
    dev_split, dev_joined = two_standards(30, 2)
    trainer = Trainer(ModelConfig(char_dim=16, bigram_dim=8, hidden=24),
                      TrainConfig(epochs=12, batch_chars=600, lr=1e-2, seed=1, char_min_count=1,
                                  bigram_min_count=1, patience=12),
                      log=lambda message: None, progress=False)
    model = trainer.fit({"split": train_split, "joined": train_joined},
                        {"split": dev_split, "joined": dev_joined})
    return model, trainer


def test_the_standard_changes_the_output(multi_model):
    model, _ = multi_model
    text = "我们在北京大学研究。"
    assert model.standards == ("split", "joined", MIXED)
    assert model.segment(text, standard="split")[2:4] == ["北京", "大学"]
    assert model.segment(text, standard="joined")[2] == "北京大学"
    assert "".join(model.segment(text, standard="split")) == text


def test_dev_f1_per_corpus_in_the_history_and_a_default_chosen_on_dev(multi_model):
    model, trainer = multi_model
    last = trainer.history[-1]
    assert {"dev_f1_split", "dev_f1_joined"} <= set(last)
    assert last["dev_f1"] == pytest.approx((last["dev_f1_split"] + last["dev_f1_joined"]) / 2)
    assert model.encoder.default_standard in model.standards
    table = model.metadata["standard_dev_f1"]
    best = max(table, key=lambda standard: sum(table[standard].values()))
    assert model.encoder.default_standard == best
    assert table["split"]["split"] > table["joined"]["split"]  # each standard fits its own corpus


def test_unknown_standard_is_a_one_line_error_listing_the_known_ones(multi_model):
    model, _ = multi_model
    with pytest.raises(TaggerError, match="split, joined, mixed"):
        model.segment_lines(["北京大学"], standard="nope")


def test_a_model_file_keeps_its_standards(multi_model, tmp_path):
    from tagger import load
    from tagger.modelio import save_model
    model, _ = multi_model
    save_model(model, tmp_path / "multi.model")
    loaded = load(tmp_path / "multi.model")
    assert loaded.standards == model.standards
    assert loaded.encoder.default_standard == model.encoder.default_standard
    lines = ["我们在北京大学研究。", "人民日报是学生的。"]
    for standard in model.standards:
        assert loaded.segment_lines(lines, standard=standard) == model.segment_lines(lines, standard=standard)
    numpy_engine = load(tmp_path / "multi.model", engine="numpy")
    assert numpy_engine.segment_lines(lines, standard="split") == model.segment_lines(lines, standard="split")


def test_a_single_corpus_model_has_no_standards(tiny_model):
    assert tiny_model.standards == ()
    assert tiny_model.segment_lines(["我们喜欢苹果"]) == tiny_model.segment_lines(["我们喜欢苹果"], standard=None)
    with pytest.raises(TaggerError, match="trained on one corpus"):
        tiny_model.segment_lines(["我们喜欢苹果"], standard="pku")


def test_balanced_epoch_gives_corpora_square_root_shares():
    members = {"big": range(0, 900), "small": range(900, 1000)}
    ids = balanced_epoch(members, random.Random(1))
    assert len(ids) == 1000
    small = sum(i >= 900 for i in ids)
    assert small == round(1000 * 10 / (30 + 10))  # sqrt(100) / (sqrt(900) + sqrt(100))
    assert len(set(i for i in ids if i < 900)) == len([i for i in ids if i < 900])  # big: no repeats


def test_mixed_share_is_spread_evenly():
    standards = mixed_standards("pku", 100, 0.1)
    assert standards.count(MIXED) == 10
    assert standards[:10].count(MIXED) == 1
    assert mixed_standards("pku", 10, 0.0) == ["pku"] * 10


def test_a_criterion_embedding_beside_the_markers_learns_the_standards_on_both_engines(tmp_path):
    """--standard-dim: a learned vector of the standard at every step. It is a network input
    like any other: the standard still decides the output, the numpy engine computes the same
    probabilities, the file round-trips, and the summary's widths add up."""
    from tagger.model import ModelConfig
    from tagger.modelio import load_model, save_model
    from tagger.summary import layer_rows
    train_split, train_joined = two_standards(300, 1)
    dev_split, dev_joined = two_standards(30, 2)
    trainer = Trainer(ModelConfig(char_dim=16, bigram_dim=8, hidden=24, standard_dim=6),
                      TrainConfig(epochs=12, batch_chars=600, lr=1e-2, seed=1, char_min_count=1,
                                  bigram_min_count=1, patience=12),
                      log=lambda message: None, progress=False)
    model = trainer.fit({"split": train_split, "joined": train_joined}, {"split": dev_split, "joined": dev_joined})
    network = model.model
    assert network.config.marker_ids == model.encoder.marker_ids() and min(network.config.marker_ids) >= 0
    assert network.standard_embed.weight.shape == (len(model.standards) + 1, 6)
    text = "我们在北京大学研究。"
    assert model.segment(text, standard="split")[2:4] == ["北京", "大学"]
    assert model.segment(text, standard="joined")[2] == "北京大学"

    path = tmp_path / "m.model"
    save_model(model, str(path))
    inputs = model.encoder.encode_batch([text, "人民日报"], "split")
    torch_probs = load_model(str(path)).model.log_probs(inputs)
    numpy_probs = load_model(str(path), engine="numpy").model.log_probs(inputs)
    assert numpy_probs.shape == torch_probs.shape
    assert abs(numpy_probs - torch_probs).max() < 1e-4
    import onnxruntime
    from tagger.cli import main
    from .test_dictionary import exported_inputs
    assert main(["export", str(path), "--format", "onnx", "-o", str(tmp_path / "m.onnx")]) == 0
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    names = [i.name for i in session.get_inputs()]
    logits = session.run(None, dict(zip(names, [np.asarray(a) for a in exported_inputs(inputs)])))[0]
    exported = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    real = np.arange(inputs.chars.shape[1])[None, :] < inputs.lengths[:, None]
    assert abs(exported - torch_probs)[real].max() < 1e-4
    rows = dict((name, shape) for name, shape, _ in layer_rows(network))
    assert rows["standard_embed (Embedding, at every step)"].endswith("6)")
    width = 16 + 2 * 8 + network.config.dictionary_bits + 6
    assert rows["concatenate + embed_dropout (Dropout)"] == f"(batch, time, {width})"
