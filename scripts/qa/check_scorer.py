#!/usr/bin/env python
"""Check tagger's scorer against the bakeoff's method on a real output.

The SIGHAN `score` script compares gold and output line by line with GNU `diff` over one word a
line, and counts a word correct when diff keeps it. tagger scores by character spans. This
script runs both (the diff one with the real `diff` binary) and prints the two P/R/F1 and their
difference; the two should agree within 0.002.

    python -m scripts.qa.check_scorer OUTPUT GOLD [--json results/qa/scorer-pku.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile

from tagger.files import write_json
from tagger.metrics import score
from tagger.textlines import read_lines


def diff_correct(gold: list[str], pred: list[str], workdir: str) -> int:
    """Words kept by `diff` between one-word-a-line files (unchanged lines are correct)."""
    gold_path, pred_path = os.path.join(workdir, "g"), os.path.join(workdir, "p")
    with open(gold_path, "w", encoding="utf-8") as handle:
        handle.write("".join(w + "\n" for w in gold))
    with open(pred_path, "w", encoding="utf-8") as handle:
        handle.write("".join(w + "\n" for w in pred))
    out = subprocess.run(["diff", "--unchanged-line-format==\n", "--old-line-format=", "--new-line-format=",
                          gold_path, pred_path], capture_output=True, text=True).stdout
    return out.count("=")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("gold")
    parser.add_argument("--json")
    args = parser.parse_args()
    gold = [line.split() for _, line in read_lines(args.gold)]
    pred = [line.split() for _, line in read_lines(args.output)]
    ours = score(gold, pred)
    correct = 0
    with tempfile.TemporaryDirectory() as workdir:
        for g, p in zip(gold, pred):
            correct += diff_correct(g, p, workdir)
    gold_words, pred_words = sum(map(len, gold)), sum(map(len, pred))
    p, r = correct / pred_words, correct / gold_words
    f1 = 2 * p * r / (p + r)
    result = {"tagger": {"P": ours.precision, "R": ours.recall, "F1": ours.f1},
              "diff": {"P": p, "R": r, "F1": f1}, "f1_difference": abs(f1 - ours.f1)}
    print(json.dumps(result, indent=2))
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
