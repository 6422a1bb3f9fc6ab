#!/usr/bin/env bash
# The single-corpus PKU network (scripts/recipes/train_default.sh: 64/32-dim embeddings, 128 units,
# jieba + training words as dictionary features), without pretrained vectors, on the MSR
# benchmark: train on the MSRA NER text (dev = every 20th sentence), test on the SIGHAN 2005 MSR
# gold. The model is not shipped; it checks that the recipe carries over to another segmentation
# standard. The test scores go to JSON (default results/models/msr-h128/msr.json). The 200-unit
# rows of docs/benchmarks.md (results/models/msr-h200-*) used --char-dim 100 --bigram-dim 50
# --hidden 200.
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_msr.sh [OUTPUT] [THREADS] [DEVICE]
set -euo pipefail
OUTPUT=${1:-msr.model}
THREADS=${2:-2}
DEVICE=${3:-cpu}
tagger train msr -o "$OUTPUT" \
    --char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed 1 \
    --dictionary jieba,train --max-minutes 52 --threads "$THREADS" --device "$DEVICE" --half
tagger evaluate "$OUTPUT" msr --json "${JSON:-results/models/msr-h128/msr.json}"
