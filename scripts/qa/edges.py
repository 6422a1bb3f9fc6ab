#!/usr/bin/env python
"""Try, as a careless user and as an attacker would, every way found to lose a user's file, corrupt
it silently, get a traceback, leave a process behind or make the service answer badly, and
print one table of what went wrong. Every column's target is 0.

Each case runs the real CLI in a subprocess (or sends real requests to a `tagger serve` on
127.0.0.1) in a fresh folder, with a tiny model trained here first:

  inputs destroyed    an input file changed or gone after the run
  tracebacks          "Traceback" on stderr (a one-line error was due)
  silent              exit 0 where an error was due, or an output that is wrong (split lines,
                      a replaced FIFO or device, a lost mode, a URL cut, a 2xx to a bad Host)
  5xx                 HTTP answers 500-599
  stray files         temp files or half outputs left behind, outputs claimed but missing
  orphans             processes of a killed command still alive seconds later
  amplified           error responses over 4 KB and larger than their request (the largest
                      ratio, error bytes per request byte, is printed too)

    python -m scripts.qa.edges [--json results/qa/edges.json] [--only TEXT]

A full disk is tried on /dev/full and, where this process may mount one, on a 256 KB tmpfs
(train's checkpoint, export); cases that need what the machine lacks are listed as skipped.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from scripts.common import ROOT, free_port

TEXT = "我们在北京大学研究生命的起源。\n上海很好，他是学生。\n"
WORDS = ["我们", "喜欢", "苹果", "和", "香蕉", "他", "是", "北京", "的", "学生", "中国", "人民", "研究", "生命",
         "起源", "在", "上海", "工作", "了"]
TINY = ["--epochs", "1", "--char-dim", "8", "--bigram-dim", "4", "--hidden", "8", "--layers", "1", "--no-plot",
        "--no-test", "--quiet", "--threads", "1", "--dictionary", "none", "--no-vectors", "--max-minutes", "1"]
MAX_ERROR_BYTES = 4096  # the service's target for an error answer (issue: a 422 at most 4 KB)
COLUMNS = ("destroyed", "tracebacks", "silent", "http_5xx", "stray", "orphans", "amplified")


@dataclass
class Row:
    group: str
    case: str
    status: str = ""
    destroyed: int = 0
    tracebacks: int = 0
    silent: int = 0
    http_5xx: int = 0
    stray: int = 0
    orphans: int = 0
    amplified: int = 0
    ratio: float | None = None
    note: str = ""


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: bytes


@dataclass
class Bench:
    """The temp folder, the fixtures every case copies, and the rows."""
    root: Path
    only: str = ""
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        """Keep a row, and show it at once on stderr (the whole run takes minutes)."""
        self.rows.append(row)
        flags = ", ".join(f"{c} {getattr(row, c)}" for c in COLUMNS if getattr(row, c))
        print(f"edges: {row.case}: {row.status} {flags or 'ok'}", file=sys.stderr, flush=True)

    def folder(self, name: str, files: Sequence[str] = ()) -> Path:
        """A fresh folder for one case, holding copies of the fixture `files`."""
        folder = Path(tempfile.mkdtemp(prefix=re.sub(r"[^\w.-]+", "_", name)[:24] + "-", dir=self.root))
        for file in files:
            shutil.copy2(self.root / "base" / file, folder / file)
        return folder

    def wanted(self, case: str) -> bool:
        return self.only.lower() in case.lower()


def tagger(args: Sequence, cwd: Path, stdin=None, stdout=subprocess.PIPE, env: dict | None = None,
           shell_suffix: str = "", timeout: float = 300) -> Run:
    """The CLI in a subprocess, through sh when a redirection (`>&-`, `| head`) is part of the case."""
    argv = [sys.executable, "-m", "tagger", *map(str, args)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TAGGER_THREADS": "1", **(env or {})}
    if shell_suffix:
        argv = ["sh", "-c", " ".join(map(shlex.quote, argv)) + " " + shell_suffix]
    done = subprocess.run(argv, cwd=cwd, stdin=stdin if stdin is not None else subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.PIPE, env=environment, timeout=timeout)
    return Run(done.returncode, done.stdout or b"", done.stderr)


def digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else stat.filemode(path.lstat().st_mode)
    except OSError:
        return None


def strays(folder: Path, allowed: Sequence[str]) -> list[str]:
    """Files in `folder` that no case should leave: temp files, and any not in `allowed`."""
    return sorted(p.name for p in folder.iterdir() if "tagger-tmp" in p.name or ".tmp" in p.name
                  or p.name not in allowed)


def cli_case(bench: Bench, group: str, case: str, args: Sequence, files: Sequence[str] = (),
             inputs: Sequence[str] | None = None, fail: bool = True, check: Callable[[Path, Run], str] | None = None,
             allowed: Sequence[str] = (), stdin_file: str | None = None, append_stdout_to: str | None = None,
             **options) -> None:
    """Run one CLI case in a fresh folder: `inputs` (default: `files`) must be unchanged after it,
    it must fail when `fail` (exit 1 or 2), `check` returns what is wrong with the result ("" if
    nothing), and only `files` + `allowed` may be in the folder afterwards."""
    if not bench.wanted(case):
        return
    folder = bench.folder(case, files)
    watched = {name: digest(folder / name) for name in (files if inputs is None else inputs)}
    with contextlib.ExitStack() as stack:
        if stdin_file:
            options["stdin"] = stack.enter_context(open(folder / stdin_file, "rb"))
        if append_stdout_to:
            options["stdout"] = stack.enter_context(open(folder / append_stdout_to, "ab"))
        run = tagger(args, folder, **options)
    row = Row(group, case, str(run.returncode))
    row.destroyed = sum(digest(folder / name) != before for name, before in watched.items())
    row.tracebacks = int(b"Traceback" in run.stderr)
    problem = check(folder, run) if check else ""
    row.silent = int((fail and run.returncode == 0) or (not fail and run.returncode != 0) or bool(problem))
    left = strays(folder, [*files, *allowed])
    row.stray = len(left)
    row.note = "; ".join(filter(None, [problem, f"left {', '.join(left)}" if left else "",
                                       first_line(run.stderr)]))[:160]
    bench.add(row)


def first_line(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines and "Traceback" in data.decode("utf-8", "replace") else (lines[0] if lines else "")


# -- fixtures -----------------------------------------------------------------------------------
def make_fixtures(bench: Bench) -> None:
    """A tiny corpus, a tiny model trained on it, texts in several encodings, a history file."""
    import random
    base = bench.root / "base"
    base.mkdir()
    rng = random.Random(0)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))) + " 。" for _ in range(400)]
    (base / "c.seg").write_text("\n".join(sentences[:360]) + "\n", encoding="utf-8")
    (base / "d.seg").write_text("\n".join(sentences[360:]) + "\n", encoding="utf-8")
    (base / "in.txt").write_text(TEXT, encoding="utf-8")
    (base / "big.txt").write_text("".join(s.replace(" ", "") + "\n" for s in sentences) * 400, encoding="utf-8")
    run = tagger(["train", "c.seg", "--dev", "d.seg", "-o", "m.model", *TINY[:-2]], base)
    if run.returncode:
        raise SystemExit(f"edges: could not train the tiny model: {run.stderr.decode()[-500:]}")
    (base / "m.history.csv").unlink(missing_ok=True)
    (base / "h.history.csv").write_text("epoch,train_loss,dev_loss,dev_f1\n1,0.9,0.8,0.5\n2,0.5,0.6,0.7\n")
    (base / "out.seg").write_bytes((base / "d.seg").read_bytes())
    wide = "上海很好\n我们在北京上学\n"
    (base / "be.txt").write_bytes(wide.encode("utf-16-be"))
    (base / "bom.txt").write_bytes(wide.encode("utf-16"))
    (base / "mixed.seg").write_text("我们 喜欢 苹果 。\n19980101-01-001-001/m  迈向/v  充满/v\n1\t他\t_\tPRON\n")
    (base / "conll2.txt").write_text("他\tPRON\n是\tVERB\n学生\tNOUN\n\n我们\tPRON\n喜欢\tVERB\n苹果\tNOUN\n\n" * 20)
    (base / "qname.txt").write_text("北\tB-LOC\n京\tE-LOC\n在\tO\n\n上\tQ-NAME\n海\tE-LOC\n\n张\tB-NAME\n三\tE-LOC\n\n" * 20)
    url = "https://example.com/" + "a" * 300 + "?q=1"
    (base / "url.txt").write_text(f"请看{url}谢谢\n")


def words_ok(expected: str) -> Callable[[Path, Run], str]:
    """The output joins back to `expected` line for line (nothing split, lost or garbled)."""
    def check(folder: Path, run: Run) -> str:
        out = run.stdout.decode("utf-8", "replace").replace(" ", "")
        return "" if out == expected else f"output {out[:40]!r} is not the input"
    return check


# -- the cases -----------------------------------------------------------------------------------
def overwrite_cases(bench: Bench) -> None:
    g = "output over an input"
    cli_case(bench, g, "train c.seg -o c.seg", ["train", "c.seg", "-o", "c.seg", *TINY], ["c.seg"])
    cli_case(bench, g, "train c.seg --dev d.seg -o d.seg", ["train", "c.seg", "--dev", "d.seg", "-o", "d.seg", *TINY],
             ["c.seg", "d.seg"])
    cli_case(bench, g, "evaluate MODEL gold --json gold", ["evaluate", "m.model", "d.seg", "--json", "d.seg"],
             ["m.model", "d.seg"])
    cli_case(bench, g, "evaluate out gold --json out", ["evaluate", "out.seg", "d.seg", "--json", "out.seg"],
             ["out.seg", "d.seg"])
    cli_case(bench, g, "export m.model -o m.model", ["export", "m.model", "-o", "m.model"], ["m.model"],
             check=lambda f, r: "claimed a write" if b"wrote" in r.stdout else "")
    cli_case(bench, g, "plot h.history.csv -o h.history.csv", ["plot", "h.history.csv", "-o", "h.history.csv"],
             ["h.history.csv"])
    cli_case(bench, g, "distill TEACHER -o TEACHER", ["distill", "m.model", "-o", "m.model", "--epochs", "1"],
             ["m.model"])
    cli_case(bench, g, "segment -o in.txt < in.txt", ["segment", "--model", "m.model", "-o", "in.txt"],
             ["m.model", "in.txt"], stdin_file="in.txt")
    cli_case(bench, g, "segment in.txt >> in.txt", ["segment", "in.txt", "--model", "m.model"],
             ["m.model", "in.txt"], append_stdout_to="in.txt")
    for link in ("symlink", "hard link"):
        if not bench.wanted(f"segment in.txt -o {link}"):
            continue
        folder_case(bench, g, f"segment in.txt -o {link} to in.txt", link)


def folder_case(bench: Bench, group: str, case: str, link: str) -> None:
    """An output that is the input through a symlink or a hard link made in the case's folder."""
    folder = bench.folder(case, ["m.model", "in.txt"])
    (folder / "out.txt").symlink_to("in.txt") if link == "symlink" else os.link(folder / "in.txt", folder / "out.txt")
    before = digest(folder / "in.txt")
    run = tagger(["segment", "in.txt", "--model", "m.model", "-o", "out.txt"], folder)
    bench.add(Row(group, case, str(run.returncode), destroyed=int(digest(folder / "in.txt") != before),
                          tracebacks=int(b"Traceback" in run.stderr), silent=int(run.returncode == 0),
                          stray=len(strays(folder, ["m.model", "in.txt", "out.txt"])), note=first_line(run.stderr)))


