#!/usr/bin/env bash
# Distill the shipped fast model, tagger/data/fast.model, from the shipped default model
# (tagger/data/default.model, scripts/recipes/train_multi.sh): a dilated CNN student
# (tagger/idcnn.py: 32-dim characters, 16-dim right bigrams, the teacher's dictionary bits,
# 48 channels, dilations 1,2,4, a standard vector and a whole-text vector at every step) learns
# the teacher's per-character tag distributions on the teacher's training text (the train parts
# of pku, msr, weibo and ud; their dev parts pick the epoch; no test text), each sentence read
# with its corpus's standard or with `mixed`, drawn at random each epoch. docs/speed.md.
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_fast.sh [OUTPUT] [THREADS] [SEED] [MINUTES]
#
# One thread: 2-6 minutes for the teacher pass, then 60-80 s an epoch (13-25 epochs).
# CACHE keeps the teacher pass (about 220 MB) for reruns with other students.
set -euo pipefail
OUTPUT=${1:-runs/fast/fast.model}  # then copied to tagger/data/fast.model
THREADS=${2:-1}
SEED=${3:-1}
MINUTES=${4:-40}
CACHE=${CACHE:-runs/fast/teacher_pass.npz}
mkdir -p "$(dirname "$OUTPUT")" "$(dirname "$CACHE")"
tagger distill tagger/data/default.model -o "$OUTPUT" \
    --network idcnn --char-dim 32 --bigram-dim 16 --channels 48 --dilations 1,2,4 \
    --dropout 0.1 --batch-chars 3000 --lr 2e-3 --epochs 40 --patience 4 --mixed-share 0.5 \
    --seed "$SEED" --max-minutes "$MINUTES" --threads "$THREADS" --cache "$CACHE"
python -m tagger evaluate "$OUTPUT" pku
