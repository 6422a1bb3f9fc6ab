#!/usr/bin/env python
"""Adaptation benchmark (issue 35's protocol): the shipped model made the user's own.

    A  adapt `default` with CTB6's training text, words removed (raw text only), score CTB6 test
       with the default standard;
    B  adapt the one-corpus PKU model (scripts/recipes/train_default.sh; --pku-model) with the
       Weibo training text, words removed, score the Weibo dev set (the Weibo row);
    C  fine-tune `default` on the first 500 sentences of CTB6 train (a new standard `ctb6`, dev
       carved from those 500), score CTB6 test with that standard; with --scratch also train
       from scratch on the same 500 sentences with the defaults;
    D  `tagger words` on CTB6's training text, words removed: the share of the top 200 that are
       words of CTB6's own gold segmentation of that text.

Every model is also scored on the shipped model's six benchmark rows (bench_crossdomain's
test sets) with the default standard, and every difference to the shipped model is stated with
its paired-bootstrap interval and randomization p-value (tagger/significance.py). Nothing is
selected on CTB6's test labels. Adapted and fine-tuned models are written under --work (CTB6
is LDC data: for measurement only, never shipped or committed).

    python -m scripts.bench.bench_adapt --protocols D,C,A,B --seeds 1,2,3 --scratch \
        --pku-model runs/pku-single.model --threads 1 --out results/adapt

With several seeds, each training protocol runs once per seed (the seed of its sampling and
its batches); the JSON holds every run and the mean and standard deviation of each row.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from scripts.bench.bench_crossdomain import SETS, load_set
from tagger.files import write_json
from tagger.corpora import corpora_root, get_corpus, read_part
from tagger.significance import compare_counts, sentence_counts

FIRST = 500  # sentences of CTB6 train for fine-tuning (protocol C)
TOP = 200    # words judged in protocol D


def raw_text(corpus: str, work: Path) -> tuple[Path, set[str]]:
    """A corpus's training text with its words removed (one line a sentence), and its gold words."""
    path, words = work / f"{corpus}.train.raw", set()
    lines = []
    for sentence in read_part(get_corpus(corpus).train):
        words.update(sentence)
        lines.append("".join(sentence))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path, words


class Rows:
    """The six benchmark rows, loaded once; each model's outputs scored and compared with the base's."""

    def __init__(self, names: Optional[Sequence[str]] = None):
        root = corpora_root()
        self.sets = [load_set(spec, root) for spec in SETS if names is None or spec.name in names]
        self.base: dict[str, object] = {}

    def score(self, tagger, standard: Optional[str] = None, only: Optional[Sequence[str]] = None) -> dict:
        out = {}
        for item in self.sets:
            if only is not None and item.spec.name not in only:
                continue
            start = time.monotonic()
            predicted = tagger.segment_lines(item.lines, standard=standard)
            counts = sentence_counts(item.gold, predicted)
            row = {"f1": float(compare_counts(counts, counts, draws=1).f1_a), "standard": standard,
                   "seconds": round(time.monotonic() - start, 1)}
            if item.spec.name in self.base:
                row["vs_default"] = compare_counts(counts, self.base[item.spec.name]).to_dict()
            else:
                self.base[item.spec.name] = counts
            out[item.spec.name] = row
        return out


def adapted_run(rows: Rows, model_name: str, raw: Path, out: Path, seed: int, log) -> dict:
    """Adapt a model to one raw text with one seed, write it to `out` and score it on `rows`."""
    import tagger
    from tagger.adapt import adapt
    from tagger.modelio import save_model
    model = tagger.load(model_name, precision="float32")
    start, cpu = time.monotonic(), time.process_time()
    adapt(model, [str(raw)], log=log, seed=seed)
    minutes, cpu_minutes = (time.monotonic() - start) / 60, (time.process_time() - cpu) / 60
    save_model(model, out, half=True)
    chars = model.metadata["adapted"]["characters"]
    return {"seed": seed, "adapted": model.metadata["adapted"], "minutes": round(minutes, 2),
            "cpu_minutes": round(cpu_minutes, 2), "minutes_per_million_chars": round(minutes / chars * 1e6, 2),
            "cpu_minutes_per_million_chars": round(cpu_minutes / chars * 1e6, 2), "rows": rows.score(model)}


def protocol_a(rows: Rows, raw: Path, work: Path, seeds: Sequence[int], log) -> dict:
    runs = [adapted_run(rows, "default", raw, work / f"A.seed{seed}.model", seed, log) for seed in seeds]
    return {"protocol": "A", "what": "adapt default with CTB6 train text (words removed), default standard",
            "runs": runs, "summary": summary(runs)}


def protocol_b(pku_model: Optional[str], work: Path, seeds: Sequence[int], log) -> dict:
    """B: the one-corpus PKU model adapted to Weibo's raw training text, scored on Weibo dev."""
    if not pku_model:
        raise SystemExit("protocol B needs --pku-model (scripts/recipes/train_default.sh writes it)")
    import tagger
    rows = Rows(["weibo"])
    base = rows.score(tagger.load(pku_model, precision="float32"))
    raw, _ = raw_text("weibo", work)
    runs = [adapted_run(rows, pku_model, raw, work / f"B.seed{seed}.model", seed, log) for seed in seeds]
    return {"protocol": "B", "what": "adapt the one-corpus PKU model with Weibo train text (words removed), "
                                     "score the Weibo dev set", "model": pku_model, "base_rows": base,
            "runs": runs, "summary": summary(runs)}