def corruption_cases(bench: Bench) -> None:
    g = "silent corruption"
    wide = "上海很好\n我们在北京上学\n"
    cli_case(bench, g, "--encoding utf-16-be (上 holds byte 0x0A)",
             ["segment", "be.txt", "--model", "m.model", "--encoding", "utf-16-be"], ["m.model", "be.txt"],
             fail=False, check=words_ok(wide))
    cli_case(bench, g, "--encoding utf-16 with a BOM", ["segment", "bom.txt", "--model", "m.model", "--encoding", "utf-16"],
             ["m.model", "bom.txt"], fail=False, check=words_ok(wide))
    cli_case(bench, g, "--batch-lines 0 -o an existing file",
             ["segment", "in.txt", "--model", "m.model", "--batch-lines", "0", "-o", "out.seg"],
             ["m.model", "in.txt", "out.seg"])
    cli_case(bench, g, "URL of 300 characters kept whole", ["segment", "url.txt", "--model", "m.model"],
             ["m.model", "url.txt"], fail=False,
             check=lambda f, r: "" if any(len(w) > 300 for w in r.stdout.decode().split()) else "the URL was cut")


def special_file_cases(bench: Bench) -> None:
    g = "-o and special files"
    if bench.wanted("-o FIFO"):
        folder = bench.folder("fifo", ["m.model", "in.txt"])
        os.mkfifo(folder / "out.fifo")
        reader = subprocess.Popen(["cat", str(folder / "out.fifo")], stdout=subprocess.PIPE)
        run = tagger(["segment", "in.txt", "--model", "m.model", "-o", "out.fifo"], folder)
        received = reader.communicate(timeout=60)[0].decode().replace(" ", "")
        kept = stat.S_ISFIFO((folder / "out.fifo").lstat().st_mode)
        bench.add(Row(g, "-o FIFO", run.returncode and str(run.returncode) or "0",
                              tracebacks=int(b"Traceback" in run.stderr),
                              silent=int(not kept or received != TEXT or run.returncode != 0),
                              stray=len(strays(folder, ["m.model", "in.txt", "out.fifo"])),
                              note=f"still a FIFO: {kept}; reader got the text: {received == TEXT}"))
    if bench.wanted("-o character device"):
        folder = bench.folder("device", ["m.model", "in.txt"])
        try:  # a null device of our own, so that a failure cannot replace the system's /dev/null
            os.mknod(folder / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            device = "null"
        except OSError:
            device = os.devnull
        run = tagger(["segment", "in.txt", "--model", "m.model", "-o", device], folder)
        kept = stat.S_ISCHR(os.lstat(folder / device if device == "null" else device).st_mode)
        bench.add(Row(g, f"-o character device ({'mknod 1,3' if device == 'null' else os.devnull})",
                              str(run.returncode), tracebacks=int(b"Traceback" in run.stderr),
                              silent=int(not kept or run.returncode != 0),
                              stray=len(strays(folder, ["m.model", "in.txt", "null"])), note=f"still a device: {kept}"))
    if bench.wanted("-o symlink"):
        folder = bench.folder("symlink", ["m.model", "in.txt"])
        (folder / "target.txt").write_text("old\n")
        (folder / "link.txt").symlink_to("target.txt")
        run = tagger(["segment", "in.txt", "--model", "m.model", "-o", "link.txt"], folder)
        through = (folder / "link.txt").is_symlink() and (folder / "target.txt").read_text().replace(" ", "") == TEXT
        bench.add(Row(g, "-o symlink (written through to its target)", str(run.returncode),
                              tracebacks=int(b"Traceback" in run.stderr), silent=int(not through),
                              stray=len(strays(folder, ["m.model", "in.txt", "target.txt", "link.txt"])),
                              note=f"link kept, target written: {through}"))
    if bench.wanted("-o an existing 0600 file"):
        folder = bench.folder("mode", ["m.model", "in.txt"])
        (folder / "private.txt").write_text("old\n")
        (folder / "private.txt").chmod(0o600)
        run = tagger(["segment", "in.txt", "--model", "m.model", "-o", "private.txt"], folder)
        mode = stat.S_IMODE((folder / "private.txt").stat().st_mode)
        bench.add(Row(g, "-o an existing 0600 file", str(run.returncode), tracebacks=int(b"Traceback" in run.stderr),
                              silent=int(mode != 0o600), note=f"mode after: {mode:o}"))
    for name in ("SIGTERM", "SIGKILL then a later run"):
        if bench.wanted(f"{name} during segment -o"):
            killed_write(bench, g, name)


def killed_write(bench: Bench, group: str, how: str) -> None:
    """segment -o on a large input, killed while it writes: no temp file may stay (after SIGKILL,
    once a later run has written there), and the old output must be whole."""
    folder = bench.folder(how, ["m.model", "big.txt", "in.txt"])
    (folder / "out.txt").write_text("old\n")
    argv = [sys.executable, "-m", "tagger", "segment", "big.txt", "--model", "m.model", "-o", "out.txt", "--engine", "torch"]
    child = subprocess.Popen(argv, cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT), "TAGGER_THREADS": "1"},
                             stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not any("tagger-tmp" in p.name for p in folder.iterdir()) and child.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    writing = any("tagger-tmp" in p.name for p in folder.iterdir())
    child.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)
    err = child.communicate(timeout=60)[1]
    if how != "SIGTERM":  # a later run writing the same output removes the dead run's temp file
        tagger(["segment", "in.txt", "--model", "m.model", "-o", "out.txt"], folder)
    left = strays(folder, ["m.model", "big.txt", "in.txt", "out.txt"])
    bench.add(Row(group, f"{how} during segment -o", str(child.returncode), tracebacks=int(b"Traceback" in err),
                          stray=len(left),
                          silent=int(not writing or (how == "SIGTERM" and (folder / "out.txt").read_text() != "old\n")),
                          note=f"temp file there when killed: {writing}; "
                               + (f"left {', '.join(left)}" if left else "none left after")))


