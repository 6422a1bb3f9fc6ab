#!/usr/bin/env bash
# How a multi-criteria model should learn which standard a text follows: the standard's marker
# characters at both ends of the text alone (He et al. 2019; the default), or the markers plus a
# learned vector of the standard at every step (a criterion embedding, `--standard-dim 16`).
# Both train the same two-corpus model, NLPCC 2016 Weibo + UD Chinese (two standards plus
# `mixed`), with `tagger train` defaults except for the network, one layer of 200 units over
# 100/50-dim embeddings with dropout 0.2 (NET, the network of the measurement in
# results/multi-criteria), and the same seeds; the comparison is the best mean dev
# F1 over the two corpora, each read with its own standard. Test F1 is scored once at the end and
# reported beside it, never used to choose. Writes results/multi-criteria/criterion-input.json.
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/criterion_input.sh [SEED...]   (default: 1)
# Env: THREADS (1), WORK (runs/criterion), OUT (results/multi-criteria). About 15 minutes a run.
set -euo pipefail
: "${TAGGER_CORPORA:?set TAGGER_CORPORA to the corpora folder}"
THREADS=${THREADS:-1}
WORK=${WORK:-runs/criterion}
OUT=${OUT:-results/multi-criteria}
SEEDS=${*:-1}
NET=${NET:---char-dim 100 --bigram-dim 50 --hidden 200 --layers 1 --dropout 0.2}
mkdir -p "$WORK" "$OUT"
for seed in $SEEDS; do
  for variant in markers embedding; do
    model=$WORK/$variant.seed$seed.model
    extra=$([ "$variant" = embedding ] && echo "--standard-dim 16" || true)
    [ -f "$model" ] || tagger train weibo,ud -o "$model" --threads "$THREADS" --seed "$seed" --no-plot $NET $extra \
        > "${model%.model}.log" 2>&1
  done
done

python - "$WORK" "$OUT/criterion-input.json" "$SEEDS" <<'PY'
"""Collect every run's dev and test F1 into one JSON, with the mean ± std of each variant."""
import statistics, sys
from tagger.files import write_json
from tagger.modelio import read_metadata

work, out, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split()
result = {"corpora": ["weibo", "ud"], "command": "scripts/recipes/criterion_input.sh " + " ".join(seeds),
          "variants": {}}
for variant in ("markers", "embedding"):
    runs = []
    for seed in seeds:
        meta = read_metadata(f"{work}/{variant}.seed{seed}.model")["metadata"]
        table = meta["standard_dev_f1"]  # {standard: {corpus: dev F1}}, at the kept epoch
        dev = {corpus: table[corpus][corpus] for corpus in ("weibo", "ud")}
        runs.append({"seed": int(seed), "dev_f1": meta["dev_f1"], "best_epoch": meta["best_epoch"],
                     "minutes": meta["train_minutes"], "dev_f1_own_standard": dev,
                     "test_f1_own_standard": {c: t["f1"] for c, t in meta.get("tests", {}).items()}})
    f1s = [r["dev_f1"] for r in runs]
    result["variants"][variant] = {"runs": runs, "dev_f1": {"mean": statistics.fmean(f1s),
                                                           "std": statistics.stdev(f1s) if len(f1s) > 1 else 0.0}}
write_json(out, result)
for variant, v in result["variants"].items():
    print(f"{variant}: mean dev F1 {v['dev_f1']['mean']:.4f} ± {v['dev_f1']['std']:.4f}; "
          + "; ".join(f"seed {r['seed']}: test " + ", ".join(f"{c} {f:.4f}" for c, f in r["test_f1_own_standard"].items())
                      for r in v["runs"]))
PY
