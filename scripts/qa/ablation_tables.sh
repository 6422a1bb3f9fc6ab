#!/usr/bin/env bash
# The CPU ablation tables of docs/benchmarks.md, one per benchmark, from the JSON files that
# scripts/ablation_cpu.sh wrote under docs/ablation/ (rows not run yet are left out), and the rows
# that ran on a lent GPU (scripts/gpu_session.sh SET=3 and SET=4, docs/gpu/BENCH-ROW.json; their
# minutes are GPU wall time with 3-15 trainings sharing the GPU, not CPU time). A benchmark's
# table also takes the rows run on its aligned training text (pku-aligned, corpora/README.md).
# Writes docs/ablation_BENCH_cpu.json (rows with their runs) and prints the Markdown tables.
#
#   scripts/ablation_tables.sh [BENCH...]        (default: pku ctb6 weibo msr)
set -euo pipefail
declare -A LABEL=(
  [base]="closed: character + bigram embeddings, softmax + constrained Viterbi (base)"
  [dict]="closed: base + dictionary of the training words (jackknifed)"
  [emb]="closed: dict + skip-gram vectors from the training text"
  [emb200]="closed: emb with 100/50-dim embeddings and 200 units"
  [nocls]="closed: dict without digit/letter classes"
  [crf]="closed: dict + CRF layer"
  [layers2]="closed: dict with 2 BiLSTM layers"
  [drop35]="closed: dict with dropout 0.35"
  [dropemb35]="closed: dict with dropout 0.35 on the embeddings only"
  [droplstm35]="closed: dict with dropout 0.35 on the LSTM output only"
  [bmin1]="closed: dict with every training bigram (min count 1)"
  [batch1k]="closed: dict with 1,000-character batches"
  [lrconst]="closed: dict with a constant learning rate"
  [ema]="closed: dict, moving average of the weights (decay 0.999)"
  [emb200d35]="closed: emb200 with dropout 0.35"
  [embl2d35]="closed: emb with 2 BiLSTM layers and dropout 0.35"
  [embl2d35unk]="closed: embl2d35 with 10% of the bigrams replaced by <unk> while training"
  [emb200l2d35]="closed: emb200 with 2 BiLSTM layers and dropout 0.35"
  [openembl2d35]="open: openemb with 2 BiLSTM layers and dropout 0.35"
  [emb200ema]="closed: emb200 + moving average of the weights"
  [open]="open: dict + jieba's dictionary (the recipe shipped in sessions 3-6)"
  [openemb]="open: open + the emb row's vectors (**shipped** since session 7)"
)
ORDER="base dict emb emb200 emb200d35 emb200ema embl2d35 embl2d35unk emb200l2d35 nocls crf layers2 drop35 dropemb35 droplstm35 bmin1 batch1k lrconst ema open openemb openembl2d35"
# GPU rows: BENCH-ROW -> the gpu_session.sh SET that ran it (docs/gpu/ holds other runs too)
declare -A GPUSET=([pku-embl2d35]=3 [msr-embl2d35]=3 [weibo-emb200l2d35]=3 [msr-emb200l2d35]=4)
for BENCH in ${*:-pku ctb6 weibo msr}; do
  ROWS=()
  for SOURCE in "$BENCH" "$BENCH-aligned"; do  # the benchmark's rows, then those on its aligned text
    NOTE=""
    if [ "$SOURCE" != "$BENCH" ]; then NOTE=", text aligned to the bakeoff word list"; fi
    for ROW in $ORDER; do
      FILE="docs/ablation/$SOURCE-$ROW.json"
      GPU="docs/gpu/$SOURCE-$ROW.json"
      if [ -f "$FILE" ]; then
        ROWS+=(--row "${LABEL[$ROW]}$NOTE (\`scripts/ablation_cpu.sh $SOURCE $ROW\`)=$FILE")
      elif [ -n "${GPUSET[$SOURCE-$ROW]:-}" ] && [ -f "$GPU" ]; then
        ROWS+=(--row "${LABEL[$ROW]}$NOTE, **GPU** (\`SET=${GPUSET[$SOURCE-$ROW]} scripts/gpu_session.sh\`)=$GPU")
      fi
    done
  done
  [ ${#ROWS[@]} -eq 0 ] && continue
  echo "### $BENCH"
  python scripts/ablation_table.py "${ROWS[@]}" --json "docs/ablation_${BENCH}_cpu.json"
  echo
done