def failure_cases(bench: Bench, tmpfs: Path | None) -> None:
    g = "one-line errors"
    text_files = ["m.model", "in.txt"]
    cli_case(bench, g, "segment -o /dev/full", ["segment", "in.txt", "--model", "m.model", "-o", "/dev/full"], text_files)
    if bench.wanted("segment > /dev/full"):
        with open("/dev/full", "wb") as full:
            cli_case(bench, g, "segment > /dev/full", ["segment", "in.txt", "--model", "m.model"], text_files, stdout=full)
    cli_case(bench, g, "segment with stdout closed (>&-)", ["segment", "in.txt", "--model", "m.model"], text_files,
             shell_suffix=">&-")
    cli_case(bench, g, "segment big.txt | head -c 1 (broken pipe)", ["segment", "big.txt", "--model", "m.model"],
             ["m.model", "big.txt"], fail=False, shell_suffix="| head -c 1 >/dev/null",
             check=lambda f, r: "stderr not quiet" if r.stderr.strip() else "")
    cli_case(bench, g, "PYTHONIOENCODING=latin-1", ["segment", "in.txt", "--model", "m.model"], text_files, fail=False,
             env={"PYTHONIOENCODING": "latin-1"}, check=words_ok(TEXT))
    for codec in ("unicode_escape", "idna", "rot13", "utf-7"):
        cli_case(bench, g, f"--encoding {codec}", ["segment", "in.txt", "--model", "m.model", "--encoding", codec], text_files)
    for name, args in (("--batch-lines -1", ["segment", "in.txt", "--batch-lines", "-1"]),
                       ("--epochs 0", ["train", "c.seg", "-o", "x.model", "--epochs", "0"]),
                       ("--hidden 0", ["train", "c.seg", "-o", "x.model", "--hidden", "0"]),
                       ("--lr nan", ["train", "c.seg", "-o", "x.model", "--lr", "nan"]),
                       ("--dropout 1", ["train", "c.seg", "-o", "x.model", "--dropout", "1"]),
                       ("--final --cv-table /bin/ls", ["train", "c.seg", "-o", "x.model", "--final", "--cv-table", "/bin/ls"]),
                       ("--jobs 0", ["segment", "in.txt", "--jobs", "0"])):
        cli_case(bench, g, name, args, ["c.seg", "in.txt"])
    if tmpfs is None:
        bench.skipped.append("train checkpoint and export on a full disk: no tmpfs could be mounted here")
        return
    for name, args, leaves in (("train -o on a full tmpfs (checkpoint)", ["train", "c.seg", "--dev", "d.seg", "-o",
                                                                          tmpfs / "x.model", *TINY], []),
                               ("export -o on a full tmpfs", ["export", "m.model", "-o", tmpfs / "x.pt"], [])):
        filler = tmpfs / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as handle:
            handle.write(b"\0" * (1 << 22))
        cli_case(bench, g, name, args, ["c.seg", "d.seg", "m.model"],
                 check=lambda f, r: f"left on the tmpfs: {sorted(p.name for p in tmpfs.iterdir() if p.name != 'filler')}"
                 if any(p.name != "filler" for p in tmpfs.iterdir()) else "")
        filler.unlink(missing_ok=True)
        for p in tmpfs.iterdir():
            p.unlink()


