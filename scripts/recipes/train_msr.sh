#!/usr/bin/env bash
# The default recipe (scripts/train_default.sh: 64/32-dim embeddings, 128 units, jieba + training
# words as dictionary features) on the MSR benchmark: train on the MSRA NER text (dev = every
# 20th sentence), test on the SIGHAN 2005 MSR gold. The model is not shipped; it checks that the
# recipe carries over to another segmentation standard. (The figures of the previous, 200-unit
# recipe came from --char-dim 100 --bigram-dim 50 --hidden 200.)
#
#   TAGGER_CORPORA=../shared/corpora scripts/train_msr.sh [OUTPUT] [THREADS] [DEVICE]
set -euo pipefail
OUTPUT=${1:-msr.model}
THREADS=${2:-2}
DEVICE=${3:-cpu}
tagger train msr -o "$OUTPUT" \
    --char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed 1 \
    --dictionary jieba,train --max-minutes 52 --threads "$THREADS" --device "$DEVICE" --half
tagger evaluate "$OUTPUT" msr --json "${OUTPUT%.model}.msr.json"
