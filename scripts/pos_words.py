"""Score joint segmentation + POS models as segmenters: their words (POS dropped) on a
segmentation benchmark's test set, with the SIGHAN scorer. Mean ± std over the models given.

Why: a POS model trained on PD 1998 is also a segmenter of PKU-style text; this measures what the
extra annotation (POS tags of the same training text) is worth for word boundaries.

    TAGGER_CORPORA=../shared/corpora python scripts/pos_words.py pku MODEL... --json OUT.json
"""
from __future__ import annotations

import argparse
import json

import torch

import tagger
from seeds import summarize  # scripts/ is on sys.path when this script runs
from tagger.corpora import get_corpus, read_part, training_words
from tagger.metrics import score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", help="a segmentation corpus name (pku, msr, ...): its test set is scored")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--json", help="write the per-model scores and their summary here")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gold = [list(words) for words in read_part(get_corpus(args.benchmark).test)]
    words = training_words(args.benchmark)
    runs = []
    for path in args.models:
        predicted = tagger.load(path).segment_lines(["".join(line) for line in gold])
        result = score(gold, predicted, words)
        runs.append({"model": path, "f1": result.f1, "oov_recall": result.oov_recall,
                     "iv_recall": result.iv_recall})
        print(f"{path}: F1 {result.f1:.4f}  OOV recall {result.oov_recall:.4f}")
    summary = summarize(runs)
    print(f"{args.benchmark}: F1 {summary['f1']['mean']:.4f} ± {summary['f1']['std']:.4f} over {len(runs)} models, "
          f"OOV recall {summary['oov_recall']['mean']:.4f}")
    if args.json:
        from tagger.cli import write_text_atomic
        write_text_atomic(args.json, [json.dumps({"benchmark": args.benchmark, "runs": runs, "summary": summary},
                                                 indent=2) + "\n"])


if __name__ == "__main__":
    main()
