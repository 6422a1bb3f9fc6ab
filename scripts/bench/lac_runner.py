#!/usr/bin/env python
"""Tag the lines of a file with Baidu's LAC (2.1.2), out of the box, in LAC's own venv, and write
its entities as JSON: {"spans": [[[start, end, type], ...] per line], "seconds": tagging time}.

LAC 2.1.2 imports `paddle.fluid`, which paddlepaddle 2.6 removed; `paddle.base` is the same
module under its new name, so it is aliased before LAC is imported. Entities are the words
LAC tags PER, LOC, ORG or TIME. Run by scripts/bench/bench_ner.py:

    LAC_VENV/bin/python scripts/bench/lac_runner.py IN.txt OUT.json
"""
from __future__ import annotations

import json
import sys
import time

KINDS = ("PER", "LOC", "ORG", "TIME")


def spans(text: str, words: list[str], tags: list[str]) -> list[list]:
    """Entity spans with offsets into `text` (LAC may drop whitespace, so each word is found)."""
    out, at = [], 0
    for word, tag in zip(words, tags):
        start = text.find(word, at)
        if start < 0:
            continue
        at = start + len(word)
        if tag in KINDS:
            out.append([start, at, tag])
    return out


def main() -> None:
    import paddle.base
    sys.modules["paddle.fluid"] = paddle.base
    sys.modules["paddle.fluid.core"] = paddle.base.core
    from LAC import LAC
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle]
    lac = LAC(mode="lac")
    lac.run(lines[:50])  # warm
    start = time.perf_counter()
    results = [lac.run(line) if line.strip() else ([], []) for line in lines]
    seconds = time.perf_counter() - start
    with open(target, "w", encoding="utf-8") as out:
        json.dump({"spans": [spans(line, *result) for line, result in zip(lines, results)],
                   "seconds": seconds}, out)


if __name__ == "__main__":
    main()
