#!/usr/bin/env bash
# The default recipe on the MSR benchmark: train on the MSRA NER text (dev = every 20th
# sentence), test on the SIGHAN 2005 MSR gold. The model is not shipped; it checks that the
# recipe carries over to another segmentation standard.
#
#   TAGGER_CORPORA=../shared/corpora scripts/train_msr.sh [OUTPUT] [THREADS]
set -euo pipefail
OUTPUT=${1:-msr.model}
THREADS=${2:-2}
tagger train msr -o "$OUTPUT" \
    --char-dim 100 --bigram-dim 50 --hidden 200 --layers 1 --dropout 0.2 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed 1 \
    --dictionary jieba,train --max-minutes 52 --threads "$THREADS"
tagger evaluate "$OUTPUT" msr --json "${OUTPUT%.model}.msr.json"
