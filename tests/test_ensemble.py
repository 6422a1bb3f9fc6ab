"""Ensembles: several models trained alike, scored as the mean of their tag probabilities."""
import numpy as np
import pytest

import tagger
from tagger.cli import main
from tagger.ensemble import MeanOfModels
from tagger.errors import ModelFileError
from tagger.modelio import save_model
from tests.conftest import make_corpus, train_tiny, write_segmented

TEXTS = ["我们喜欢苹果和香蕉。", "他是北京的学生，在上海工作了！", "研究生命起源"]


@pytest.fixture(scope="module")
def member_paths(tiny_model, tiny_corpus, tmp_path_factory):
    """Two models of one recipe on one corpus, differing only in their seed."""
    train_path, dev_path, _ = tiny_corpus
    second, _ = train_tiny(train_path, dev_path, seed=2)
    root = tmp_path_factory.mktemp("ensemble")
    paths = [root / "seed1.model", root / "seed2.model"]
    save_model(tiny_model, paths[0])
    save_model(second, paths[1])
    return paths


def test_probabilities_are_the_members_mean(member_paths):
    members = [tagger.load(p) for p in member_paths]
    inputs = members[0].encoder.encode_batch(TEXTS)
    each = [np.exp(m.model.log_probs(inputs)) for m in members]
    assert not np.allclose(each[0], each[1])  # the seeds differ, so the mean is not either one
    mean = np.exp(MeanOfModels([m.model for m in members]).log_probs(inputs))
    np.testing.assert_allclose(mean, (each[0] + each[1]) / 2, rtol=1e-5, atol=1e-7)


def test_load_a_list_segments_and_keeps_every_character(member_paths):
    ensemble = tagger.load(member_paths)
    assert ensemble.metadata["ensemble"] == [str(p) for p in member_paths]
    for text, words in zip(TEXTS, ensemble.segment_lines(TEXTS)):
        assert "".join(words) == text
    assert tagger.load(member_paths[:1]).metadata.get("ensemble") is None  # a list of one: the model


def test_ensemble_of_one_model_twice_equals_the_model(member_paths):
    one, twice = tagger.load(member_paths[0]), tagger.load([member_paths[0], member_paths[0]])
    assert twice.segment_lines(TEXTS) == one.segment_lines(TEXTS)


def test_numpy_engine_gives_the_same_words(member_paths):
    assert tagger.load(member_paths, engine="numpy").segment_lines(TEXTS) == \
        tagger.load(member_paths).segment_lines(TEXTS)


def test_members_with_other_vocabularies_are_refused(member_paths, tmp_path):
    other_train, other_dev = tmp_path / "train.seg", tmp_path / "dev.seg"
    write_segmented(other_train, make_corpus(200, 7)[:150] + [["独", "一", "无", "二"]])
    write_segmented(other_dev, make_corpus(20, 8))
    other, _ = train_tiny(other_train, other_dev, epochs=1)
    save_model(other, tmp_path / "other.model")
    with pytest.raises(ModelFileError, match="vocabularies differ"):
        tagger.load([member_paths[0], tmp_path / "other.model"])


def test_cli_evaluates_an_ensemble(member_paths, tiny_corpus, capsys):
    _, dev_path, _ = tiny_corpus
    assert main(["evaluate", *map(str, member_paths), str(dev_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{member_paths[0]} + {member_paths[1]} vs ")
    assert float(next(row for row in out.splitlines() if row.startswith("F1")).split()[1]) > 0.8


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_segments_with_an_ensemble(member_paths, tmp_path, jobs):
    source, out = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    args = ["segment", str(source), "-o", str(out), "--jobs", jobs]
    assert main(args + [f"--model={p}" for p in member_paths]) == 0
    expected = [" ".join(words) for words in tagger.load(member_paths).segment_lines(TEXTS)]
    assert out.read_text(encoding="utf-8").splitlines() == expected
