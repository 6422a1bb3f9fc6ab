#!/usr/bin/env bash
# Train the default model shipped in tagger/data/default.model.
#
# Closed setting: PD 1998-01 only (the PKU benchmark's training text), dev = every 20th
# paragraph (carved, deterministic), test = SIGHAN 2005 PKU gold (reported, never used to select).
# Needs TAGGER_CORPORA pointing at the corpora directory. Budget: under 60 minutes on 2 CPU cores.
#
#   TAGGER_CORPORA=../shared/corpora scripts/train_default.sh [OUTPUT] [THREADS]
set -euo pipefail
OUTPUT=${1:-tagger/data/default.model}
THREADS=${2:-2}
tagger train pku -o "$OUTPUT" \
    --char-dim 100 --bigram-dim 50 --hidden 200 --layers 1 --dropout 0.2 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed 1 \
    --dictionary jieba,train --max-minutes 52 --threads "$THREADS" --half
tagger evaluate "$OUTPUT" pku --json "${OUTPUT%.model}.pku.json"
