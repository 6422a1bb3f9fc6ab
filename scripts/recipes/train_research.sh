#!/usr/bin/env bash
# A research model, never shipped: the multi-criteria recipe of scripts/recipes/train_multi.sh with CTB6
# (an LDC corpus: evaluation and research only) as a fifth corpus and standard. It reuses the
# skip-gram vectors of the four shipped corpora (train_multi.sh makes them). Each named corpus's
# test set is scored at the end with its own standard (`tagger info OUTPUT`, "tests").
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_research.sh [OUTPUT] [THREADS] [SEED] [MINUTES]
set -euo pipefail
OUTPUT=${1:-runs/research/research.model}
THREADS=${2:-1}
SEED=${3:-1}
MINUTES=${4:-80}
VECTORS=${VECTORS:-runs/multi/skipgram}
mkdir -p "$(dirname "$OUTPUT")"
tagger train pku,msr,weibo,ud,ctb6 -o "$OUTPUT" \
    --char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 --bigram-min-count 4 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed "$SEED" \
    --dictionary jieba,train --char-vectors "$VECTORS.chars.vec" --bigram-vectors "$VECTORS.bigrams.vec" \
    --max-minutes "$MINUTES" --threads "$THREADS" --half