def summary(runs: Sequence[dict], key: str = "rows") -> dict:
    """Each row's F1 over the runs (seeds): mean, standard deviation and every value."""
    from statistics import mean, stdev
    names = runs[0][key].keys() if runs else []
    out = {}
    for name in names:
        values = [run[key][name]["f1"] for run in runs]
        out[name] = {"mean": round(mean(values), 4), "std": round(stdev(values), 4) if len(values) > 1 else 0.0,
                     "f1": [round(v, 4) for v in values]}
    return out


def protocol_c(rows: Rows, work: Path, scratch: bool, threads: int, seeds: Sequence[int], log) -> dict:
    first = list(read_part(get_corpus("ctb6").train))[:FIRST]
    corpus = work / f"ctb6.first{FIRST}.seg"
    corpus.write_text("".join(" ".join(words) + "\n" for words in first), encoding="utf-8")
    runs = [fine_tuned_run(rows, first, corpus, work, threads, seed, log) for seed in seeds]
    result = {"protocol": "C", "what": f"fine-tune default on the first {FIRST} CTB6 train sentences "
                                       "(new standard ctb6, dev carved from them)",
              "runs": runs, "summary": summary(runs), "own_standard": summary(runs, "ctb6_own_standard")}
    if scratch:  # the defaults, from scratch, on the same 500 sentences (the command line's recipe)
        import tagger
        scratch_runs = []
        for seed in seeds:
            out = work / f"C-scratch.seed{seed}.model"
            start = time.monotonic()
            subprocess.run([sys.executable, "-m", "tagger", "train", str(corpus), "-o", str(out), "--threads",
                            str(threads), "--seed", str(seed), "--no-plot", "--quiet"], check=True)
            scratch_runs.append({"seed": seed, "minutes": round((time.monotonic() - start) / 60, 2),
                                 "rows": rows.score(tagger.load(str(out), precision="float32"), only=["ctb6"])})
        result["from_scratch"] = {"runs": scratch_runs, "summary": summary(scratch_runs)}
    return result


def fine_tuned_run(rows: Rows, first: list, corpus: Path, work: Path, threads: int, seed: int, log) -> dict:
    from tagger.finetune import FineTuneConfig, fine_tune
    from tagger.modelio import save_model
    start, cpu = time.monotonic(), time.process_time()
    tuned = fine_tune("default", first, None, "ctb6", FineTuneConfig(threads=threads, seed=seed),
                      corpus=str(corpus), log=log)
    minutes, cpu_minutes = (time.monotonic() - start) / 60, (time.process_time() - cpu) / 60
    save_model(tuned, work / f"C.seed{seed}.model", half=True)
    return {"seed": seed, "fine_tuned": tuned.metadata["fine_tuned"], "minutes": round(minutes, 2),
            "cpu_minutes": round(cpu_minutes, 2),
            "ctb6_own_standard": {"ctb6": rows.score(tuned, "ctb6", only=["ctb6"])["ctb6"]},
            "rows": rows.score(tuned)}


def protocol_d(raw: Path, gold_words: set[str], log) -> dict:
    import tagger
    from tagger.adapt import read_raw
    from tagger.newwords import discover
    model = tagger.load("default", precision="float32")
    start = time.monotonic()
    found = discover(model, read_raw([str(raw)]), top=TOP)
    hits = [w.word in gold_words for w in found]
    return {"protocol": "D", "what": f"tagger words on CTB6 train text (words removed): top {TOP} vs CTB6 gold words",
            "share_gold": sum(hits) / max(len(hits), 1), "listed": len(found),
            "minutes": round((time.monotonic() - start) / 60, 2),
            "words": [{**w.to_dict(), "gold_word": hit} for w, hit in zip(found, hits)]}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocols", default="D,C,A", help="comma-separated: A, B, C, D")
    parser.add_argument("--seeds", default="1", help="comma-separated seeds of the training protocols (A, B, C)")
    parser.add_argument("--pku-model", help="B: the one-corpus PKU model (scripts/recipes/train_default.sh)")
    parser.add_argument("--out", default="results/adapt", help="folder of the JSON results")
    parser.add_argument("--work", default="runs/adapt", help="folder for the raw text and the models (not committed)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--scratch", action="store_true", help="C: also train from scratch on the 500 sentences")
    parser.add_argument("--rows", help="comma-separated benchmark rows (default: all six)")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    command = "python -m scripts.bench.bench_adapt " + " ".join(argv if argv is not None else sys.argv[1:])
    seeds = [int(seed) for seed in args.seeds.split(",")]
    raw, gold_words = raw_text("ctb6", work)
    rows = Rows(args.rows.split(",") if args.rows else None)
    import tagger
    base = {"protocol": "base", "rows": rows.score(tagger.load("default", precision="float32"))}
    for name in [p.strip().upper() for p in args.protocols.split(",") if p.strip()]:
        result = (protocol_a(rows, raw, work, seeds, log) if name == "A" else
                  protocol_b(args.pku_model, work, seeds, log) if name == "B" else
                  protocol_c(rows, work, args.scratch, args.threads, seeds, log) if name == "C" else
                  protocol_d(raw, gold_words, log) if name == "D" else None)
        if result is None:
            parser.error(f"unknown protocol {name}")
        result.update(command=command, threads=args.threads, seeds=seeds if name != "D" else [],
                      default_rows=base["rows"])
        write_json(out / f"{name}.json", result)
        log(json.dumps({k: v for k, v in result.items() if k not in ("words", "default_rows")}, default=str)[:2000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
