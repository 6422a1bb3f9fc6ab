#!/usr/bin/env python
"""Feed `tagger` the bad inputs users send and record what it does, as a Markdown table.

Each case runs the real CLI in a subprocess and records the exit status, the first line of
stderr and whether the check that matters held (lossless output, input untouched, no traceback,
peak memory). Writes docs/robustness.md when given --write.

    python -m scripts.qa.robustness [--model MODEL] [--write docs/robustness.md]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import zipfile

from scripts.common import ROOT, run_tagger


def tagger(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run the CLI; the result carries `peak_mb`, this child's own peak RSS."""
    done = run_tagger(args, stdin=stdin, capture=True, cwd=ROOT)
    result = subprocess.CompletedProcess(args, done.returncode, done.stdout, done.stderr)
    result.peak_mb = done.peak_mb
    return result


def first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip().splitlines()
    return text[0] if text else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--write")
    args = parser.parse_args()
    model = ["--model", args.model] if args.model else []
    rows = []
    tmp = tempfile.mkdtemp()

    def case(name: str, result: subprocess.CompletedProcess, held: str) -> None:
        traceback = b"Traceback" in result.stderr
        rows.append((name, result.returncode, first_line(result.stderr) or "(nothing)",
                     held + ("; TRACEBACK" if traceback else "")))

    def path(name: str, data: bytes) -> str:
        full = os.path.join(tmp, name)
        with open(full, "wb") as handle:
            handle.write(data)
        return full

    text = "我们在北京大学研究生命的起源。\n"
    r = tagger("segment", path("empty.txt", b""), *model)
    case("empty file", r, f"output {r.stdout!r}")
    r = tagger("segment", path("ws.txt", " \t\u3000\n\n".encode()), *model)
    out_lines = r.stdout.count(b"\n")
    kept = r.stdout.decode().replace(" ", "").replace("\t", "") == "\u3000\n\n"
    case("whitespace-only and empty lines", r, f"lines out: {out_lines} (in: 2); all whitespace kept: {kept}")
    r = tagger("segment", path("bom_crlf.txt", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()), *model)
    case("UTF-8 BOM and CRLF", r, f"BOM dropped, CRLF read as a line end: {r.stdout.decode().replace(' ', '') == text}")
    r = tagger("segment", path("gbk.txt", text.encode("gb18030")), *model)
    case("GB18030 file read as UTF-8", r, "error names line and byte offset")
    r = tagger("segment", path("gbk2.txt", text.encode("gb18030")), "--encoding", "gb18030", *model)
    case("GB18030 with --encoding gb18030", r, f"lossless: {r.stdout.decode().replace(' ', '') == text}")
    r = tagger("segment", path("bad.txt", b"ab\xff\xfecd\n"), "--errors", "replace", *model)
    case("invalid bytes with --errors replace", r, f"output {r.stdout.decode().strip()!r}")
    odd = "前\x00后\x1b[0m\u200b\u200d👨‍👩‍👧\n"
    r = tagger("segment", path("nul.txt", odd.encode()), *model)
    case("NUL, escape, zero-width, ZWJ emoji", r, f"lossless: {r.stdout.decode().replace(' ', '') == odd}")
    r = tagger("segment", path("bin.bin", bytes(range(256)) * 4), *model)
    case("binary file", r, "refused as invalid UTF-8")
    r = tagger("segment", os.path.join(tmp, "missing.txt"), *model)
    case("missing input file", r, "")
    r = tagger("segment", tmp, *model)
    case("a directory as input", r, "")
    keep = path("keep.txt", text.encode())
    r = tagger("segment", keep, "-o", keep, *model)
    with open(keep, "rb") as handle:
        case("-o naming the input file", r, f"input untouched: {handle.read() == text.encode()}")
    r = tagger("segment", keep, "-o", os.path.join(tmp, "no", "such", "dir", "out.txt"), *model)
    case("-o in a missing directory", r, "")
    r = tagger("segment", keep, "--model", path("trunc.model", b"PK\x03\x04" + b"\x00" * 100))
    case("truncated model file", r, "")
    r = tagger("segment", keep, "--model", path("text.model", b"just some text"))
    case("a text file as model", r, "")
    zpath = os.path.join(tmp, "other.zip")
    with zipfile.ZipFile(zpath, "w") as archive:
        archive.writestr("x/data.pkl", b"not a pickle")
    r = tagger("segment", keep, "--model", zpath)
    case("another kind of zip as model", r, "")
    r = tagger("train", path("pd.txt", "19980101-01-001-001/m  好/a\n坏/x 行\n".encode()), "--format", "pd1998",
               "-o", os.path.join(tmp, "m.model"))
    case("malformed corpus line", r, f"no model written: {not os.path.exists(os.path.join(tmp, 'm.model'))}")
    r = tagger("train", path("empty.seg", b"\n\n"), "--format", "segmented", "-o", os.path.join(tmp, "e.model"))
    case("empty corpus", r, "")
    r = tagger("segment", "--bogus")
    case("unknown option", r, "usage error")
    small = tagger("segment", path("short.txt", text.encode()), *model)
    long_line = ("我们喜欢北京" * 166_667).encode() + b"\n"
    r = tagger("segment", path("long.txt", long_line), *model)
    case("one line of 1,000,000 characters, no punctuation", r,
         f"lossless: {r.stdout.replace(b' ', b'') == long_line}; peak RSS {r.peak_mb} MB "
         f"(one short line: {small.peak_mb} MB)")

    lines = ["| input | exit | stderr (first line) | observed |", "|---|---|---|---|"]
    for name, code, err, held in rows:
        lines.append(f"| {name} | {code} | {err.replace('|', '/')[:140]} | {held.replace('|', '/')} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        header = ("# Robustness\n\nBad inputs tried against the CLI, with what happened. Regenerate with\n"
                  "`python -m scripts.qa.robustness --write docs/robustness.md`. Exit 0 = ok, 1 = user error "
                  "(one line, no traceback), 2 = usage.\n\n"
                  "Random inputs: `python -m scripts.qa.fuzz --n 10000 --json results/qa/fuzz.json` segments 10,000 "
                  "random lines (emoji and ZWJ sequences, combining marks, CJK extension planes, control and "
                  "zero-width characters, mixed scripts, whitespace-only and empty lines) in batches and one by "
                  "one; a failure is an exception, a lost or changed character, an empty word, or batched output "
                  "differing from one-by-one output. results/qa/fuzz.json holds its figures (seed 0).\n\n")
        with open(args.write, "w", encoding="utf-8") as handle:
            handle.write(header + table + "\n")


if __name__ == "__main__":
    main()
