"""tagger/files.py, the file boundary: no output replaces an input, a failed write leaves the previous
file whole and no temp file behind, special files are written through, encodings and option
ranges are checked before any work."""
import argparse
import errno
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest
import torch

from tagger.cli import build_parser, main
from tagger.errors import TaggerError
from tagger.files import TEMP_MARK, atomic_write_bytes, text_encoding, write_json, write_text_atomic
from tagger.modelio import save_model
from tagger.options import integer, real
from tagger.textlines import read_raw


def test_write_json_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "results.json"
    write_json(path, {"f1": 0.95, "label": "北京"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"f1": 0.95, "label": "北京"}
    assert "北京" in path.read_text(encoding="utf-8")  # readable UTF-8, not \\u escapes
    with pytest.raises(TypeError):
        write_json(path, {"f1": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == {"f1": 0.95, "label": "北京"}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp file left


def test_a_stream_that_fails_halfway_leaves_the_old_text(tmp_path):
    """Output is streamed chunk by chunk (segment on a large file); Ctrl-C or an error in the
    middle must not replace the previous output with a truncated one."""
    path = tmp_path / "out.txt"
    write_text_atomic(path, ["我们 在 北京\n"])

    def chunks():
        yield "第一 行\n"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, chunks())
    assert path.read_text(encoding="utf-8") == "我们 在 北京\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_an_unwritable_directory_is_a_one_line_error(tmp_path):
    target = tmp_path / "missing" / "out.json"
    with pytest.raises(TaggerError, match="cannot write here"):
        write_json(target, {})


# -- the file boundary of every command (issue: an output overwrote an input with exit 0) --------
def run_tagger(*args, stdin=None, stdout=subprocess.PIPE, env=None, shell_suffix: str = ""):
    """The CLI in a subprocess; `shell_suffix` adds a redirection such as `>&-` through sh."""
    command = [sys.executable, "-m", "tagger", *map(str, args)]
    environment = {**os.environ, **(env or {})}
    if shell_suffix:
        line = " ".join(shlex.quote(part) for part in command) + " " + shell_suffix
        return subprocess.run(["sh", "-c", line], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                              env=environment, timeout=120)
    return subprocess.run(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=environment, timeout=120)


@pytest.fixture(scope="module")
def model_path(tiny_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.model"
    save_model(tiny_model, path)
    return path


def one_line_error(capsys, status: int, expected: str = "refusing to overwrite") -> None:
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and expected in err and "Traceback" not in err, err


@pytest.fixture
def corpus_copy(tiny_corpus, tmp_path):
    train, dev, _ = tiny_corpus
    (tmp_path / "c.seg").write_bytes(train.read_bytes())
    (tmp_path / "d.seg").write_bytes(dev.read_bytes())
    return tmp_path / "c.seg", tmp_path / "d.seg"


def test_train_refuses_to_write_its_model_over_the_corpus_or_the_dev_file(corpus_copy, capsys):
    corpus, dev = corpus_copy
    before = corpus.read_bytes(), dev.read_bytes()
    one_line_error(capsys, main(["train", str(corpus), "-o", str(corpus), "--epochs", "1"]))
    one_line_error(capsys, main(["train", str(corpus), "--dev", str(dev), "-o", str(dev), "--epochs", "1"]))
    assert (corpus.read_bytes(), dev.read_bytes()) == before


def test_evaluate_json_never_replaces_the_gold_or_the_scored_output(corpus_copy, model_path, capsys):
    gold, output = corpus_copy
    before = gold.read_bytes(), output.read_bytes()
    one_line_error(capsys, main(["evaluate", str(model_path), str(gold), "--json", str(gold)]))
    one_line_error(capsys, main(["evaluate", str(output), str(gold), "--json", str(output)]))
    assert (gold.read_bytes(), output.read_bytes()) == before


def test_export_and_distill_refuse_the_model_they_read(model_path, tmp_path, capsys):
    model = tmp_path / "m.model"
    model.write_bytes(model_path.read_bytes())
    one_line_error(capsys, main(["export", str(model), "-o", str(model)]))
    one_line_error(capsys, main(["distill", str(model), "-o", str(model), "--epochs", "1"]))
    assert model.read_bytes() == model_path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.model"]  # and claimed nothing as written


def test_plot_refuses_to_draw_over_its_history(tmp_path, capsys):
    history = tmp_path / "h.history.csv"
    history.write_text("epoch,train_loss\n1,0.5\n", encoding="utf-8")
    one_line_error(capsys, main(["plot", str(history), "-o", str(history)]))
    assert history.read_text(encoding="utf-8") == "epoch,train_loss\n1,0.5\n"


def test_an_output_that_is_the_input_by_symlink_or_hard_link_is_refused(model_path, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("我们喜欢苹果。\n", encoding="utf-8")
    (tmp_path / "soft.txt").symlink_to(source)
    os.link(source, tmp_path / "hard.txt")
    for name in ("soft.txt", "hard.txt"):
        one_line_error(capsys, main(["segment", str(source), "--model", str(model_path), "-o", str(tmp_path / name)]))
    assert source.read_text(encoding="utf-8") == "我们喜欢苹果。\n"


def test_segment_refuses_an_output_that_stdin_or_stdout_is(model_path, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("我们喜欢苹果。\n", encoding="utf-8")
    with open(source, "rb") as stdin:  # tagger segment -o in.txt < in.txt
        done = run_tagger("segment", "--model", model_path, "-o", source, stdin=stdin)
    assert done.returncode == 1 and b"refusing to overwrite" in done.stderr
    with open(source, "ab") as stdout:  # tagger segment in.txt >> in.txt
        done = run_tagger("segment", "--model", model_path, source, stdout=stdout)
    assert done.returncode == 1 and b"stdout is the input file" in done.stderr
    assert source.read_text(encoding="utf-8") == "我们喜欢苹果。\n"


# -- outputs: special files, links, modes, temp files --------------------------------------------------
def test_a_fifo_output_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_text_atomic(fifo, ["上海\n", "北京\n"])
    reader.join(10)
    assert received == ["上海\n北京\n".encode()] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_character_device_output_is_written_directly(tmp_path):
    """A null device of the test's own where it may make one (root), so that a broken writer
    could never replace the system's /dev/null; elsewhere /dev/null, which a user cannot replace."""
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (OSError, AttributeError):
        device = os.devnull
    write_text_atomic(device, ["上海\n"])
    assert stat.S_ISCHR(os.lstat(device).st_mode) and sorted(tmp_path.iterdir()) in ([], [tmp_path / "null"])


def test_a_symlink_output_is_written_through_to_its_target(tmp_path):
    target, link = tmp_path / "target.txt", tmp_path / "link.txt"
    target.write_text("old\n", encoding="utf-8")
    link.symlink_to(target.name)
    write_text_atomic(link, ["new\n"])
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new\n"


def test_an_existing_output_keeps_its_mode(tmp_path):
    path = tmp_path / "private.txt"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o600)
    write_text_atomic(path, ["new\n"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text(encoding="utf-8") == "new\n"


def test_sigterm_removes_the_temp_file_and_keeps_the_old_output(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old\n", encoding="utf-8")
    script = ("import sys, time\nfrom tagger.files import Terminated, die_by, install_signal_handlers, write_text_atomic\n"
              "install_signal_handlers()\n"
              "def chunks():\n    yield 'x' * 100000\n    print('writing', flush=True)\n    time.sleep(60)\n    yield 'y'\n"
              f"try:\n    write_text_atomic({str(path)!r}, chunks())\nexcept Terminated as stop:\n    die_by(stop.signum)\n")
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert child.stdout.readline() == b"writing\n"
    assert any(TEMP_MARK in p.name for p in tmp_path.iterdir())
    child.send_signal(signal.SIGTERM)
    assert child.wait(30) == -signal.SIGTERM
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"] and path.read_text(encoding="utf-8") == "old\n"


def test_a_later_write_removes_temp_files_a_killed_run_left(tmp_path):
    path = tmp_path / "out.txt"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out.txt{TEMP_MARK}{dead.stdout.strip()}-abcd1234"
    live = tmp_path / f".out.txt{TEMP_MARK}{os.getppid()}-abcd1234"  # a run still going: left alone
    stale.write_bytes(b"half")
    live.write_bytes(b"half")
    write_text_atomic(path, ["new\n"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "out.txt"])


# -- a full disk, a closed stdout, a broken pipe, PYTHONIOENCODING -------------------------------------
def test_a_full_device_is_a_one_line_error():
    with pytest.raises(TaggerError, match="No space left on device"):
        write_text_atomic("/dev/full", ["上海\n"] * 10000)


def test_a_full_disk_under_torch_save_is_a_one_line_error_and_leaves_nothing(tmp_path, monkeypatch):
    """torch.save (models, checkpoints, export) wraps the OSError of its file in its own
    RuntimeError; the user must still read that the disk is full, and no temp file may stay."""
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, data):
            self.written += len(data)
            if self.written > 1000:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

    monkeypatch.setattr("tagger.files.os.fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    with pytest.raises(TaggerError, match="model.ckpt: cannot write .No space left on device"):
        atomic_write_bytes(tmp_path / "model.ckpt", lambda handle: torch.save({"w": torch.zeros(10000)}, handle))
    assert list(tmp_path.iterdir()) == []


def test_stdout_on_a_full_disk_closed_or_a_broken_pipe(model_path, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("我们喜欢苹果。\n" * 2000, encoding="utf-8")
    with open("/dev/full", "wb") as full:
        done = run_tagger("segment", "--model", model_path, source, stdout=full)
    assert done.returncode == 1 and done.stderr == b"tagger: error: stdout: cannot write (No space left on device)\n"
    done = run_tagger("segment", "--model", model_path, source, shell_suffix=">&-")
    assert done.returncode == 1 and done.stderr.count(b"\n") == 1 and b"stdout is closed" in done.stderr
    done = run_tagger("segment", "--model", model_path, source, shell_suffix="| head -c 1 > /dev/null")
    assert done.returncode == 0 and done.stderr == b""  # a reader that went away: a quiet end, as Unix tools
    done = run_tagger("segment", "--model", model_path, source, "-o", "/dev/stdout")  # a link to a pipe: written into it
    assert done.returncode == 0 and done.stdout.decode().replace(" ", "") == source.read_text(encoding="utf-8")


def test_pythonioencoding_latin1_still_writes_utf8_without_a_traceback(model_path, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("我们喜欢苹果。\n", encoding="utf-8")
    done = run_tagger("segment", "--model", model_path, source, env={"PYTHONIOENCODING": "latin-1"})
    assert done.returncode == 0 and done.stdout.decode("utf-8").replace(" ", "") == "我们喜欢苹果。\n"
    done = run_tagger("info", model_path, env={"PYTHONIOENCODING": "latin-1"})
    assert done.returncode == 0 and b"Traceback" not in done.stderr


# -- encodings -------------------------------------------------------------------------------------
@pytest.mark.parametrize("codec, bom", [("utf-16-be", b""), ("utf-16-le", b""), ("utf-16-be", b"\xfe\xff"),
                                        ("utf-16", None), ("utf-32", None), ("utf-32-be", b"")])
def test_utf16_and_utf32_are_decoded_as_whole_streams(tmp_path, codec, bom):
    """上 is U+4E0A: in UTF-16-BE its second byte is 0x0A, a newline to a line-by-line reader;
    a BOM gives the byte order ("utf-16", None: Python writes one) and is dropped."""
    text = "上海\n北京上\r\n\n末"
    path = tmp_path / "wide.txt"
    path.write_bytes((bom or b"") + text.encode(codec))
    assert list(read_raw(str(path), codec)) == ["上海", "北京上", "", "末"]


def test_utf16_without_a_bom_is_refused_not_guessed(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes("上海\n".encode("utf-16-be"))
    with pytest.raises(TaggerError, match="without a byte-order mark.*utf-16-le or utf-16-be"):
        list(read_raw(str(path), "utf-16"))


def test_a_utf16_file_that_does_not_decode_is_one_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("上海\n".encode("utf-16-le") + b"\x00\xd8")
    with pytest.raises(TaggerError, match="not valid UTF-16-LE after line"):
        list(read_raw(str(path), "utf-16-le"))


@pytest.mark.parametrize("name", ["unicode_escape", "raw_unicode_escape", "idna", "punycode", "utf-7", "rot13",
                                  "hex", "base64", "no-such-codec"])
def test_an_encoding_that_is_not_a_text_file_encoding_is_refused(name):
    with pytest.raises(ValueError):
        text_encoding(name)
    with pytest.raises(TaggerError, match="--encoding"):
        list(read_raw("-", name))


@pytest.mark.parametrize("name", ["utf-8", "UTF8", "utf-8-sig", "gb18030", "gbk", "big5", "shift_jis", "latin-1",
                                  "utf-16", "utf-32-le"])
def test_text_file_encodings_are_accepted(name):
    assert text_encoding(name)


# -- options checked when parsed -------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["segment", "--batch-lines", "0"], ["segment", "--batch-lines", "-1"], ["segment", "--jobs", "0"],
    ["segment", "--batch-chars", "0"], ["segment", "--encoding", "unicode_escape"], ["segment", "--encoding", "idna"],
    ["segment", "--threads", "0"], ["train", "c", "-o", "m", "--epochs", "0"], ["train", "c", "-o", "m", "--hidden", "0"],
    ["train", "c", "-o", "m", "--lr", "nan"], ["train", "c", "-o", "m", "--lr", "0"], ["train", "c", "-o", "m", "--lr", "inf"],
    ["train", "c", "-o", "m", "--dropout", "1"], ["train", "c", "-o", "m", "--layers", "0"],
    ["train", "c", "-o", "m", "--final", "--cv-table", "/bin/sh"], ["train", "c", "-o", "m", "--cv-table", "/"],
    ["cv", "c", "--folds", "1"], ["evaluate", "o", "g", "--top-errors", "-1"], ["serve", "--port", "70000"],
    ["distill", "t", "-o", "m", "--lr", "-1"], ["explain", "x", "--units", "0"], ["segment", "--model", "/no/such/model"],
])
def test_out_of_range_options_are_one_line_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "error: argument" in err, err


def test_option_types_accept_their_ranges():
    assert integer(1)("3") == 3 and real(0, 1, high_open=True)("0") == 0.0 and real(0, low_open=True)("1e-3") == 1e-3
    for bad in ("0.5", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            integer(1)(bad)


# -- --jobs ----------------------------------------------------------------------------------------
def test_a_worker_dies_with_its_parent_even_by_sigkill():
    """The parent is SIGKILLed (no cleanup can run): its child, which asked for a parent-death
    signal as --jobs workers do, must not outlive it."""
    grandchild = ("import os, sys, time\nfrom tagger.parallel import die_with_parent\n"
                  "die_with_parent(int(sys.argv[1]))\nprint(os.getpid(), flush=True)\ntime.sleep(60)\n")
    parent = ("import os, subprocess, sys, time\n"
              f"subprocess.Popen([sys.executable, '-c', {grandchild!r}, str(os.getpid())])\ntime.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE)
    worker = int(child.stdout.readline())
    child.kill()
    child.wait(10)
    for _ in range(100):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived its parent")


def test_a_broken_worker_pool_is_a_one_line_error(tmp_path):
    from tagger.parallel import segment_parallel
    with pytest.raises(TaggerError, match="--jobs worker"):
        list(segment_parallel(["我们"] * 10, str(tmp_path / "missing.model"), jobs=1))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without a GPU")
def test_jobs_with_cuda_is_refused_without_a_gpu(model_path, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("我们\n", encoding="utf-8")
    status = main(["segment", str(source), "--model", str(model_path), "--jobs", "2", "--device", "cuda"])
    one_line_error(capsys, status, "no CUDA GPU")


def test_cv_refuses_a_run_history_that_is_an_input(corpus_copy, capsys):
    corpus, _ = corpus_copy
    history = corpus.parent / "out.r1f2.history.csv"  # the history cv would write for run 1, fold 2
    history.write_bytes(corpus.read_bytes())
    before = history.read_bytes()
    one_line_error(capsys, main(["cv", str(history), "-o", str(corpus.parent / "out"), "--folds", "2",
                                 "--epochs", "1"]))
    assert history.read_bytes() == before


def test_distill_reads_corpora_strictly_or_skips_bad_lines(corpus_copy, capsys):
    from tagger.errors import CorpusError
    from tagger.teacher import read_labeled
    from tagger.textlines import BadLines
    corpus, _ = corpus_copy
    with open(corpus, "a", encoding="utf-8") as handle:
        handle.write("19980101-01-001-001/m  迈向/v  充满/v\n")  # a PD 1998 line in a segmented file
    with pytest.raises(CorpusError, match=f"{corpus.name}:"):
        read_labeled(str(corpus))
    bad = BadLines()
    train, dev = read_labeled(str(corpus), bad)
    assert len(bad) == 1 and len(train) + len(dev) > 0
    assert build_parser().parse_args(["distill", "default", "-o", "s.model", "--skip-bad-lines"]).skip_bad_lines
    for wrong in ("0", "1,x", ",", "1,65"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["distill", "default", "-o", "s.model", "--dilations", wrong])
    capsys.readouterr()
