#!/usr/bin/env bash
# Recipes for the tagging benchmarks: NER (Resume, MSRA, CoNLL-2003 English) and joint
# segmentation + POS (UD Chinese, PD 1998). Each runs scripts/recipes/seeds.py (test scores from
# the model metadata, mean ± std over seeds) and writes results/tagging/CORPUS/NAME.json.
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/train_tagging.sh NAME [SEEDS...]
#   NAME: resume | msra-ner | conll2003 | ud-pos | pd1998 | pos-small, optionally followed by -vec, -l2, -crf
#         and -ema in that order (resume-vec, resume-vec-l2, resume-vec-crf, resume-vec-ema, msra-ner-vec, ...)
# pos-small is the recipe of the shipped POS model (scripts/recipes/train_pos_model.sh, corpus pd1998).
# -l2 stacks 2 BiLSTM layers (a dev gain of the segmentation study, docs/benchmarks.md).
# -crf adds a CRF layer (trained on the sequence likelihood, Viterbi-decoded) to the recipe; -ema
# scores and keeps a moving average of the weights (--ema, decay per step: EMA, default 0.995).
# The -vec recipes start the character and bigram embeddings from skip-gram vectors pretrained on
# the training text of pku, msr, weibo and resume (never a test set; CTB6 left out: LDC data, not
# for shipped models); scripts/data/pretrain_embeddings.py makes them once under $WORK.
# EXTRA="--opt value ..." appends options to the recipe (a later option wins), for study rows that
# change one thing; RUN=LABEL names such a row (its workdir and results/tagging/CORPUS/LABEL.json), e.g.
# RUN=resume-vec-b500 EXTRA="--batch-chars 500" scripts/recipes/train_tagging.sh resume-vec
# JSON=FILE writes the summary elsewhere: seeds run as separate jobs go to
# results/tagging/CORPUS/LABEL/seedN.json (or seedsA-B.json) and are merged with seeds.py --collect.
# Runs go one after another with one torch thread each (start two NAMEs side by side for two cores).
# --print-args BASE prints a base recipe's options and exits (scripts/recipes/gpu_batch.sh reads them).
set -euo pipefail
PRINT=""
if [ "${1:-}" = --print-args ]; then PRINT=1; shift; fi
NAME=$1; shift
SEEDS=${*:-1 2 3}
WORK=${WORK:-runs/tagging}
BASE=$NAME; ADD=""; CORPUS=""  # CORPUS: set by a recipe whose name is not its corpus
for SUFFIX in ema crf l2 vec; do  # resume-vec-crf -> resume, with "crf vec" to add
  if [[ "$BASE" == *-$SUFFIX ]]; then BASE=${BASE%-"$SUFFIX"}; ADD="$ADD $SUFFIX"; fi
done
case "$BASE" in
  resume)    ARGS="--dictionary jieba --dropout 0.5 --batch-chars 1000 --bigram-min-count 2 --epochs 60 --patience 8 --lr-patience 2 --max-minutes 15" ;;
  msra-ner)  ARGS="--dictionary jieba --dropout 0.3 --epochs 30 --patience 4 --max-minutes 30" ;;
  conll2003) ARGS="--units words --char-dim 100 --dropout 0.5 --unk-dropout 0.05 --batch-chars 1000 --epochs 40 --patience 6 --max-minutes 25" ;;
  ud-pos)    ARGS="--dictionary jieba,train --dropout 0.3 --batch-chars 1500 --bigram-min-count 2 --epochs 40 --patience 6 --max-minutes 15" ;;
  pd1998)    ARGS="--char-dim 100 --bigram-dim 50 --hidden 200 --layers 1 --dictionary jieba,train --dropout 0.2 --epochs 30 --patience 4 --max-minutes 35" ;;
  pos-small) CORPUS=pd1998; ARGS=$(scripts/recipes/train_pos_model.sh --print-args) ;;  # the shipped POS recipe
  *) echo "unknown benchmark $NAME" >&2; exit 2 ;;
esac
if [ -n "$PRINT" ]; then echo "$ARGS"; exit 0; fi
if [[ "$ADD" == *vec* ]]; then  # the base recipe, its embeddings started from pretrained vectors
  VECTORS=$WORK/open.skipgram
  if [ ! -f "$VECTORS.bigrams.vec" ]; then
    mkdir -p "$WORK"
    python -m scripts.data.pretrain_embeddings pku msr weibo resume -o "$VECTORS" --char-dim 100 --bigram-dim 50 --threads 1
  fi
  ARGS="$ARGS --char-vectors $VECTORS.chars.vec --bigram-vectors $VECTORS.bigrams.vec"
fi
if [[ "$ADD" == *l2* ]]; then ARGS="$ARGS --layers 2"; fi
if [[ "$ADD" == *crf* ]]; then ARGS="$ARGS --crf"; fi
if [[ "$ADD" == *ema* ]]; then ARGS="$ARGS --ema ${EMA:-0.995}"; fi
ARGS="$ARGS ${EXTRA:-}"
# shellcheck disable=SC2086
python -m scripts.recipes.seeds "${CORPUS:-$BASE}" --seeds $SEEDS --workdir "$WORK/${RUN:-$NAME}" --threads 1 \
    --json "${JSON:-results/tagging/${CORPUS:-$BASE}/${RUN:-$NAME}.json}" -- $ARGS --quiet
