#!/usr/bin/env python
"""Batches in worker threads against one batch at a time, each shipped model, in one process.

`label_lines` runs a torch network's batches in one worker thread per torch thread, each
computing on one torch thread (tagger/batch_threads.py). This script measures what that buys:
for each model and precision it alternates the two ways `--rounds` times (each the best of 3
passes over the text, warm), checks that both give the same labels, and reports chars/s.
One batch at a time is what `label_lines` did before, and still does for the numpy engine.

Texts: the PKU test text (SIGHAN 2005, raw) for the segmenters and the POS model, the MSRA NER
test text for the NER model. Run it on an otherwise idle machine. `--busy N` measures beside N
CPU-bound processes that the script starts and stops (scripts/bench/bench_contention.py's): what
a model loaded with `--threads` threads on an idle machine gets when other work arrives later.

    TAGGER_CORPORA=/path/to/corpora python -m scripts.bench.batch_threads_ab --threads 2 \\
        --json results/speed/batch_threads.json
    TAGGER_CORPORA=/path/to/corpora python -m scripts.bench.batch_threads_ab --threads 2 --busy 1 \\
        --models ner,default --json results/speed/batch_threads_busy1.json
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from unittest import mock

from scripts.bench.bench_contention import busy_processes
from scripts.bench.bench_ner import gold_set
from scripts.common import command_line, machine, pku_test, precision_of, read_lines, reporting_errors
from tagger import load, pipeline
from tagger.batch_threads import batch_workers
from tagger.files import write_json

MODELS = ("default", "fast", "pos", "ner")
PRECISIONS = ("float32", "auto")


def texts_of(model: str) -> list[str]:
    """The raw lines a model is timed on."""
    if model == "ner":
        return gold_set("msra-ner", "test")[0]
    return [line.strip() for line in read_lines(pku_test()) if line.strip()]


def best_speed(run, texts: list[str], passes: int = 3) -> tuple[int, list]:
    """(chars/s of the best of `passes` runs, the labels)."""
    best, out = float("inf"), []
    for _ in range(passes):
        start = time.perf_counter()
        out = run(texts)
        best = min(best, time.perf_counter() - start)
    return int(sum(map(len, texts)) / best), out


def compare(tagger_model, texts: list[str], rounds: int) -> dict:
    """Both ways, alternated `rounds` times, on one loaded model."""
    tagger_model.label_lines(texts[:300])  # warm
    serial, threaded, same = [], [], True
    for _ in range(rounds):
        with mock.patch.object(pipeline, "batch_workers", lambda network, device: 1):
            speed, one_at_a_time = best_speed(tagger_model.label_lines, texts)
        serial.append(speed)
        speed, side_by_side = best_speed(tagger_model.label_lines, texts)
        threaded.append(speed)
        same = same and side_by_side == one_at_a_time
    ratios = [t / s for s, t in zip(serial, threaded)]
    return {"chars": sum(map(len, texts)), "workers": batch_workers(tagger_model.model, tagger_model.device),
            "one_batch_at_a_time": serial, "worker_threads": threaded,
            "ratio_median": round(statistics.median(ratios), 3), "same_labels": same}


def bench(args) -> int:
    results = {"command": command_line("scripts.bench.batch_threads_ab", sys.argv[1:]), "machine": machine(),
               "threads": args.threads, "busy_processes": args.busy, "rounds": args.rounds, "models": {}}
    for model in args.models.split(","):
        texts = texts_of(model)
        for precision in PRECISIONS:
            tagger_model = load(model, engine="torch", precision=precision, threads=args.threads)
            runs_in = precision_of(tagger_model)
            if f"{model} {runs_in}" in results["models"]:
                continue  # "auto" is float32 here: measured already
            with busy_processes(args.busy):
                row = {"precision": runs_in, **compare(tagger_model, texts, args.rounds)}
            results["models"][f"{model} {runs_in}"] = row
            print(f"{model:8} {runs_in:9} one batch at a time {row['one_batch_at_a_time']} "
                  f"worker threads {row['worker_threads']} ratio {row['ratio_median']} "
                  f"same labels {row['same_labels']}", flush=True)
    if args.json:
        write_json(args.json, results)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS), help="shipped names or files, comma-separated")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two ways")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes running beside (default: 0)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    sys.exit(reporting_errors("batch_threads_ab", lambda: bench(args)))


if __name__ == "__main__":
    main()
