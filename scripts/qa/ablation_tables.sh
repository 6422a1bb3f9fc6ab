#!/usr/bin/env bash
# The ablation tables of docs/benchmarks.md, from the JSON files scripts/recipes/seeds.py wrote.
# A benchmark's table (pku, ctb6, weibo, msr) takes its CPU rows, results/ablation/BENCH/ROW.json
# (scripts/recipes/ablation_cpu.sh BENCH ROW; rows not run are left out), the rows run on its
# aligned training text (pku-aligned, corpora/README.md), and the rows that ran on a lent GPU
# (scripts/recipes/gpu_batch.sh SET=3 and SET=4, results/ablation-gpu/BENCH/ROW.json; their
# minutes are GPU wall time with 3-15 trainings sharing the GPU, not CPU time). It writes
# results/ablation/BENCH/table.json (rows with their runs) and prints the Markdown table.
# pku-gpu is the PKU table run on the GPU (SET=1 and SET=2, results/ablation-gpu/pku/table.json);
# tagging-gpu the NER rows with a CRF layer (SET=1, results/tagging-gpu/table.json).
#
#   scripts/qa/ablation_tables.sh [BENCH...]     (default: pku ctb6 weibo msr pku-gpu tagging-gpu)
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
  [open]="open: dict + jieba's dictionary"
  [openemb]="open: open + the emb row's vectors (the pku-single recipe)"
)
ORDER="base dict emb emb200 emb200d35 emb200ema embl2d35 embl2d35unk emb200l2d35 nocls crf layers2 drop35 dropemb35 droplstm35 bmin1 batch1k lrconst ema open openemb openembl2d35"
# GPU rows: BENCH-ROW -> the gpu_batch.sh SET that ran it (results/ablation-gpu/ holds other runs too)
declare -A GPUSET=([pku-embl2d35]=3 [msr-embl2d35]=3 [weibo-emb200l2d35]=3 [msr-emb200l2d35]=4)
G=results/ablation-gpu/pku
T=results/tagging-gpu
for BENCH in ${*:-pku ctb6 weibo msr pku-gpu tagging-gpu}; do
  ROWS=()
  case $BENCH in
    pku-gpu)
      echo "### $BENCH"
      python -m scripts.qa.ablation_table \
          --row "closed: char + bigram embeddings, 200 units, softmax + constrained Viterbi (base)=$G/closed.json" \
          --row "closed: base without bigram embeddings=$G/closed-nobigram.json" \
          --row "closed: base + CRF layer (\`--crf\`)=$G/closed-crf.json" \
          --row "closed: base + dictionary of the training words (jackknifed, \`--dictionary train\`)=$G/closed-dict.json" \
          --row "open: base + jieba dictionary + training words (\`--dictionary jieba,train\`)=$G/open.json" \
          --row "open: as above, 128 units (100/50-dim embeddings)=$G/open-h128.json" \
          --row "open: as above, 128 units, 64/32-dim embeddings=$G/open-h128-e64/seed1.json+$G/open-h128-e64/seeds2-3.json" \
          --json "$G/table.json"
      echo; continue ;;
    tagging-gpu)
      echo "### $BENCH"
      python -m scripts.qa.ablation_table --row "Resume CRF=$T/resume/resume-d04-crf.json" \
          --row "MSRA CRF=$T/msra-ner/msra-ner-crf-6min.json" --json "$T/table.json"
      echo; continue ;;
  esac
  for SOURCE in "$BENCH" "$BENCH-aligned"; do  # the benchmark's rows, then those on its aligned text
    NOTE=""
    if [ "$SOURCE" != "$BENCH" ]; then NOTE=", text aligned to the bakeoff word list"; fi
    for ROW in $ORDER; do
      FILE="results/ablation/$SOURCE/$ROW.json"
      GPU="results/ablation-gpu/$SOURCE/$ROW.json"
      if [ -f "$FILE" ]; then
        ROWS+=(--row "${LABEL[$ROW]}$NOTE (\`scripts/recipes/ablation_cpu.sh $SOURCE $ROW\`)=$FILE")
      elif [ -n "${GPUSET[$SOURCE-$ROW]:-}" ] && [ -f "$GPU" ]; then
        ROWS+=(--row "${LABEL[$ROW]}$NOTE, **GPU** (\`SET=${GPUSET[$SOURCE-$ROW]} scripts/recipes/gpu_batch.sh\`)=$GPU")
      fi
    done
  done
  [ ${#ROWS[@]} -eq 0 ] && continue
  echo "### $BENCH"
  python -m scripts.qa.ablation_table "${ROWS[@]}" --json "results/ablation/$BENCH/table.json"
  echo
done
