#!/usr/bin/env python3
"""One Markdown table row per configuration, from the JSON files scripts/seeds.py writes.

A row may merge several files (the same configuration run with other seeds at another time):

    python scripts/ablation_table.py \\
        --row "closed: char + bigram=docs/gpu/pku-closed.json" \\
        --row "open, small network=docs/gpu/fast-h128e.json+docs/gpu/fast-h128e-b.json" \\
        --json docs/ablation_pku.json

Each row: seeds, dev F1 and test F1 as mean ± sample std, OOV recall (mean), minutes per run,
model size, and the train arguments (from the first file).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tagger.atomic import write_json  # noqa: E402


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def row(label: str, paths: list[str]) -> dict:
    runs, args = [], None
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        runs.extend(data["runs"])
        args = args or data.get("train_args")
    figures = {key: mean_std([r[key] for r in runs if r.get(key) is not None])
               for key in ("dev_f1", "f1", "oov_recall", "minutes", "model_mb")
               if any(r.get(key) is not None for r in runs)}
    return {"label": label, "files": paths, "seeds": sorted(r["seed"] for r in runs), "train_args": args,
            "runs": runs, "summary": {k: {"mean": m, "std": s} for k, (m, s) in figures.items()}}


def markdown(rows: list[dict]) -> str:
    lines = ["| configuration | seeds | dev F1 | test F1 | OOV recall | min / run | model MB |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["summary"]
        cell = lambda k, d=4: f"{s[k]['mean']:.{d}f} ± {s[k]['std']:.{d}f}" if k in s else "–"  # noqa: E731
        mean = lambda k, d: f"{s[k]['mean']:.{d}f}" if k in s else "–"  # noqa: E731
        lines.append(f"| {r['label']} | {len(r['seeds'])} | {cell('dev_f1')} | **{cell('f1')}** | "
                     f"{mean('oov_recall', 4)} | {mean('minutes', 1)} | {mean('model_mb', 1)} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--row", action="append", required=True, metavar="LABEL=FILE[+FILE...]")
    parser.add_argument("--json", help="write the rows (runs included) here")
    args = parser.parse_args()
    rows = []
    for spec in args.row:
        label, _, files = spec.rpartition("=")
        rows.append(row(label, files.split("+")))
    print(markdown(rows))
    if args.json:
        write_json(args.json, {"command": " ".join(["python", "scripts/ablation_table.py", *sys.argv[1:]]),
                               "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
