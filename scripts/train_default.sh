#!/usr/bin/env bash
# Train the default model shipped in tagger/data/default.model.
#
# PKU benchmark, open setting: PD 1998-01 (the PKU training text) plus jieba's dictionary as
# features (training words enter the dictionary jackknifed); dev = every 20th paragraph (carved,
# deterministic), test = SIGHAN 2005 PKU gold (reported, never used to select).
# A small network (64-dim characters, 32-dim bigrams, 128 LSTM units per direction) chosen for
# speed (issue 6) with dev F1 equal to the 200-unit network's: see docs/benchmarks.md.
# The shipped file was trained with DEVICE=cuda on a lent GPU (scripts/gpu_session.sh, seed 1,
# 1.4 minutes); on the 2-core CPU machine the same recipe runs about half an hour.
#
#   TAGGER_CORPORA=../shared/corpora scripts/train_default.sh [OUTPUT] [THREADS] [DEVICE]
set -euo pipefail
OUTPUT=${1:-tagger/data/default.model}
THREADS=${2:-2}
DEVICE=${3:-cpu}
tagger train pku -o "$OUTPUT" \
    --char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed 1 \
    --dictionary jieba,train --max-minutes 52 --threads "$THREADS" --device "$DEVICE" --half
tagger evaluate "$OUTPUT" pku --json "${OUTPUT%.model}.pku.json"
