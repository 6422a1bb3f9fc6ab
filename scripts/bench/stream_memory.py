#!/usr/bin/env python3
"""Is `tagger segment` memory constant in the input's size? Peak RSS on a small and a big input.

Builds inputs of the requested sizes by repeating a text (default: the PKU test set), runs
`tagger segment FILE -o OUT` on each in a child process, and reports peak RSS (the child's own
rusage), wall time, and whether the output kept every line in order (each output line, its
spaces removed, equals its input line). Writes JSON.

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.bench.stream_memory --sizes-mb 2 200 \\
        --engine torch [--jobs 2 --threads 1] [--model MODEL] --json results/memory/torch[-jobs2].json
"""
from __future__ import annotations

import argparse
import os
import tempfile

from scripts.common import measure_tagger, pku_test, read_lines
from tagger.files import write_json


def build_input(path: str, source_lines: list[str], size_bytes: int) -> int:
    written, lines = 0, 0
    with open(path, "w", encoding="utf-8") as handle:
        while written < size_bytes:
            for line in source_lines:
                data = line + "\n"
                handle.write(data)
                written += len(data.encode("utf-8"))
                lines += 1
                if written >= size_bytes:
                    break
    return lines


def same_lines(source: str, output: str) -> bool:
    with open(source, encoding="utf-8") as a, open(output, encoding="utf-8") as b:
        for x, y in zip(a, b, strict=True):
            if x.rstrip("\n") != y.rstrip("\n").replace(" ", ""):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", help="text to repeat (default: $TAGGER_CORPORA/sighan2005/pku_test.utf8)")
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[2, 200])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--engine", default="torch", choices=["torch", "numpy"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--json")
    args = parser.parse_args()
    text = args.text or str(pku_test())
    source_lines = [line.replace(" ", "") for line in read_lines(text)]  # the check compares without spaces
    results = {"text": text, "jobs": args.jobs, "engine": args.engine, "threads": args.threads, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes_mb:
            source, output = os.path.join(tmp, f"in{size}.txt"), os.path.join(tmp, f"out{size}.txt")
            lines = build_input(source, source_lines, int(size * 1e6))
            wall, peak = measure_tagger(["segment", source, "-o", output, "--jobs", str(args.jobs),
                                         "--engine", args.engine, "--threads", str(args.threads),
                                         *(["--model", args.model] if args.model else [])])
            row = {"size_mb": size, "lines": lines, "seconds": round(wall, 1), "peak_rss_mb": peak,
                   "chars_per_s": round(os.path.getsize(source) / 3 / wall), "order_and_text_kept": same_lines(source, output)}
            results["runs"].append(row)
            print(row, flush=True)
            os.unlink(source)
            os.unlink(output)
    peaks = [r["peak_rss_mb"] for r in results["runs"]]
    results["peak_ratio_big_to_small"] = round(max(peaks[1:] or peaks) / peaks[0], 3)
    print(f"peak RSS ratio (largest input / first): {results['peak_ratio_big_to_small']}")
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
