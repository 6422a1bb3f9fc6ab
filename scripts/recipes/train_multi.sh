#!/usr/bin/env bash
# Train the default model shipped in tagger/data/default.model, a multi-criteria model: one network over four corpora, each a segmentation
# standard (PD 1998-01 = pku, MSRA-NER text = msr, NLPCC 2016 Weibo = weibo, UD Chinese = ud),
# plus the `mixed` standard learned from a tenth of every corpus (tagger/train.py). CTB6 is an
# LDC corpus and is never in this recipe. jieba's dictionary and the corpora's own words
# (jackknifed) are dictionary features; skip-gram vectors pretrained on the four training texts
# start the embeddings. The network is the size of the single-corpus model (64-dim characters,
# 32-dim bigrams, 128 LSTM units per direction), so it segments as fast.
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_multi.sh [OUTPUT] [THREADS] [SEED] [MINUTES]
set -euo pipefail
OUTPUT=${1:-runs/multi/multi.model}  # then copied to tagger/data/default.model
THREADS=${2:-1}
SEED=${3:-1}
MINUTES=${4:-80}
VECTORS=${VECTORS:-runs/multi/skipgram}
mkdir -p "$(dirname "$OUTPUT")" "$(dirname "$VECTORS")"
if [ ! -f "$VECTORS.bigrams.vec" ]; then
  python -m scripts.data.pretrain_embeddings pku msr weibo ud -o "$VECTORS" --char-dim 64 --bigram-dim 32 \
      --threads "$THREADS"
fi
tagger train pku,msr,weibo,ud -o "$OUTPUT" \
    --char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 --bigram-min-count 4 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed "$SEED" \
    --dictionary jieba,train --char-vectors "$VECTORS.chars.vec" --bigram-vectors "$VECTORS.bigrams.vec" \
    --max-minutes "$MINUTES" --threads "$THREADS" --half
