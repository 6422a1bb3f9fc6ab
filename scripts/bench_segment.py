#!/usr/bin/env python
"""Segmentation speed and memory of `tagger segment` on a raw text file (default: PKU test).

Prints and writes JSON with:
  - cli: wall seconds, chars/s and peak RSS of the whole `tagger segment FILE` process;
  - startup: wall seconds of `echo 一句话 | tagger segment` (import + model load + one line);
  - in_process: model-load seconds and chars/s of Segmenter.segment_lines on the file;
  - jieba: chars/s of jieba.lcut on the same lines, in this process, for reference.
Run with nothing else on the machine; --threads sets torch's threads (the cores that are free).

    TAGGER_CORPORA=../shared/corpora python scripts/bench_segment.py --threads 2 --json bench.json
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def run_cli(args: list[str], stdin: bytes | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of a `tagger` child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tagger", *args], input=stdin, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", help="raw text (default: $TAGGER_CORPORA/sighan2005/pku_test.utf8)")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--no-jieba", action="store_true")
    args = parser.parse_args()
    path = args.file or os.path.join(os.environ.get("TAGGER_CORPORA", "."), "sighan2005", "pku_test.utf8")
    with open(path, encoding="utf-8-sig") as handle:
        lines = [line.rstrip("\r\n") for line in handle]
    chars = sum(len(line) for line in lines)
    model_args = ["--model", args.model] if args.model else []

    import torch
    torch.set_num_threads(args.threads)
    results: dict = {"file": path, "chars": chars, "lines": len(lines), "threads": args.threads}

    wall, peak = run_cli(["segment", path, "--threads", str(args.threads), *model_args])
    results["cli"] = {"seconds": round(wall, 2), "chars_per_s": round(chars / wall), "peak_rss_mb": peak}
    wall, _ = run_cli(["segment", "--threads", str(args.threads), *model_args], stdin="一句话\n".encode())
    results["startup"] = {"seconds": round(wall, 2)}

    start = time.perf_counter()
    import tagger
    imported = time.perf_counter()
    segmenter = tagger.load(args.model)
    loaded = time.perf_counter()
    segmenter.segment_lines(lines)
    done = time.perf_counter()
    results["in_process"] = {"import_seconds": round(imported - start, 2),
                             "load_seconds": round(loaded - imported, 2),
                             "chars_per_s": round(chars / (done - loaded))}
    if not args.no_jieba:
        import jieba
        jieba.setLogLevel(60)
        jieba.initialize()
        start = time.perf_counter()
        for line in lines:
            jieba.lcut(line)
        results["jieba"] = {"chars_per_s": round(chars / (time.perf_counter() - start))}

    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
