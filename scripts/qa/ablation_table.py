#!/usr/bin/env python3
"""One Markdown table row per configuration, from the JSON files scripts/recipes/seeds.py writes.

A row may merge several files (the same configuration, its seeds run as separate jobs):

    G=results/ablation-gpu/pku
    python -m scripts.qa.ablation_table --row "closed: char + bigram=$G/closed.json" \\
        --row "open, small network=$G/open-h128-e64/seed1.json+$G/open-h128-e64/seeds2-3.json" \\
        --json $G/table.json

Each row: seeds, dev F1 and test F1 as mean ± sample std, OOV recall (mean), minutes per run,
model size, and the train arguments (from the first file).
"""
from __future__ import annotations

import argparse
import json
import sys

from scripts.common import command_line, mean_std
from tagger.files import write_json


def row(label: str, paths: list[str]) -> dict:
    runs, args = [], None
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        runs.extend(data["runs"])
        args = args or data.get("train_args")
    summary = {key: mean_std([r[key] for r in runs if r.get(key) is not None])
               for key in ("dev_f1", "f1", "oov_recall", "minutes", "model_mb")
               if any(r.get(key) is not None for r in runs)}
    return {"label": label, "files": paths, "seeds": sorted(r["seed"] for r in runs), "train_args": args,
            "runs": runs, "summary": summary}


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
        write_json(args.json, {"command": command_line("scripts.qa.ablation_table", sys.argv[1:]), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
