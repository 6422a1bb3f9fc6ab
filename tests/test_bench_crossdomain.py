"""scripts/bench/bench_crossdomain.py without the peers: the shipped model on tiny gold files written here."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from tagger import DEFAULT_MODEL
from tagger.corpora import read_word_list

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench" / "bench_crossdomain.py"
GOLD = ["我们 喜欢 苹果 。", "他 是 北京 的 学生 。", "", "中国 人民 热爱 和平 。"]


@pytest.fixture(scope="module")
def bench():
    return importlib.import_module("scripts.bench.bench_crossdomain")


@pytest.fixture(scope="module")
def shipped(bench):
    return bench.model_tools([str(DEFAULT_MODEL)])


def write_corpora(root: Path) -> None:
    """A fake corpora root holding a tiny CTB6 test file and its training words."""
    (root / "ctb6").mkdir(parents=True)
    (root / "ctb6" / "ctb6.test.seg").write_text("\n".join(GOLD) + "\n", encoding="utf-8")
    (root / "ctb6" / "ctb6.train.seg").write_text("我们 喜欢 苹果 。\n他 是 学生 。\n", encoding="utf-8")
    (root / "ctb6" / "ctb6.dev.seg").write_text("我们 喜欢 。\n", encoding="utf-8")


def test_core_scores_the_shipped_model_and_keeps_every_character(bench, shipped, tmp_path):
    (tmp_path / "tiny.seg").write_text("\n".join(GOLD) + "\n", encoding="utf-8")
    (tmp_path / "words.txt").write_text("我们\n喜欢\n苹果\n。\n", encoding="utf-8")
    spec = bench.TestSet("tiny", "Tiny set", "tiny.seg", "segmented")
    item = bench.load_set(spec, tmp_path)
    item.words, item.words_source = read_word_list(str(tmp_path / "words.txt")), "words.txt"
    tools, segmenters = shipped
    results = bench.run_benchmark([item], tools, segmenters, {}, None, threads=1, outputs=tmp_path / "out")
    data = bench.report("cmd", 1, [item], tools, {}, {"jieba": "not importable"}, results)
    bench.write_json(tmp_path / "r.json", data)
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))

    assert set(data) == {"command", "threads", "tagger_code", "sets", "tools", "skipped", "results", "mean_f1"}
    assert Path(data["tagger_code"]["path"]).name == "tagger"
    assert data["tools"] == {"tagger": {"kind": "tagger", "model": str(DEFAULT_MODEL), "standard": None}}
    assert data["sets"]["tiny"]["lines"] == len(GOLD)
    assert data["sets"]["tiny"]["chars"] == sum(len(line.replace(" ", "")) for line in GOLD)
    figures = data["results"]["tagger"]["tiny"]
    assert 0.0 < figures["f1"] <= 1.0 and 0.0 <= figures["precision"] <= 1.0 and 0.0 <= figures["recall"] <= 1.0
    assert figures["oov_recall"] is not None and 0.0 <= figures["oov_recall"] <= 1.0
    assert figures["gold_words"] == sum(len(line.split()) for line in GOLD)
    assert figures["mismatched_lines"] == 0 and figures["seconds"] >= 0 and figures["cached"] is False
    assert data["mean_f1"]["tagger"] == figures["f1"]
    output = (tmp_path / "out" / "tagger" / "tiny.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert [line.replace(" ", "") for line in output] == item.lines == [line.replace(" ", "") for line in GOLD]


def test_command_line_writes_json_and_table(bench, tmp_path, monkeypatch, capsys):
    write_corpora(tmp_path)
    monkeypatch.setenv("TAGGER_CORPORA", str(tmp_path))
    out = tmp_path / "new" / "dir" / "bench.json"
    assert bench.main(["--sets", "ctb6", "--peers", "none", "--threads", "1", "-o", str(out)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split("|")[1:3] == [" test set (word F1) ", " tagger "]
    assert table[2].startswith("| CTB6 test") and table[3].startswith("| mean of the 1")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data["results"]) == ["tagger"] and list(data["results"]["tagger"]) == ["ctb6"]
    assert data["sets"]["ctb6"]["oov_words"] == f"words of {tmp_path / 'ctb6' / 'ctb6.train.seg'} (all)"
    assert "--sets ctb6" in data["command"]
    assert f"{data['mean_f1']['tagger']:.4f}" in table[3]


@pytest.mark.parametrize("argv, message", [
    (["--sets", "pku,nope", "--peers", "none"], "unknown test set nope; known: pku, msr"),
    (["--model", "missing.model", "--peers", "none"], "missing.model: no such model file"),
    (["--peers", "hanlp"], "unknown peer hanlp"),
    (["--model", f"{DEFAULT_MODEL}:nope", "--peers", "none"], "unknown standard"),
])
def test_user_mistakes_give_one_line_and_status_1(bench, tmp_path, monkeypatch, capsys, argv, message):
    write_corpora(tmp_path)
    monkeypatch.setenv("TAGGER_CORPORA", str(tmp_path))
    assert bench.main([*argv, "-o", str(tmp_path / "r.json")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "r.json").exists()


def test_missing_gold_file_names_it(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAGGER_CORPORA", str(tmp_path))
    assert bench.main(["--sets", "weibo", "--peers", "none", "-o", str(tmp_path / "r.json")]) == 1
    assert "nlpcc2016-wordseg-dev.dat: test set 'weibo' not found" in capsys.readouterr().err


class FakeSegmenter:
    """A model listing two standards; records the standard each call asked for."""

    def __init__(self, standards):
        self.metadata = {"standards": standards} if standards else {}
        self.calls: list = []

    def segment_lines(self, lines, standard=None):
        self.calls.append(standard)
        return [list(line) for line in lines]


def test_all_expands_to_each_listed_standard_and_passes_it(bench, tmp_path, monkeypatch):
    model = tmp_path / "multi.model"
    model.write_bytes(b"")
    fake = FakeSegmenter(["pku", "msr"])
    monkeypatch.setattr(bench, "load", lambda path, precision: fake)
    tools, segmenters = bench.model_tools([f"{model}:all", str(model)])
    assert [(t.label, t.standard) for t in tools] == [("multi:pku", "pku"), ("multi:msr", "msr"), ("multi", None)]
    for tool in tools:
        bench.run_model(segmenters[tool.path], tool, ["我们"])
    assert set(fake.calls) == {"pku", "msr", None}
    with pytest.raises(bench.TaggerError, match="unknown standard 'ctb'; the model has pku, msr"):
        bench.model_tools([f"{model}:ctb"])


def test_no_standard_keyword_for_a_model_without_standards(bench, tmp_path, monkeypatch):
    class OldSegmenter:
        metadata: dict = {}

        def segment_lines(self, lines):  # today's signature: no standard keyword at all
            return [list(line) for line in lines]

    model = tmp_path / "old.model"
    model.write_bytes(b"")
    monkeypatch.setattr(bench, "load", lambda path, precision: OldSegmenter())
    tools, segmenters = bench.model_tools([f"{model}:all"])
    assert [(t.label, t.standard) for t in tools] == [("old", None)]
    output, _ = bench.run_model(segmenters[tools[0].path], tools[0], ["我们 好"])
    assert output == [["我", "们", "好"]]
