"""Score joint segmentation + POS models as segmenters: their words (POS dropped) on a
segmentation benchmark's test set, with the SIGHAN scorer. Mean ± std over the models given.

Why: a POS model trained on PD 1998 is also a segmenter of PKU-style text; this measures what the
extra annotation (POS tags of the same training text) is worth for word boundaries.

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.bench.pos_words pku MODEL... \\
        --json results/tagging/pd1998/pos-small/words-on-pku.json
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile

from scripts.recipes.seeds import summarize
from tagger.files import write_json
from tagger.cli import main as tagger_main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", help="a segmentation corpus name (pku, msr, ...): its test set is scored")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--json", help="write the per-model scores and their summary here")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.models:  # `tagger evaluate` scores a POS model's words on a segmentation gold
            scores = os.path.join(tmp, "scores.json")
            if tagger_main(["evaluate", path, args.benchmark, "--json", scores, "--threads", str(args.threads)]):
                raise SystemExit(f"{path}: tagger evaluate failed")
            with open(scores, encoding="utf-8") as handle:
                result = json.load(handle)
            runs.append({"model": path, **{k: result[k] for k in ("f1", "oov_recall", "iv_recall")}})
    summary = summarize(runs)
    for run in runs:
        print(f"{run['model']}: F1 {run['f1']:.4f}  OOV recall {run['oov_recall']:.4f}")
    print(f"{args.benchmark}: F1 {summary['f1']['mean']:.4f} ± {summary['f1']['std']:.4f} over {len(runs)} models, "
          f"OOV recall {summary['oov_recall']['mean']:.4f}")
    if args.json:
        write_json(args.json, {"benchmark": args.benchmark, "runs": runs, "summary": summary})


if __name__ == "__main__":
    main()
