"""The thread policy: every pool capped by --threads, the free cores otherwise."""
from __future__ import annotations

import pytest
import torch
from threadpoolctl import threadpool_info

from tagger import threads
from tagger.cli import main
from tagger.errors import TaggerError


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    monkeypatch.delenv("TAGGER_THREADS", raising=False)
    monkeypatch.setattr(threads, "_chosen", 0)
    yield
    threads.set_threads(1)


def test_threads_one_leaves_one_thread_in_every_pool(tmp_path, monkeypatch):
    monkeypatch.setattr(threads, "free_cores", lambda: 2)  # an idle machine: the policy would take 2
    torch.set_num_threads(2)
    text = tmp_path / "in.txt"
    text.write_text("我们在北京大学研究生命的起源。\n", encoding="utf-8")
    assert main(["segment", str(text), "--threads", "1", "--engine", "torch", "-o", str(tmp_path / "out.txt")]) == 0
    assert torch.get_num_threads() == 1
    pools = threadpool_info()
    assert pools and all(pool["num_threads"] == 1 for pool in pools)


def test_free_cores_leaves_out_the_cores_others_keep_busy(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    readings = iter([(0.0, 0.0), (100.0, 200.0)])  # one of two cores busy over the sample
    monkeypatch.setattr(threads, "_busy_and_total", lambda: next(readings))
    assert threads.free_cores(0) == 1
    readings = iter([(0.0, 0.0), (0.0, 200.0)])  # idle
    monkeypatch.setattr(threads, "_busy_and_total", lambda: next(readings))
    assert threads.free_cores(0) == 2
    readings = iter([(0.0, 0.0), (200.0, 200.0)])  # both busy: still one thread
    monkeypatch.setattr(threads, "_busy_and_total", lambda: next(readings))
    assert threads.free_cores(0) == 1


def test_load_applies_the_policy_and_the_environment_overrides_it(monkeypatch):
    import tagger
    monkeypatch.setattr(threads, "free_cores", lambda: 2)
    tagger.load(engine="numpy")
    assert all(pool["num_threads"] == 2 for pool in threadpool_info())
    monkeypatch.setenv("TAGGER_THREADS", "1")
    tagger.load(engine="torch")
    assert torch.get_num_threads() == 1


def test_a_bad_thread_count_in_the_environment_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("TAGGER_THREADS", "many")
    with pytest.raises(TaggerError, match="TAGGER_THREADS"):
        threads.set_threads()


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_fresh_process_caps_blas_too(engine):
    """threadpoolctl caps only loaded libraries: checked where numpy is not yet imported."""
    import json
    import subprocess
    import sys
    code = ("import json, tagger; tagger.load(engine=%r, threads=1); from threadpoolctl import threadpool_info; "
            "print(json.dumps([p['num_threads'] for p in threadpool_info()]))" % engine)
    env = {k: v for k, v in __import__("os").environ.items() if not k.endswith("_NUM_THREADS") and k != "TAGGER_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts and all(n == 1 for n in counts)
