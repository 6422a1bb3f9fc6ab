#!/usr/bin/env python
"""Segmentation and training throughput of the shipped model's architecture on one device.

Segmentation: the shipped model segments the PKU test text (warm, model load excluded) with
several batch sizes; F1 against the gold is printed so a device cannot buy speed with errors.
Training: forward + backward + Adam steps of a fresh copy of the shipped architecture over the
PKU test gold (used here only as a stream of tagged characters to time; nothing is learned or
kept), in length-grouped batches of --train-batch-chars, as `tagger train` does.

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.bench.bench_device --device cuda \\
        --batch-chars 5000 50000 200000 --passes 3 --json results/device/cuda-h200.json
    TAGGER_CORPORA=/work/shared/corpora python -m scripts.bench.bench_device --device cpu --threads 2
"""
from __future__ import annotations

import argparse
import json
import time

import torch

import tagger
from scripts.common import pku_gold, pku_test, read_lines
from tagger.files import write_json
from tagger.encode import collate
from tagger.metrics import score
from tagger.model import BiLSTMTagger
from tagger.tasks import Task


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def segmentation(segmenter, lines, gold, device: str, batch_sizes) -> dict:
    chars = sum(len(line) for line in lines)
    out = {}
    for batch_chars in batch_sizes:
        segmenter.segment_lines(lines[:50], batch_chars=batch_chars)  # warm
        synchronize(device)
        start = time.perf_counter()
        words = segmenter.segment_lines(lines, batch_chars=batch_chars)
        synchronize(device)
        seconds = time.perf_counter() - start
        out[str(batch_chars)] = {"chars_per_s": round(chars / seconds), "seconds": round(seconds, 3),
                                 "f1": round(score(gold, words).f1, 4)}
        print(f"segment batch {batch_chars}: {chars / seconds:,.0f} chars/s, F1 {out[str(batch_chars)]['f1']}",
              flush=True)
    return out


def training(segmenter, gold, device: str, batch_chars: int, passes: int) -> dict:
    """Training throughput: epochs of tagger/loop.py (train's own batches, Adam and clipping) over
    the gold text, the first one a warm-up (allocator, kernels) that is not counted."""
    from tagger.loop import Epoch, Loop, Score, seeded
    from tagger.trainconfig import TrainConfig
    task = Task("seg")
    index = {t: i for i, t in enumerate(segmenter.tags)}
    data = [(segmenter.encoder.encode("".join(words)), [index[t] for t in task.tags(task.sample(words))])
            for words in gold if words]
    config = TrainConfig(epochs=passes + 1, batch_chars=batch_chars, device=device)
    rng = seeded(config)
    model = BiLSTMTagger(segmenter.model.config).to(device).float()
    loop = Loop(config, model, rng, log=lambda message: None, progress=False)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)

    def step(ids):
        batch = collate([data[i][0] for i in ids], [data[i][1] for i in ids]).to(device)
        logits = model(batch.inputs)
        return loss_fn(logits.reshape(-1, logits.shape[-1]), batch.tags.reshape(-1)), batch.num_chars

    lengths = [len(d[0][0]) for d in data]
    loop.run(lambda epoch: Epoch(lengths, step), lambda: Score(None, {}, "(timing only)"))
    rates = [row["chars_per_s"] for row in loop.history[1:]]
    print(f"train batch {batch_chars}: {sum(rates) / len(rates):,.0f} chars/s", flush=True)
    return {"chars_per_s": round(sum(rates) / len(rates)), "batch_chars": batch_chars, "passes": passes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch threads (CPU)")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--batch-chars", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--train-batch-chars", type=int, default=3000)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    lines = read_lines(pku_test())
    gold = [line.split() for line in read_lines(pku_gold())]
    segmenter = tagger.load(args.model).to(args.device)
    result = {"device": args.device, "device_name": torch.cuda.get_device_name() if args.device.startswith("cuda")
              else "cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
              "model": segmenter.model.config.to_dict(), "chars": sum(len(line) for line in lines),
              "segment": segmentation(segmenter, lines, gold, args.device, args.batch_chars),
              "train": training(segmenter, gold, args.device, args.train_batch_chars, args.passes)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
