"""The command line, end to end, on tiny data."""
import argparse
import json
import subprocess
import sys

import pytest
import torch

from tagger import DEFAULT_MODEL
from tagger.cli import build_parser, main
from tagger.modelio import read_payload, save_model

from .conftest import save_legacy


@pytest.fixture(scope="module")
def model_path(tiny_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.model"
    save_model(tiny_model, path)
    return path


def run_cli(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "tagger", *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_segment_file_keeps_lines(model_path, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("我们喜欢苹果。\n\n他是学生 在北京\r\n", encoding="utf-8")
    assert main(["segment", str(source), "--model", str(model_path), "--delimiter", "/"]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""
    assert lines[0].replace("/", "") == "我们喜欢苹果。"
    assert lines[2].replace("/", "") == "他是学生 在北京"


def test_segment_to_output_file(model_path, tmp_path):
    source, out = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("我们喜欢苹果。\n", encoding="utf-8")
    assert main(["segment", str(source), "--model", str(model_path), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").replace(" ", "") == "我们喜欢苹果。\n"


def test_segment_stdin_subprocess(model_path):
    result = run_cli("segment", "--model", str(model_path), stdin="我们喜欢苹果\n他是学生\n")
    assert result.returncode == 0, result.stderr
    assert [line.replace(" ", "") for line in result.stdout.splitlines()] == ["我们喜欢苹果", "他是学生"]


def test_train_writes_model_and_history(tiny_corpus, tmp_path):
    train_path, dev_path, _ = tiny_corpus
    out = tmp_path / "cli.model"
    code = main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), "--epochs", "1",
                 "--hidden", "8", "--layers", "1", "--char-dim", "8", "--bigram-dim", "4", "--quiet"])
    assert code == 0
    payload = read_payload(out)
    assert payload["metadata"]["corpus"] == str(train_path)
    assert payload["config"]["hidden"] == 8
    assert (tmp_path / "cli.history.csv").read_text().startswith("epoch,")


def test_evaluate_output_file_and_json(tmp_path, capsys):
    gold, pred, words, report = (tmp_path / n for n in ("gold", "pred", "words", "r.json"))
    gold.write_text("研究 生命 起源\n我们 喜欢\n", encoding="utf-8")
    pred.write_text("研究生 命 起源\n我们 喜欢\n", encoding="utf-8")
    words.write_text("研究\n生命\n我们\n喜欢\n", encoding="utf-8")
    assert main(["evaluate", str(pred), str(gold), "--words", str(words), "--json", str(report)]) == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["correct"] == 3 and data["gold_words"] == 5 and data["pred_words"] == 5
    assert data["oov_recall"] == 1.0 and data["iv_recall"] == pytest.approx(0.5)
    assert "F1" in capsys.readouterr().out


def test_evaluate_lists_errors_and_writes_them_to_json(tmp_path, capsys):
    gold, pred, report = (tmp_path / n for n in ("gold", "pred", "r.json"))
    gold.write_text("提 出 建议\n提 出\n罢免 了\n", encoding="utf-8")
    pred.write_text("提出 建议\n提出\n罢 免 了\n", encoding="utf-8")
    assert main(["evaluate", str(pred), str(gold), "--top-errors", "1", "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "     2  提 出  ->  提出" in out and "罢 免" not in out  # only the most frequent one
    assert json.loads(report.read_text(encoding="utf-8"))["errors"] == [{"gold": "提 出", "output": "提出", "count": 2}]


def test_evaluate_model(model_path, tiny_corpus, capsys):
    _, dev_path, _ = tiny_corpus
    assert main(["evaluate", str(model_path), str(dev_path)]) == 0
    f1 = float(next(row for row in capsys.readouterr().out.splitlines() if row.startswith("F1")).split()[1])
    assert f1 > 0.8


@pytest.mark.parametrize("content, message", [
    (b"not a model at all", "not a tagger model file"),
    (b"PK\x03\x04 truncated zip", "not a tagger model file"),
])
def test_bad_model_file_is_one_line_error(tmp_path, content, message):
    bad = tmp_path / "bad.model"
    bad.write_bytes(content)
    result = run_cli("segment", "--model", str(bad), stdin="你好\n")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_incompatible_version(model_path, tmp_path, capsys):
    old = tmp_path / "future.model"
    save_legacy(read_payload(model_path), old, version=999)
    assert main(["segment", str(model_path), "--model", str(old)]) == 1
    assert "format version 999" in capsys.readouterr().err


def test_missing_input_and_bad_encoding(model_path, tmp_path, capsys):
    assert main(["segment", str(tmp_path / "nope.txt"), "--model", str(model_path)]) == 1
    assert "nope.txt: no such file" in capsys.readouterr().err
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("好\n".encode() + "中文".encode("gbk") + b"\n")
    assert main(["segment", str(bad), "--model", str(model_path)]) == 1
    assert "gbk.txt:2: not valid UTF-8" in capsys.readouterr().err


def test_malformed_corpus_line_in_train(tmp_path, capsys):
    corpus = tmp_path / "pd.txt"
    corpus.write_text("19980101-01-001-001/m  好/a\n19980101-01-001-002/m  坏\n", encoding="utf-8")
    assert main(["train", str(corpus), "--format", "pd1998", "-o", str(tmp_path / "x.model")]) == 1
    assert "pd.txt:2: malformed token" in capsys.readouterr().err
    assert not (tmp_path / "x.model").exists()


@pytest.mark.parametrize("options, expected", [
    ([], (0.2, 0.2)),
    (["--dropout", "0.35"], (0.35, 0.35)),
    (["--dropout", "0.35", "--embed-dropout", "0"], (0.0, 0.35)),
    (["--lstm-dropout", "0.5"], (0.2, 0.5)),
])
def test_dropout_placement_options(options, expected):
    from tagger.cli import build_parser
    from tagger.commands.training import _configs

    model_config, _ = _configs(build_parser().parse_args(["train", "c.txt", "-o", "m", *options]))
    assert (model_config.embed_dropout, model_config.lstm_dropout) == expected


@pytest.mark.parametrize("option", ["--dropout", "--lstm-dropout", "--embed-dropout"])
def test_dropout_out_of_range_is_one_line_error(tiny_corpus, tmp_path, capsys, option):
    train_path, dev_path, _ = tiny_corpus
    out = tmp_path / "x.model"
    with pytest.raises(SystemExit) as stop:  # refused when parsed, a usage error
        main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), option, "1.5"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "dropout" in err and "1.5" in err
    assert not out.exists()


def test_usage_error_exits_2():
    assert run_cli("segment", "--no-such-flag").returncode == 2


def test_default_model_ships_and_segments():
    assert DEFAULT_MODEL.is_file(), "the default model must ship inside the package"
    assert DEFAULT_MODEL.stat().st_size < 20 * 2**20
    result = run_cli("segment", stdin="我们在北京大学研究生命的起源。\n")
    assert result.returncode == 0, result.stderr
    line = result.stdout.rstrip("\n")
    assert line.replace(" ", "") == "我们在北京大学研究生命的起源。"
    assert line.split(" ")[0] == "我们"


def test_pos_model_ships_and_tags():
    """`segment --pos` works out of the box: the shipped joint segmentation + POS model."""
    from tagger import POS_MODEL
    assert POS_MODEL.is_file(), "the POS model must ship inside the package"
    assert POS_MODEL.stat().st_size < 20 * 2**20
    text = "我们在北京大学研究生命的起源。"
    result = run_cli("segment", "--pos", stdin=text + "\n")
    assert result.returncode == 0, result.stderr
    tokens = result.stdout.rstrip("\n").split(" ")
    assert "".join(t.rsplit("/", 1)[0] for t in tokens) == text
    assert tokens[0] == "我们/r" and tokens[-1] == "。/w"


def test_posseg_default_model_keeps_every_character():
    import tagger.posseg as pseg
    text = "  我爱北京天安门。\tGPT-4 很好\n"
    pairs = pseg.lcut(text)
    assert "".join(word for word, _ in pairs) == text
    assert ("北京", "ns") in pairs and ("\t", "x") in pairs


def test_python_api_default():
    import tagger
    words = tagger.lcut("中国人民喜欢和平")
    assert "".join(words) == "中国人民喜欢和平" and len(words) >= 2
    assert list(tagger.cut("中国人民")) == tagger.lcut("中国人民")


def test_encoding_and_replace(model_path, tmp_path, capsys):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("我们喜欢苹果\n".encode("gb18030"))
    assert main(["segment", str(gbk), "--model", str(model_path), "--encoding", "gb18030"]) == 0
    assert capsys.readouterr().out.replace(" ", "") == "我们喜欢苹果\n"
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"ab\xffcd\n")
    assert main(["segment", str(broken), "--model", str(model_path)]) == 1
    assert "broken.txt:1: not valid UTF-8 (byte 2 of the line, offset 2 in the file)" in capsys.readouterr().err
    assert main(["segment", str(broken), "--model", str(model_path), "--errors", "replace"]) == 0
    assert capsys.readouterr().out.replace(" ", "") == "ab\ufffdcd\n"


def test_user_dict_option(model_path, tmp_path, capsys):
    words = tmp_path / "dict.txt"
    words.write_text("果香 3 n\n", encoding="utf-8")
    source = tmp_path / "in.txt"
    source.write_text("我们喜欢苹果香蕉\n", encoding="utf-8")
    assert main(["segment", str(source), "--model", str(model_path), "--user-dict", str(words)]) == 0
    assert "果香" in capsys.readouterr().out.split()


def test_never_overwrites_input(model_path, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("我们\n", encoding="utf-8")
    assert main(["segment", str(source), "--model", str(model_path), "-o", str(source)]) == 1
    assert source.read_text(encoding="utf-8") == "我们\n"
    assert "refusing to overwrite" in capsys.readouterr().err


def test_skip_bad_lines(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    good = "我们/o 喜欢/o 苹果/o\n他/o 是/o 学生/o\n"
    corpus.write_text(good * 20 + "坏 行/o\n", encoding="utf-8")
    out = tmp_path / "m.model"
    args = ["train", str(corpus), "--format", "msra", "-o", str(out), "--epochs", "1", "--hidden", "4",
            "--layers", "1", "--char-dim", "4", "--bigram-dim", "0", "--quiet"]
    assert main(args) == 1 and "c.txt:41: malformed token '坏'" in capsys.readouterr().err
    assert main(args + ["--skip-bad-lines"]) == 0
    assert "skipped 1 malformed lines" in capsys.readouterr().err
    assert read_payload(out)["metadata"]["skipped_lines"] == 1


def test_empty_corpus_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty.seg"
    empty.write_text("\n\n", encoding="utf-8")
    assert main(["train", str(empty), "--format", "segmented", "-o", str(tmp_path / "m.model")]) == 1
    assert "no sentences" in capsys.readouterr().err


def test_corpus_too_small_for_a_carved_dev_split_says_give_dev(tmp_path, capsys):
    small = tmp_path / "small.seg"
    small.write_text("我们 在 北京\n他 去 上海\n", encoding="utf-8")
    assert main(["train", str(small), "--format", "segmented", "-o", str(tmp_path / "m.model")]) == 1
    err = capsys.readouterr().err
    assert "small.seg: too few sentences to carve a dev split" in err and "--dev FILE" in err


def test_output_in_missing_directory(model_path, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("我们\n", encoding="utf-8")
    target = tmp_path / "no" / "dir" / "out.txt"
    assert main(["segment", str(source), "--model", str(model_path), "-o", str(target)]) == 1
    assert "cannot write here" in capsys.readouterr().err


def test_evaluate_a_broken_model_file_says_so(tmp_path, tiny_corpus, capsys):
    """Without the .model check it would be read as segmented output and fail on line counts."""
    broken = tmp_path / "broken.model"
    broken.write_text("我们 在\n", encoding="utf-8")
    assert main(["evaluate", str(broken), str(tiny_corpus[1])]) == 1
    assert "not a tagger model file" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "cv"])
def test_training_output_in_missing_directory_fails_first(command, tmp_path, capsys):
    """A mistyped output folder is reported before the corpus is read (here it does not exist
    either: the output's error comes first), not after the training it would have cost."""
    target = tmp_path / "no" / "dir" / "out.model"
    assert main([command, str(tmp_path / "missing.seg"), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "cannot write here" in err and "missing.seg" not in err


def test_jobs_2_equals_jobs_1_in_order(model_path, tmp_path):
    source = tmp_path / "many.txt"
    lines = [f"我们喜欢苹果{i}和香蕉。" if i % 7 else "" for i in range(300)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    assert main(["segment", str(source), "--model", str(model_path), "-o", str(one)]) == 0
    assert main(["segment", str(source), "--model", str(model_path), "-o", str(two), "--jobs", "2",
                 "--batch-lines", "16"]) == 0
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")
    assert [row.replace(" ", "") for row in two.read_text(encoding="utf-8").splitlines()] == lines
    assert main(["segment", str(source), "--model", str(model_path), "-o", str(two), "--jobs", "2",
                 "--delimiter", "|"]) == 0  # the workers join the words
    assert two.read_text(encoding="utf-8") == one.read_text(encoding="utf-8").replace(" ", "|")


def test_jobs_auto_shares_only_large_files_and_follows_threads(tmp_path):
    from tagger.engine import AUTO_JOBS_BYTES, MAX_AUTO_PROCESSES, choose_jobs
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_text("我们\n", encoding="utf-8")
    with open(large, "wb") as handle:
        handle.truncate(AUTO_JOBS_BYTES)
    assert choose_jobs(None, str(large), threads=2) == 2
    assert choose_jobs(None, str(large), threads=1) == 1
    assert choose_jobs(None, str(small), threads=2) == 1
    assert choose_jobs(None, "-", threads=2) == 1            # stdin: size unknown
    assert choose_jobs(None, str(large), "cuda", threads=2) == 1
    assert choose_jobs(None, str(tmp_path / "missing"), threads=2) == 1
    assert choose_jobs(3, str(small), threads=1) == 3         # an explicit count stands
    assert choose_jobs(None, str(large), threads=64) == MAX_AUTO_PROCESSES  # each worker holds a model
    assert build_parser().parse_args(["segment", "--jobs", "auto"]).jobs is None
    assert build_parser().parse_args(["segment", "--jobs", "4"]).jobs == 4


def test_ddp_two_processes(tiny_corpus, tmp_path):
    """torchrun with 2 CPU processes (gloo) trains a model as good as one process does. Each
    process takes every 2nd batch, so an epoch is half the updates: 8 epochs, for both runs."""
    import shutil
    from tagger.metrics import score
    from tagger.modelio import load_model
    train_path, dev_path, dev = tiny_corpus
    common = ["train", str(train_path), "--dev", str(dev_path), "--epochs", "8", "--hidden", "16",
              "--char-dim", "16", "--bigram-dim", "8", "--batch-chars", "300", "--lr", "0.01", "--quiet",
              "--no-plot", "--threads", "1"]
    torchrun = shutil.which("torchrun") or str((__import__("pathlib").Path(sys.executable).parent / "torchrun"))
    ddp = tmp_path / "ddp.model"
    result = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "-m", "tagger",
                             *common, "-o", str(ddp)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    single = tmp_path / "single.model"
    assert main([*common, "-o", str(single)]) == 0
    texts = ["".join(s) for s in dev]
    f1_ddp = score(dev, load_model(ddp).segment_lines(texts)).f1
    f1_single = score(dev, load_model(single).segment_lines(texts)).f1
    assert f1_ddp > 0.8 and f1_ddp > f1_single - 0.05


def test_device_option(model_path, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("我们喜欢苹果\n", encoding="utf-8")
    assert main(["segment", str(source), "--model", str(model_path), "--device", "cpu"]) == 0
    assert capsys.readouterr().out.replace(" ", "") == "我们喜欢苹果\n"
    if not torch.cuda.is_available():
        assert main(["segment", str(source), "--model", str(model_path), "--device", "cuda"]) == 1
        assert "no CUDA GPU" in capsys.readouterr().err
    assert main(["segment", str(source), "--model", str(model_path), "--device", "tpu9"]) == 1


def test_every_option_of_every_command_shows_its_default(capsys):
    from tagger.cli import build_parser
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, command in commands.items():
        text = command.format_help()
        for action in command._actions:
            if action.option_strings and action.dest != "help" and not action.required:
                help_text = command._get_formatter()._expand_help(action) if action.help else ""
                assert "default" in help_text, f"{name} {action.option_strings[0]}: {help_text!r}"
        assert text
