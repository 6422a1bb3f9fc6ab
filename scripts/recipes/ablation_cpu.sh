#!/usr/bin/env bash
# The segmentation ablation rows on the 2-core CPU machine: one benchmark, one configuration, seeds
# run one after another with one torch thread (start two of these side by side for two cores;
# PARALLEL=N runs N seeds at once instead).
# Every row uses the shipped model's small network (64-dim characters, 32-dim bigrams, 128 LSTM
# units) and changes one ingredient. Writes results/ablation/BENCH/ROW.json (scripts/recipes/seeds.py);
# scripts/qa/ablation_tables.sh turns those files into the tables of docs/benchmarks.md.
#
#   TAGGER_CORPORA=/work/shared/corpora scripts/recipes/ablation_cpu.sh BENCH ROW [SEEDS...]
#   BENCH: pku | pku-aligned | msr | ctb6 | weibo
#   ROW:   base   closed: character + bigram embeddings, softmax + constrained Viterbi
#          dict   closed: base + dictionary features from the training words (jackknifed)
#          emb    closed: dict + character/bigram embeddings pretrained (skip-gram) on the
#                 benchmark's own training text (scripts/data/pretrain_embeddings.py)
#          emb200 closed: emb with the larger network (100/50-dim embeddings, 200 units)
#          open   open:   dict + jieba's dictionary
#          openemb open:  open + the emb row's vectors (the pku-single recipe, scripts/recipes/train_default.sh)
#          nocls  closed: dict without digit/Latin-letter classes (--no-classes)
#          crf    closed: dict + CRF layer
#          layers2  closed: dict with 2 stacked BiLSTM layers
#          drop35   closed: dict with dropout 0.35 (embeddings and LSTM output) instead of 0.2
#          dropemb35  closed: dict with dropout 0.35 on the embeddings only (LSTM output 0.2)
#          droplstm35 closed: dict with dropout 0.35 on the LSTM output only (embeddings 0.2)
#          bmin1    closed: dict with every training bigram in the vocabulary (min count 1, not 3)
#          batch1k  closed: dict with 1,000-character batches instead of 3,000
#          lrconst  closed: dict with a constant learning rate (base: halved whenever dev F1 stalls)
#          ema      closed: dict, scoring and keeping a moving average of the weights (decay 0.999)
#          emb200ema closed: emb200 + the moving average
#          emb200d35 closed: emb200 with dropout 0.35
#          embl2d35  closed: emb with 2 BiLSTM layers and dropout 0.35 (the two dev gains of the study)
#          embl2d35unk closed: embl2d35 with 10% of the bigram ids replaced by <unk> while training
#          emb200l2d35 closed: emb200 with 2 BiLSTM layers and dropout 0.35 (Weibo's and MSR's best dev)
#          openembl2d35 open: openemb with 2 BiLSTM layers and dropout 0.35
# JSON=FILE writes the summary elsewhere: seeds of one row run as separate jobs go to
# results/ablation/BENCH/ROW/seedN.json, merged into ROW.json with scripts/recipes/seeds.py --collect.
#   scripts/recipes/ablation_cpu.sh --print-net   (the small network's options alone, without a
#                                 time budget: scripts/recipes/gpu_batch.sh takes them from here)
set -euo pipefail
shopt -s inherit_errexit  # a failed pretraining inside $(vectors ...) stops the script
SMALL_NET="--char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4 --half"
if [ "${1:-}" = --print-net ]; then echo "$SMALL_NET"; exit 0; fi
BENCH=$1; ROW=$2; shift 2
SEEDS=${*:-1 2 3}
WORK=${WORK:-runs/ablation}
MINUTES=${MINUTES:-40}
NET="$SMALL_NET --max-minutes $MINUTES"
mkdir -p "$WORK/$BENCH-$ROW"
vectors() {  # PREFIX CHAR_DIM BIGRAM_DIM: the benchmark's own training text only (closed); prints the options
  [ -f "$1.bigrams.vec" ] || python -m scripts.data.pretrain_embeddings "$BENCH" -o "$1" \
      --char-dim "$2" --bigram-dim "$3" --threads 1 >&2
  echo "--char-vectors $1.chars.vec --bigram-vectors $1.bigrams.vec"
}
emb200() {  # the emb200 row's options, which its variants extend
  local vec; vec=$(vectors "$WORK/$BENCH.skipgram100" 100 50)  # an assignment, so a failure stops the script
  echo "--dictionary train $vec --char-dim 100 --bigram-dim 50 --hidden 200"
}
case "$ROW" in
  base)  EXTRA="" ;;
  dict)  EXTRA="--dictionary train" ;;
  emb)   EXTRA="--dictionary train $(vectors "$WORK/$BENCH.skipgram" 64 32)" ;;
  emb200) EXTRA=$(emb200) ;;
  open)  EXTRA="--dictionary jieba,train" ;;
  openemb) EXTRA="--dictionary jieba,train $(vectors "$WORK/$BENCH.skipgram" 64 32)" ;;
  nocls) EXTRA="--dictionary train --no-classes" ;;
  crf)   EXTRA="--dictionary train --crf" ;;
  layers2) EXTRA="--dictionary train --layers 2" ;;
  drop35)  EXTRA="--dictionary train --dropout 0.35" ;;
  dropemb35)  EXTRA="--dictionary train --embed-dropout 0.35" ;;
  droplstm35) EXTRA="--dictionary train --lstm-dropout 0.35" ;;
  bmin1)   EXTRA="--dictionary train --bigram-min-count 1" ;;
  batch1k) EXTRA="--dictionary train --batch-chars 1000" ;;
  lrconst) EXTRA="--dictionary train --lr-patience 1000" ;;
  ema)     EXTRA="--dictionary train --ema 0.999" ;;
  emb200d35) EXTRA="$(emb200) --dropout 0.35" ;;
  embl2d35)  EXTRA="--dictionary train $(vectors "$WORK/$BENCH.skipgram" 64 32) --layers 2 --dropout 0.35" ;;
  embl2d35unk) EXTRA="--dictionary train $(vectors "$WORK/$BENCH.skipgram" 64 32) --layers 2 --dropout 0.35 --unk-dropout 0.1" ;;
  emb200l2d35) EXTRA="$(emb200) --layers 2 --dropout 0.35" ;;
  openembl2d35) EXTRA="--dictionary jieba,train $(vectors "$WORK/$BENCH.skipgram" 64 32) --layers 2 --dropout 0.35" ;;
  emb200ema) EXTRA="$(emb200) --ema 0.999" ;;
  *) echo "unknown row $ROW" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
python -m scripts.recipes.seeds "$BENCH" --seeds $SEEDS --workdir "$WORK/$BENCH-$ROW" --threads 1 \
    --parallel "${PARALLEL:-1}" --label "$BENCH $ROW" --json "${JSON:-results/ablation/$BENCH/$ROW.json}" \
    -- $NET $EXTRA --quiet
