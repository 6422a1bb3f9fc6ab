#!/usr/bin/env python
"""How the fine-tuning and adaptation defaults were chosen: one configuration a run, scored
only on data that issue 35's report leaves out, plus the six benchmark rows for the table.

    finetune  fine-tune `default` on the first 500 CTB6 train sentences (protocol C's corpus)
              with one FineTuneConfig (`--soup K`: K runs, seeds SEED..SEED+K-1, their weights
              averaged); selection signals: F1 on the first 600 sentences of CTB6
              dev with the new standard, and the agreement (word F1) of the default standard's
              output with the shipped model's on the six rows' texts (no labels read);
    adapt     adapt `default` to CTB6's training text, words removed (protocol A's text), with
              one set of adaptation settings; selection signal: CTB6 dev with the default
              standard, against the shipped model (paired bootstrap and randomization).

Each run appends one JSON object to --out (JSON lines) and prints it. The six rows' test F1 are
recorded for the table in docs/training.md, never used to choose.

    python -m scripts.bench.adapt_select finetune --replay 1 --anchor 1 --seed 1 --out results/adapt/select-finetune.jsonl
    python -m scripts.bench.adapt_select adapt --self-training --seed 1 --out results/adapt/select-adapt.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Optional, Sequence

from scripts.bench.bench_adapt import FIRST, Rows, raw_text
from tagger.corpora import get_corpus, read_part
from tagger.metrics import score
from tagger.significance import compare_counts, sentence_counts

DEV_SLICE = 600  # the first sentences of CTB6 dev: the labelled slice the report leaves out


def f1(gold, predicted) -> float:
    return score(gold, predicted).f1


def average(taggers: list):
    """The first of `taggers`, each floating-point weight replaced by its mean over all of them
    (a "model soup", Wortsman et al. 2022): fine-tunings of one model on one corpus share their
    vocabularies and shapes, which is checked."""
    import torch
    first = taggers[0]
    for other in taggers[1:]:
        if other.encoder.to_dict() != first.encoder.to_dict() or list(other.tags) != list(first.tags):
            raise SystemExit("adapt_select: the runs to average differ in their vocabularies or tags")
    states = [t.model.state_dict() for t in taggers]
    with torch.no_grad():
        for name, tensor in states[0].items():
            if tensor.is_floating_point():
                tensor.copy_(torch.stack([s[name].float() for s in states]).mean(0).to(tensor.dtype))
    return first


def finetune_run(args, log) -> dict:
    import tagger
    from tagger.finetune import FineTuneConfig, fine_tune
    first = list(read_part(get_corpus("ctb6").train))[:FIRST]
    dev = list(read_part(get_corpus("ctb6").dev))[:DEV_SLICE]
    rows = Rows()
    shipped = tagger.load("default", precision="float32")
    shipped_out = {item.spec.name: shipped.segment_lines(item.lines) for item in rows.sets}
    rows.score(shipped)
    config = FineTuneConfig(lr=args.lr, replay=args.replay, anchor=args.anchor, dictionary=not args.no_dictionary,
                            epochs=args.epochs, patience=args.patience, threads=1, seed=args.seed, ema=args.ema)
    start = time.monotonic()
    runs = [fine_tune("default", first, None, "ctb6", replace(config, seed=args.seed + k), log=log)
            for k in range(args.soup)]
    minutes = (time.monotonic() - start) / 60
    singles = [round(f1(dev, run.segment_lines(["".join(w) for w in dev], standard="ctb6")), 4) for run in runs]
    tuned = average(runs)
    agreement = {item.spec.name: round(f1(shipped_out[item.spec.name], tuned.segment_lines(item.lines)), 4)
                 for item in rows.sets}
    test_rows = rows.score(tuned)
    return {"mode": "finetune", "config": {k: v for k, v in vars(config).items() if k != "max_minutes"},
            "minutes": round(minutes, 2), "best_epoch": tuned.metadata["fine_tuned"]["best_epoch"],
            "soup": args.soup, "dev_slice_f1_of_each": singles,
            "dev_slice_f1": round(f1(dev, tuned.segment_lines(["".join(w) for w in dev], standard="ctb6")), 4),
            "agreement_with_shipped": agreement,
            "ctb6_test_own_standard": round(rows.score(tuned, "ctb6", only=["ctb6"])["ctb6"]["f1"], 4),
            "rows_minus_shipped": {name: round(row["vs_default"]["difference"], 4) for name, row in test_rows.items()}}


def adapt_run(args, log) -> dict:
    import tagger
    import tagger.adapt as adaptation
    dev = list(read_part(get_corpus("ctb6").dev))
    lines = ["".join(words) for words in dev]
    shipped = sentence_counts(dev, tagger.load("default", precision="float32").segment_lines(lines))
    Path(args.work).mkdir(parents=True, exist_ok=True)
    raw, _ = raw_text("ctb6", Path(args.work))
    if args.lr:
        adaptation.SELF_TRAIN_LR = args.lr
    if args.epochs:
        adaptation.SELF_TRAIN_EPOCHS = args.epochs
    model = tagger.load("default", precision="float32")
    start = time.monotonic()
    adaptation.adapt(model, [str(raw)], min_count=args.min_count, log=log, seed=args.seed,
                     vectors=args.vectors, self_training=args.self_training)
    minutes = (time.monotonic() - start) / 60
    comparison = compare_counts(sentence_counts(dev, model.segment_lines(lines)), shipped)
    return {"mode": "adapt", "settings": {"self_training": args.self_training, "vectors": args.vectors,
                                          "min_count": args.min_count, "lr": adaptation.SELF_TRAIN_LR,
                                          "epochs": adaptation.SELF_TRAIN_EPOCHS, "seed": args.seed},
            "minutes": round(minutes, 2), "ctb6_dev_vs_shipped": comparison.to_dict(),
            "raw_vectors": model.metadata["adapted"].get("raw_vectors"),
            "self_training_epochs_kept": model.metadata["adapted"]["self_training"].get("epochs")}


def main(argv: Optional[Sequence[str]] = None) -> int:
    from tagger.finetune import FineTuneConfig
    defaults = FineTuneConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["finetune", "adapt"])
    parser.add_argument("--out", required=True, help="JSON lines file the run is appended to")
    parser.add_argument("--work", default="runs/adapt", help="folder for the raw text (not committed)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lr", type=float, help="finetune: learning rate; adapt: self-training's")
    parser.add_argument("--epochs", type=int, help="finetune: most epochs; adapt: self-training's epochs")
    parser.add_argument("--replay", type=float, default=defaults.replay)
    parser.add_argument("--anchor", type=float, default=defaults.anchor)
    parser.add_argument("--patience", type=int, default=defaults.patience)
    parser.add_argument("--no-dictionary", action="store_true", help="finetune: the corpus's words stay out")
    parser.add_argument("--ema", type=float, default=defaults.ema, help="finetune: weight average, decay per step")
    parser.add_argument("--soup", type=int, default=1, help="finetune: average the weights of this many seeds' runs")
    parser.add_argument("--self-training", action="store_true", help="adapt: self-train after adding the words")
    parser.add_argument("--vectors", action="store_true", help="adapt: skip-gram rows for new characters, bigrams")
    parser.add_argument("--min-count", type=int, default=3, help="adapt: fewest occurrences of a new word")
    args = parser.parse_args(argv)
    if args.soup < 1:
        parser.error("--soup: at least 1 run")
    import torch
    torch.set_num_threads(1)
    if args.mode == "finetune":
        args.lr = args.lr or defaults.lr
        args.epochs = args.epochs or defaults.epochs
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    result = finetune_run(args, log) if args.mode == "finetune" else adapt_run(args, log)
    result["command"] = "python -m scripts.bench.adapt_select " + " ".join(argv if argv is not None else sys.argv[1:])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(json.dumps(result) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
