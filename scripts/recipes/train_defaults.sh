#!/usr/bin/env bash
# The defaults benchmark: each shared benchmark trained as a new user would, with `tagger train`
# defaults only (nothing but --threads and --seed), plus two small subsets that check the
# small-corpus recipe (docs/training.md): Resume NER's first 500 training sentences and CTB6's
# first 1,000, three seeds each, with the full dev and test sets. Writes one JSON per row under
# OUT and OUT/table.md, the rows beside the best tuned recipes' figures (docs/benchmarks.md).
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_defaults.sh [ROW...]
#   ROW: pku msr ctb6 weibo resume msra-ner resume500 ctb1000 (default: all of them);
#        "small" for the two subsets only, "table" to rewrite the table from the JSON files.
# Env: THREADS (torch threads per run, 1), WORK (models and logs, runs/defaults), OUT
# (results/defaults), SEEDS (seeds of the subsets, "1 2 3"), EXTRA (options added to the
# subsets' `tagger train`, for a variant of the defaults). Runs go one after another.
# The subsets with skip-gram vectors forced on (the measurement behind the recipe's 50,000-
# character threshold for them): EXTRA=--vectors WORK=runs/vec OUT=results/defaults/vectors
#   scripts/recipes/train_defaults.sh small
# The big rows take 10-60 minutes each on one CPU thread; the subsets 1-5 minutes a seed.
set -euo pipefail
: "${TAGGER_CORPORA:?set TAGGER_CORPORA to the corpora folder}"
THREADS=${THREADS:-1}
WORK=${WORK:-runs/defaults}
OUT=${OUT:-results/defaults}
SEEDS=${SEEDS:-1 2 3}
C=$TAGGER_CORPORA
ROWS=${*:-pku msr ctb6 weibo resume msra-ner resume500 ctb1000}
ROWS=${ROWS/small/resume500 ctb1000}
mkdir -p "$WORK" "$OUT"

subset() {  # subset ROW -> "TRAIN DEV TEST", the training file cut from the corpus once
  case $1 in
    resume500)
      [ -f "$WORK/resume500.bmes" ] || awk 'BEGIN { RS = ""; ORS = "\n\n" } NR <= 500' \
          "$C/resume_ner/train.char.bmes" > "$WORK/resume500.bmes"
      echo "$WORK/resume500.bmes $C/resume_ner/dev.char.bmes $C/resume_ner/test.char.bmes" ;;
    ctb1000)
      [ -f "$WORK/ctb1000.seg" ] || head -n 1000 "$C/ctb6/ctb6.train.seg" > "$WORK/ctb1000.seg"
      echo "$WORK/ctb1000.seg $C/ctb6/ctb6.dev.seg $C/ctb6/ctb6.test.seg" ;;
  esac
}

run_subset() {  # train and score every seed of a subset; the JSON is collected by `table`
  local row=$1 train dev test
  read -r train dev test <<< "$(subset "$row")"
  for seed in $SEEDS; do
    local model=$WORK/$row.seed$seed.model
    tagger train "$train" --dev "$dev" -o "$model" --threads "$THREADS" --seed "$seed" --no-plot ${EXTRA:-} \
        > "${model%.model}.log" 2>&1
    tagger evaluate "$model" "$test" --json "${model%.model}.test.json" --threads "$THREADS" > /dev/null
  done
}

run_benchmark() {  # one seed of a shared benchmark; its test score is in the model's metadata
  python -m scripts.recipes.seeds "$1" --seeds 1 --workdir "$WORK" --threads "$THREADS" --label defaults \
      --json "$OUT/$1.json"
}

for row in $ROWS; do
  case $row in
    resume500|ctb1000) run_subset "$row" ;;
    pku|msr|ctb6|weibo|resume|msra-ner) run_benchmark "$row" ;;
    table) ;;
    *) echo "unknown row $row" >&2; exit 2 ;;
  esac
done

python - "$WORK" "$OUT" "$SEEDS" <<'EOF'
"""Collect the subsets' runs into OUT/ROW.json and write OUT/table.md from every row's JSON."""
import glob, json, os, statistics, sys
from tagger.modelio import read_metadata

work, out, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split()
TUNED = {"pku": 0.9562, "msr": 0.9702, "ctb6": 0.9629, "weibo": 0.9506, "resume": 0.9453, "msra-ner": 0.9176}
TARGET = {"pku": 0.9540, "msr": 0.9680, "ctb6": 0.9610, "weibo": 0.9480, "resume": 0.9420, "msra-ner": 0.9130,
          "resume500": 0.890, "ctb1000": 0.850}
FIXED = {"resume500": 0.8747, "ctb1000": 0.8235}  # the large-corpus settings at every size, test F1

def mean_std(values):
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}

for row in ("resume500", "ctb1000"):
    runs = []
    for seed in seeds:
        model = os.path.join(work, f"{row}.seed{seed}.model")
        scores = model[:-len(".model")] + ".test.json"
        if not (os.path.exists(model) and os.path.exists(scores)):
            continue
        meta = read_metadata(model)["metadata"]
        with open(scores, encoding="utf-8") as handle:
            test = json.load(handle)
        runs.append({"seed": int(seed), "dev_f1": meta["dev_f1"], "f1": test["f1"], "best_epoch": meta["best_epoch"],
                     "minutes": meta["train_minutes"], "recipe": meta.get("recipe", {}).get("line")})
    if runs:
        summary = {"dev_f1": mean_std([r["dev_f1"] for r in runs]), "f1": mean_std([r["f1"] for r in runs]),
                   "minutes": mean_std([r["minutes"] for r in runs])}
        with open(os.path.join(out, f"{row}.json"), "w", encoding="utf-8") as handle:
            json.dump({"corpus": row, "label": "defaults", "runs": runs, "summary": summary}, handle, indent=2,
                      ensure_ascii=False)

lines = ["| benchmark | seeds | dev F1 | test F1 (defaults) | target | best tuned recipe | large-corpus settings | min / run |",
         "|---|---|---|---|---|---|---|---|"]
for row in TARGET:
    path = os.path.join(out, f"{row}.json")
    if not os.path.exists(path):
        continue
    with open(path, encoding="utf-8") as handle:
        result = json.load(handle)
    s = result["summary"]
    fmt = lambda key: f"{s[key]['mean']:.4f} ± {s[key]['std']:.4f}" if key in s else ""
    lines.append(f"| {row} | {len(result['runs'])} | {fmt('dev_f1')} | **{fmt('f1')}** | {TARGET[row]:.4f} | "
                 f"{TUNED.get(row, '')} | {FIXED.get(row, '')} | {s['minutes']['mean']:.1f} |")
with open(os.path.join(out, "table.md"), "w", encoding="utf-8") as handle:
    handle.write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