def process_cases(bench: Bench) -> None:
    g = "processes"
    for how in (signal.SIGKILL, signal.SIGTERM):
        case = f"segment --jobs 2 killed by {how.name}"
        if bench.wanted(case):
            folder = bench.folder(case, ["m.model", "big.txt"])
            argv = [sys.executable, "-m", "tagger", "segment", "big.txt", "--model", "m.model", "--jobs", "2", "-o", "out.txt"]
            child = subprocess.Popen(argv, cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE)
            workers = wait_for_children(child.pid, 3, 120)
            child.send_signal(how)
            err = child.communicate(timeout=60)[1]
            time.sleep(5)
            alive = [pid for pid in workers if running(pid)]
            for pid in alive:
                os.kill(pid, signal.SIGKILL)
            left = strays(folder, ["m.model", "big.txt"])
            bench.add(Row(g, case, str(child.returncode), tracebacks=int(b"Traceback" in err), orphans=len(alive),
                                  stray=len(left) if how == signal.SIGTERM else 0,
                                  note=f"{len(workers)} children (workers, resource tracker); alive 5 s later: {len(alive)}"))
    case = "a --jobs worker killed"
    if bench.wanted(case):
        folder = bench.folder(case, ["m.model", "big.txt"])
        argv = [sys.executable, "-m", "tagger", "segment", "big.txt", "--model", "m.model", "--jobs", "2", "-o", "out.txt"]
        child = subprocess.Popen(argv, cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE)
        workers = [pid for pid in wait_for_children(child.pid, 3, 120) if b"spawn_main" in cmdline(pid)]
        if workers:
            os.kill(workers[0], signal.SIGKILL)
        err = child.communicate(timeout=120)[1]
        lines = err.decode().strip().splitlines()
        bench.add(Row(g, case, str(child.returncode), tracebacks=int(b"Traceback" in err),
                              silent=int(child.returncode == 0 or len(lines) != 1),
                              stray=len(strays(folder, ["m.model", "big.txt"])), note=lines[-1] if lines else ""))
    import torch
    if torch.cuda.is_available():
        bench.skipped.append("--jobs 2 --device cuda without a GPU: this machine has one")
    else:
        cli_case(bench, g, "--jobs 2 --device cuda without a GPU",
                 ["segment", "in.txt", "--model", "m.model", "--jobs", "2", "--device", "cuda"], ["m.model", "in.txt"])


