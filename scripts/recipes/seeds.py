#!/usr/bin/env python3
"""Train one configuration with several seeds and report mean +- std of the test scores.

LSTMs are stochastic: one run is an anecdote. This trains `tagger train CORPUS --seed S ...` for
each seed (in parallel worker processes if asked, one torch thread each), reads the test score
each run recorded in its model's metadata (named corpora only; test sets are never used to
select), and writes a JSON summary plus one Markdown table row.

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.recipes.seeds resume --seeds 1 2 3 \\
        --workdir runs/resume --json results/tagging/resume/NAME.json --parallel 2 -- --epochs 40

Everything after `--` goes to `tagger train` unchanged. `python -m scripts.recipes.seeds --rescore
JSON...` scores the saved models of a JSON's runs again (when the scorer changes); `--collect
MODEL...` writes the summary of saved models (an interrupted seeds.py, seeds run as separate jobs).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from scripts.common import command_line, mean_std
from tagger.files import write_json
from tagger.modelio import read_metadata

FIELDS = ("f1", "precision", "recall", "oov_recall", "iv_recall", "word_f1", "pos_accuracy")


def train_one(corpus: str, seed: int, workdir: str, train_args: list[str], threads: int) -> dict:
    model = os.path.join(workdir, f"{corpus.replace('/', '_')}.seed{seed}.model")
    log = model[:-len(".model")] + ".log"
    command = ["tagger", "train", corpus, "-o", model, "--seed", str(seed), "--threads", str(threads),
               "--no-plot", *train_args]
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"seed {seed} failed (exit {done.returncode}); see {log}")
    return record(model, log, round((time.monotonic() - started) / 60, 1))


def record(model: str, log: str, minutes: float | None = None) -> dict:
    """One run's figures, read from its saved model's metadata (its seed; without `minutes`, the
    training time the model recorded)."""
    meta = read_metadata(model)["metadata"]
    test = meta.get("test", {})
    if minutes is None:
        minutes = round(meta["train_minutes"], 1)
    return {"seed": meta["train_config"]["seed"], "model": model, "log": log, "minutes": minutes,
            "best_epoch": meta.get("best_epoch"), "dev_f1": meta.get("dev_f1"),
            "model_mb": round(os.path.getsize(model) / 1e6, 1),
            **{k: test[k] for k in FIELDS if test.get(k) is not None}}


def collected(models: list[str]) -> list[dict]:
    """Runs of saved models (seeds.py interrupted, or seeds run in separate jobs);
    minutes are the training time each model recorded (setup and test scoring not counted)."""
    runs = [record(model, model[:-len(".model")] + ".log") for model in models]
    return sorted(runs, key=lambda run: run["seed"])


def summarize(runs: list[dict]) -> dict:
    out = {}
    for key in ("dev_f1", *FIELDS, "minutes"):
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = mean_std(values)
    return out


def rescore(path: str) -> int:
    """Score every run of a seeds JSON again on its corpus's test set (`tagger evaluate`), for
    when the scorer changes (such as OOV recall for corpora with no bakeoff word list)."""
    with open(path, encoding="utf-8") as handle:
        result = json.load(handle)
    for run in result["runs"]:
        scores = run["model"][:-len(".model")] + ".test.json"
        subprocess.run(["tagger", "evaluate", run["model"], result["corpus"], "--json", scores, "--threads", "1"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(scores, encoding="utf-8") as handle:
            test = json.load(handle)
        run.update({k: test[k] for k in FIELDS if test.get(k) is not None})
    result["summary"] = summarize(result["runs"])
    result["rescored"] = "test scores recomputed by python -m scripts.recipes.seeds --rescore"
    write_json(path, result)
    print(f"{path}: rescored {len(result['runs'])} runs")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--rescore"]:
        return max(rescore(path) for path in sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="a corpus name under $TAGGER_CORPORA (its test set is scored)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workdir", default="runs")
    parser.add_argument("--json", required=True, help="write the runs and their summary here")
    parser.add_argument("--parallel", type=int, default=1, help="runs at once (each gets one torch thread)")
    parser.add_argument("--threads", type=int, help="torch threads per run (default: 2 // parallel, at least 1)")
    parser.add_argument("--label", default="", help="a name for this configuration in the JSON and table")
    parser.add_argument("--collect", nargs="+", metavar="MODEL",
                        help="summarize these saved models (trained with the arguments after --) instead of training")
    args, train_args = parser.parse_known_args()
    if train_args and train_args[0] == "--":
        train_args = train_args[1:]
    os.makedirs(args.workdir, exist_ok=True)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    threads = args.threads or max(1, 2 // args.parallel)
    if args.collect:
        runs = collected(args.collect)
        args.seeds = [run["seed"] for run in runs]
    else:
        with ThreadPoolExecutor(args.parallel) as pool:
            runs = list(pool.map(lambda s: train_one(args.corpus, s, args.workdir, train_args, threads), args.seeds))
    summary = summarize(runs)
    result = {"corpus": args.corpus, "label": args.label, "train_args": train_args, "seeds": args.seeds,
              "parallel": args.parallel, "threads_per_run": threads, "runs": runs, "summary": summary,
              "command": command_line("scripts.recipes.seeds", sys.argv[1:])}
    write_json(args.json, result)
    f1 = summary.get("f1", {"mean": float("nan"), "std": float("nan")})
    extra = "".join(f", {k} {summary[k]['mean']:.4f}" for k in ("oov_recall", "word_f1", "pos_accuracy") if k in summary)
    print(f"{args.corpus} {args.label}: test F1 {f1['mean']:.4f} ± {f1['std']:.4f} over {len(runs)} seeds{extra}; "
          f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
