"""evaluate --compare: F1 difference, bootstrap interval, randomization p-value."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tagger.cli import main
from tagger.significance import compare, compare_counts, sentence_counts

from .conftest import make_corpus, write_segmented


def _damaged(sentences, share: float, seed: int):
    """A copy where `share` of the lines have their first two words joined (an error each)."""
    rng = random.Random(seed)
    out = []
    for words in sentences:
        if len(words) > 2 and rng.random() < share:
            words = [words[0] + words[1]] + words[2:]
        out.append(list(words))
    return out


def test_counts_sum_to_the_file_score():
    gold = make_corpus(50, 3)
    predicted = _damaged(gold, 0.5, 1)
    counts = sentence_counts(gold, predicted)
    from tagger.metrics import score
    assert compare_counts(counts, counts, draws=10).f1_a == pytest.approx(score(gold, predicted).f1)


def test_clearly_better_system_is_significant(tmp_path):
    gold = make_corpus(300, 4)
    write_segmented(tmp_path / "gold.seg", gold)
    write_segmented(tmp_path / "a.seg", _damaged(gold, 0.05, 1))
    write_segmented(tmp_path / "b.seg", _damaged(gold, 0.4, 2))
    report = compare(str(tmp_path / "a.seg"), str(tmp_path / "b.seg"), str(tmp_path / "gold.seg"), draws=2000)
    scores = report.scores
    assert scores["f1_a"] > scores["f1_b"]
    assert scores["p_value"] < 0.05
    low, high = scores["interval"]
    assert 0 < low <= scores["difference"] <= high


def test_identical_outputs_are_not_significant(tmp_path):
    gold = make_corpus(200, 5)
    write_segmented(tmp_path / "gold.seg", gold)
    write_segmented(tmp_path / "a.seg", _damaged(gold, 0.3, 1))
    out = tmp_path / "cmp.json"
    assert main(["evaluate", str(tmp_path / "a.seg"), str(tmp_path / "a.seg"), str(tmp_path / "gold.seg"),
                 "--compare", "--draws", "500", "--json", str(out)]) == 0
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert scores["difference"] == 0 and scores["p_value"] > 0.5
    assert scores["interval"] == [0.0, 0.0]


def test_systems_of_equal_quality_are_not_significant():
    """A and B make the same number of errors per sentence on average: the interval holds 0."""
    rng = np.random.default_rng(0)
    gold = rng.integers(5, 20, 400)
    a = np.stack([gold - rng.integers(0, 2, 400), gold, gold], axis=1)
    b = np.stack([gold - rng.integers(0, 2, 400), gold, gold], axis=1)
    result = compare_counts(a, b, draws=2000)
    assert result.interval[0] < result.difference < result.interval[1]
    assert result.interval[0] < 0 < result.interval[1] and result.p_value > 0.05


def test_compare_takes_exactly_two(tmp_path, capsys):
    write_segmented(tmp_path / "gold.seg", make_corpus(5, 1))
    gold = str(tmp_path / "gold.seg")
    assert main(["evaluate", gold, "--compare", gold]) == 1
    assert "two predictions" in capsys.readouterr().err


def test_models_are_compared_on_the_gold_text(tiny_model, tiny_corpus, tmp_path):
    from tagger.modelio import save_model
    _, dev_path, dev = tiny_corpus
    save_model(tiny_model, tmp_path / "m.model")
    write_segmented(tmp_path / "worse.seg", _damaged(dev, 0.9, 1))
    report = compare(str(tmp_path / "m.model"), str(tmp_path / "worse.seg"), str(dev_path), draws=500)
    assert report.scores["sentences"] == len(dev)
    assert report.scores["f1_a"] > report.scores["f1_b"]
