"""scripts/bench/bench_contention.py without timing anything: its figures, table, JSON, options, and
that the busy processes it starts are gone after it, however the block ends."""
from __future__ import annotations

import contextlib
import importlib
import json
import os
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench" / "bench_contention.py"


@pytest.fixture(scope="module")
def bench():
    return importlib.import_module("scripts.bench.bench_contention")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def fake_runs(bench, seconds: dict[str, dict[int, list[float]]]) -> dict:
    """{busy: {key: [runs]}} as `measure` returns them, from plain seconds."""
    return {busy: {key: [{"seconds": s, "threads": None} for s in by_level[busy]] for key, by_level in seconds.items()}
            for busy in bench.LEVELS}


SECONDS = {
    "api-torch": {0: [1.2, 1.0], 1: [2.5, 2.0], 2: [12.0, 10.0]},
    "cli-torch": {0: [8.0, 9.0], 1: [16.0, 17.0], 2: [30.0, 32.0]},
    "cli-threads1": {0: [9.0, 9.5], 1: [10.0, 11.0], 2: [20.0, 19.0]},
}


def test_busy_processes_run_inside_the_block_and_are_gone_after_it(bench):
    with bench.busy_processes(2, settle_seconds=0) as processes:
        assert len(processes) == 2 and all(p.poll() is None for p in processes)
        pids = [p.pid for p in processes]
    assert all(p.returncode is not None for p in processes)
    assert all(gone(pid) for pid in pids)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_busy_processes_are_killed_when_the_block_fails_or_is_interrupted(bench, error):
    with pytest.raises(error):
        with bench.busy_processes(1, settle_seconds=0) as processes:
            pids = [p.pid for p in processes]
            raise error()
    assert all(gone(pid) for pid in pids)


def test_no_busy_process_for_the_idle_baseline(bench):
    with bench.busy_processes(0) as processes:
        assert processes == []


def test_best_seconds_and_ratios_against_the_idle_time(bench):
    best = bench.best_seconds(fake_runs(bench, SECONDS))
    assert best[0]["api-torch"] == 1.0 and best[2]["cli-threads1"] == 19.0
    ways = {way.key: way for way in bench.WAYS}
    assert bench.ratios(best, ways["api-torch"]) == {1: 0.5, 2: 0.1}
    assert bench.ratios(best, ways["cli-torch"]) == {1: 0.5, 2: round(8.0 / 30.0, 3)}
    assert bench.ratios(best, ways["cli-threads1"]) == {1: 0.8, 2: round(8.0 / 19.0, 3)}  # the default's idle time


def test_table_marks_each_ratio_against_its_target(bench):
    ways = bench.choose_ways("api-torch,cli-threads1")
    table = bench.format_table(ways, bench.best_seconds(fake_runs(bench, SECONDS))).splitlines()
    assert "target >= 0.5" in table[0] and "target >= 0.3" in table[0]
    assert table[2].startswith("| Python API, torch engine: `tagger.load().segment_lines(lines)` | 1.00 s |")
    assert table[2].endswith("| 2.00 s | 0.50 met | 10.00 s | 0.10 below |")
    assert table[3].startswith("| command line, torch engine")
    assert table[4].startswith("| reference, one thread: `tagger segment FILE --engine torch --threads 1` *")
    assert table[4].endswith("| 0.80 met | 19.00 s | 0.42 met |")
    assert table[5] == "* cli-threads1: ratios against the idle time of `tagger segment FILE --engine torch`"


def test_report_holds_raw_seconds_ratios_cores_and_command(bench, tmp_path):
    ways = bench.choose_ways("api-torch,cli-threads1")
    text = {"path": "pku_test.utf8", "lines": 3, "chars": 30}
    data = bench.report("python -m scripts.bench.bench_contention --quick", text, ways, fake_runs(bench, SECONDS),
                        idle_busy_cores=1, repeats=2, quick=True, model=None)
    bench.write_json(tmp_path / "c.json", data)
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["command"] == "python -m scripts.bench.bench_contention --quick" and data["quick"] is True
    assert data["cores"]["machine"] == os.cpu_count() and data["cores"]["available"] >= 1
    assert data["busy_cores_before_idle_baseline"] == 1 and data["targets"] == {"1": 0.5, "2": 0.3}
    assert list(data["ways"]) == ["api-torch", "cli-torch", "cli-threads1"]
    torch_cli = data["ways"]["cli-torch"]
    assert torch_cli["run"] == "tagger segment FILE --engine torch"
    assert torch_cli["seconds"] == {"0": [8.0, 9.0], "1": [16.0, 17.0], "2": [30.0, 32.0]}
    assert torch_cli["best_seconds"] == {"0": 8.0, "1": 16.0, "2": 30.0}
    assert torch_cli["ratios"] == {"1": 0.5, "2": 0.267}
    assert data["ways"]["cli-threads1"]["ratio_baseline"] == "cli-torch"


def test_measure_alternates_the_ways_beside_each_level_of_busy_processes(bench, monkeypatch):
    levels = []

    @contextlib.contextmanager
    def counted(count):
        levels.append(count)
        yield []
    monkeypatch.setattr(bench, "busy_processes", counted)
    order = []

    def run_one(way):
        order.append((levels[-1], way.key))
        return {"seconds": 1.0, "threads": None}
    ways = bench.choose_ways("api-numpy,cli-numpy")
    runs = bench.measure(ways, 2, run_one, log=lambda message: None)
    assert levels == [0, 1, 2]
    assert order[:4] == [(0, "api-numpy"), (0, "cli-numpy"), (0, "api-numpy"), (0, "cli-numpy")]
    assert [len(runs[busy]["cli-numpy"]) for busy in bench.LEVELS] == [2, 2, 2]


def test_choose_ways_keeps_the_table_order_and_brings_a_baseline_along(bench):
    assert [way.key for way in bench.choose_ways(None)] == [way.key for way in bench.WAYS]
    assert [way.key for way in bench.choose_ways("cli-threads1, api-torch")] == [
        "api-torch", "cli-torch", "cli-threads1"]
    with pytest.raises(bench.TaggerError, match="unknown way nope; known: api-torch"):
        bench.choose_ways("api-torch,nope")


def test_children_get_the_default_thread_settings_and_this_checkout(bench, monkeypatch):
    monkeypatch.setenv("TAGGER_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    env = bench.child_environment()
    assert "TAGGER_THREADS" not in env and "OMP_NUM_THREADS" not in env
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(SCRIPT.parents[2])
    ways = {way.key: way for way in bench.WAYS}
    assert bench.child_command(ways["cli-numpy"], "in.txt", "m.model")[2:] == [
        "tagger", "segment", "in.txt", "--engine", "numpy", "--model", "m.model"]


def test_an_api_run_reports_its_seconds_and_thread_pools(bench, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("我们在北京大学研究生命的起源。\n他是学生。\n", encoding="utf-8")
    numpy_api = next(way for way in bench.WAYS if way.key == "api-numpy")
    run = bench.run_once(numpy_api, str(text), None)
    assert run["seconds"] > 0 and "torch" not in run["threads"]
    assert all(count >= 1 for count in run["threads"].values())


def test_a_missing_text_is_a_one_line_error(bench, tmp_path, capsys):
    assert bench.main(["--text", str(tmp_path / "missing.txt"), "--json", str(tmp_path / "c.json")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"bench_contention: error: {tmp_path / 'missing.txt'}: no such text file"]
    assert not (tmp_path / "c.json").exists()
