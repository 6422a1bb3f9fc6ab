#!/usr/bin/env bash
# Train the single-corpus PKU model (`pku-single` in results/crossdomain/): the open-setting PKU
# recipe. The shipped default model is multi-criteria: scripts/recipes/train_multi.sh.
#
# PKU benchmark, open setting: PD 1998-01 (the PKU training text) plus jieba's dictionary as
# features (training words enter the dictionary jackknifed); dev = every 20th paragraph (carved,
# deterministic), test = SIGHAN 2005 PKU gold (reported, never used to select).
# A small network (64-dim characters, 32-dim bigrams, 128 LSTM units per direction) chosen for
# speed, with dev F1 equal to the 200-unit network's; its character and bigram embeddings start
# from skip-gram vectors pretrained on the training text (the configuration with the best dev F1
# of the PKU open rows; scripts/data/pretrain_embeddings.py makes them once under VECTORS and
# needs gensim: pip install ".[embeddings]"). See docs/benchmarks.md.
# The pku-single model is seed 1 of `scripts/recipes/ablation_cpu.sh pku openemb` (CPU, one
# thread, 15.3 minutes), which runs this same recipe. The test scores go to JSON (default
# results/models/pku-single/pku.json).
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_default.sh [OUTPUT] [THREADS] [DEVICE]
set -euo pipefail
OUTPUT=${1:-runs/pku-single.model}
THREADS=${2:-2}
DEVICE=${3:-cpu}
VECTORS=${VECTORS:-runs/ablation/pku.skipgram}
if [ ! -f "$VECTORS.bigrams.vec" ]; then
  mkdir -p "$(dirname "$VECTORS")"
  python -m scripts.data.pretrain_embeddings pku -o "$VECTORS" --char-dim 64 --bigram-dim 32 --threads 1
fi
tagger train pku -o "$OUTPUT" \
    --char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 \
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --seed 1 \
    --dictionary jieba,train --char-vectors "$VECTORS.chars.vec" --bigram-vectors "$VECTORS.bigrams.vec" \
    --max-minutes 40 --threads "$THREADS" --device "$DEVICE" --half
tagger evaluate "$OUTPUT" pku --json "${JSON:-results/models/pku-single/pku.json}"
