"""Batches in worker threads: the same labels as one batch at a time, in order, errors raised."""
from __future__ import annotations

import random
import time

import pytest
import torch

from tagger import pipeline
from tagger.batch_threads import batch_workers, in_order
from tagger.modelio import load_model, save_model

from .conftest import make_corpus


def test_results_come_back_in_the_items_order():
    delays = random.Random(1).choices([0.0, 0.002, 0.005], k=30)

    def run(i: int) -> int:
        time.sleep(delays[i])  # later items often finish first
        return i * i

    assert list(in_order(run, range(30), 3)) == [i * i for i in range(30)]
    assert list(in_order(run, range(30), 1)) == [i * i for i in range(30)]


def test_an_error_in_a_worker_is_raised_after_the_items_before_it():
    def run(i: int) -> int:
        if i == 5:
            raise ValueError("item 5")
        return i

    seen = []
    with pytest.raises(ValueError, match="item 5"):
        for value in in_order(run, range(20), 2):
            seen.append(value)
    assert seen == [0, 1, 2, 3, 4]


def test_each_worker_computes_on_one_torch_thread_and_the_caller_keeps_its_own():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        counts = list(in_order(lambda _: torch.get_num_threads(), range(8), 2))
        assert counts == [1] * 8
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def _lines() -> list[str]:
    return ["".join(words) for words in make_corpus(120, seed=7)]


def test_batches_in_threads_give_the_labels_of_one_batch_at_a_time(tiny_model, monkeypatch):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert batch_workers(tiny_model.model, "cpu") == 2  # the threaded path runs below
        lines = _lines()
        threaded = tiny_model.label_lines(lines, batch_chars=200)
        monkeypatch.setattr(pipeline, "batch_workers", lambda network, device: 1)
        assert tiny_model.label_lines(lines, batch_chars=200) == threaded
    finally:
        torch.set_num_threads(before)


def test_the_numpy_engine_runs_its_batches_in_turn(tiny_model, tmp_path):
    path = tmp_path / "tiny.model"
    save_model(tiny_model, path)
    numpy_engine = load_model(path, engine="numpy")
    assert batch_workers(numpy_engine.model, "cpu") == 1
    assert batch_workers(tiny_model.model, "cuda") == 1


def test_the_benchmark_compares_both_ways_on_one_model(tiny_model):
    from scripts.bench.batch_threads_ab import compare
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        lines = _lines() * 6  # over 5,000 characters: more than one batch
        row = compare(tiny_model, lines, rounds=2)
    finally:
        torch.set_num_threads(before)
    assert row["same_labels"] and row["workers"] == 2
    assert len(row["one_batch_at_a_time"]) == len(row["worker_threads"]) == 2
    assert row["chars"] == sum(map(len, lines)) > 5000


def test_asking_which_engine_runs_builds_no_torch_network(tiny_model, tmp_path):
    from tagger import load
    path = tmp_path / "tiny.model"
    save_model(tiny_model, path)
    auto = load(str(path))  # engine "auto": numpy until enough text was tagged
    assert batch_workers(auto.model, "cpu") == 1
    assert auto.model.engine == "numpy"  # still: no torch network was built by asking
