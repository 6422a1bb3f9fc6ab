#!/usr/bin/env bash
# Train the joint segmentation + POS model shipped in tagger/data/pos.model (`tagger segment --pos`).
#
# PD 1998-01 with its POS tags (the `pd1998` corpus: dev = paragraphs i % 20 == 19;
# test = paragraphs i % 20 == 9, carved and never used to select; see corpora/README.md).
# Tags are typed BMES (B-v, E-v, S-n, ...). The shipped segmenter's small network (64-dim
# characters, 32-dim bigrams, 128 LSTM units per direction, weights stored as float16), with
# dictionary features from the training words only (jackknifed), so the file stays small: jieba's
# 349k-word dictionary would add about 5 MB for a model whose training text is the same.
#
# The test scores go to JSON (default results/models/pos/pd1998.json).
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_pos_model.sh [OUTPUT] [THREADS] [DEVICE]
#   scripts/recipes/train_pos_model.sh --print-args   (the training options alone: train_tagging.sh
#                                                      pos-small runs this same recipe over several seeds)
set -euo pipefail
RECIPE="--task pos --char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2
    --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --dictionary train --max-minutes 45 --half"
if [ "${1:-}" = --print-args ]; then echo $RECIPE; exit 0; fi  # unquoted: one line
OUTPUT=${1:-tagger/data/pos.model}
THREADS=${2:-2}
DEVICE=${3:-cpu}
# shellcheck disable=SC2086
tagger train pd1998 -o "$OUTPUT" $RECIPE --seed 1 --threads "$THREADS" --device "$DEVICE" --quiet
tagger evaluate "$OUTPUT" pd1998 --json "${JSON:-results/models/pos/pd1998.json}"