def wait_for_children(pid: int, count: int, seconds: float) -> list[int]:
    """The child processes of `pid` once there are `count` of them (or when time is up)."""
    deadline = time.time() + seconds
    found: list[int] = []
    while time.time() < deadline:
        found = [int(p) for p in os.listdir("/proc") if p.isdigit() and parent_of(int(p)) == pid]
        if len(found) >= count:
            time.sleep(3)  # the workers load their model
            return [int(p) for p in os.listdir("/proc") if p.isdigit() and parent_of(int(p)) == pid]
        time.sleep(0.2)
    return found


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def corpus_cases(bench: Bench) -> None:
    g = "corpora trained on silently"
    cli_case(bench, g, "segmented, PD 1998 and CoNLL lines in one file", ["train", "mixed.seg", *TINY, "-o", "x.model"],
             ["mixed.seg"])
    cli_case(bench, g, "CoNLL with 2 columns throughout", ["train", "conll2.txt", *TINY, "-o", "x.model"], ["conll2.txt"])
    cli_case(bench, g, "tag Q-NAME and B-NAME -> E-LOC, --format columns --task ner",
             ["train", "qname.txt", "--format", "columns", "--task", "ner", *TINY, "-o", "x.model"], ["qname.txt"])


# -- the service -----------------------------------------------------------------------------------
def request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None,
            chunked: bool = False) -> tuple[int, bytes]:
    """(status, body) of one request; status 0 when the connection was reset or closed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            connection.putheader(name, value)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for start in range(0, len(body), 65536):
                piece = body[start:start + 65536]
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        else:
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    except (ConnectionError, http.client.HTTPException, socket.timeout, OSError):
        return 0, b""
    finally:
        connection.close()


def service_cases(bench: Bench) -> None:
    g = "the service"
    if not bench.wanted("serve"):
        return
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        bench.skipped.append("the service: uvicorn is not installed")
        return
    port = free_port()
    folder = bench.folder("serve", ["m.model"])
    argv = [sys.executable, "-m", "tagger", "serve", "--model", "m.model", "--no-pos", "--port", str(port),
            "--max-body-bytes", "200000", "--log-level", "warning"]
    server = subprocess.Popen(argv, cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT), "TAGGER_THREADS": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and request(port, "GET", "/health")[0] != 200:
            if server.poll() is not None:
                bench.skipped.append(f"the service did not start: {server.stderr.read().decode()[-300:]}")
                return
            time.sleep(0.5)
        lone = b'{"texts": ["a\\ud800b"]}'
        for path, body in (("/segment", lone), ("/tag", lone), ("/explain", b'{"text": "a\\ud800b"}')):
            status, answer = request(port, "POST", path, body)
            service_row(bench, g, f"serve: lone surrogate on {path}", status, body, answer, expect_4xx=True)
        flood = json.dumps({"texts": [1] * 100_000}).encode()  # 100,000 invalid entries in about 300 KB
        flood = flood if len(flood) <= 200_000 else json.dumps({"texts": [1] * 60_000}).encode()
        status, answer = request(port, "POST", "/segment", flood)
        service_row(bench, g, f"serve: {flood.count(b',') + 1:,} invalid entries", status, flood, answer, expect_4xx=True)
        big = json.dumps({"texts": ["我们" * 1000] * 200}).encode()
        status, answer = request(port, "POST", "/segment", big, chunked=True)
        service_row(bench, g, "serve: chunked body over --max-body-bytes", status, big, answer, expect=413)
        status, answer = request(port, "POST", "/segment", b'{"texts": ["a"]}', headers={"Host": "evil.example"})
        service_row(bench, g, "serve: Host evil.example (DNS rebinding)", status, b'{"texts": ["a"]}', answer,
                    expect_4xx=True)
        status, answer = request(port, "GET", "/docs")
        cdn = any(host in answer for host in (b"cdn.jsdelivr", b"unpkg.com", b"fonts.googleapis"))
        bench.add(Row(g, "serve: /docs loads no third-party assets", str(status), silent=int(cdn),
                              http_5xx=int(500 <= status < 600), note="CDN assets" if cdn else ""))
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            bench.add(Row(g, "serve: ends on SIGTERM", "killed", orphans=1))


def service_row(bench: Bench, group: str, case: str, status: int, sent: bytes, answer: bytes,
                expect: int | None = None, expect_4xx: bool = False) -> None:
    wrong = (expect is not None and status != expect) or (expect_4xx and not 400 <= status < 500)
    ratio = len(answer) / max(1, len(sent)) if status >= 400 else None
    amplified = ratio is not None and ratio > 1 and len(answer) > MAX_ERROR_BYTES  # a helpful line may outgrow a tiny request
    bench.add(Row(group, case, str(status or "reset"), http_5xx=int(500 <= status < 600), silent=int(wrong),
                          amplified=int(amplified), ratio=ratio,
                          note=answer[:100].decode("utf-8", "replace")))


# -- the run ------------------------------------------------------------------------------------
@contextlib.contextmanager
def small_tmpfs(root: Path):
    """A 256 KB tmpfs under `root`, or None where mounting is not allowed."""
    mount = root / "tmpfs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    try:
        yield mount if done.returncode == 0 else None
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", str(mount)], capture_output=True)


def table(rows: list[Row]) -> str:
    head = "| group | case | exit/HTTP | " + " | ".join(COLUMNS) + " | note |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 4)]
    for r in rows:
        values = " | ".join(str(getattr(r, c)) for c in COLUMNS)
        lines.append(f"| {r.group} | {r.case} | {r.status} | {values} | {r.note.replace('|', '/')} |")
    totals = " | ".join(f"**{sum(getattr(r, c) for r in rows)}**" for c in COLUMNS)
    lines.append(f"| **total** | {len(rows)} cases | | {totals} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the rows and totals here (results/qa/edges.json)")
    parser.add_argument("--only", default="", help="run only the cases whose name holds this text")
    args = parser.parse_args()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="tagger-edges-") as tmp:
        bench = Bench(Path(tmp), args.only)
        make_fixtures(bench)
        with small_tmpfs(bench.root) as tmpfs:
            overwrite_cases(bench)
            corruption_cases(bench)
            special_file_cases(bench)
            failure_cases(bench, tmpfs)
            process_cases(bench)
            corpus_cases(bench)
            service_cases(bench)
    print(table(bench.rows))
    for line in bench.skipped:
        print(f"skipped: {line}")
    totals = {c: sum(getattr(r, c) for r in bench.rows) for c in COLUMNS}
    ratios = [r.ratio for r in bench.rows if r.ratio is not None]
    print(f"largest error response per request byte: {max(ratios):.3f}" if ratios else "")
    if args.json:
        from tagger.files import write_json
        write_json(args.json, {"command": "python -m scripts.qa.edges" + (f" --only {args.only!r}" if args.only else ""),
                               "totals": totals, "largest_error_ratio": max(ratios) if ratios else None,
                               "cases": len(bench.rows), "skipped": bench.skipped,
                               "seconds": round(time.time() - started), "rows": [asdict(r) for r in bench.rows]})
    sys.exit(1 if any(totals.values()) else 0)


if __name__ == "__main__":
    main()
