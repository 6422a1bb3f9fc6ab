#!/usr/bin/env bash
# One prepared run on a lent GPU machine (one H100/H200, 16 CPU cores), 15 minutes of device
# time: the GPU throughput figures, then trainings that would take hours on the 2-core CPU machine,
# side by side.
#
#   TAGGER_CORPORA=... scripts/recipes/gpu_batch.sh OUTDIR [MINUTES] [DEADLINE_S]
#
# 1. scripts/bench/bench_device.py --device cuda: segmentation and training chars/s, alone on the
#    GPU (OUTDIR/bench_cuda.json; kept as results/device/cuda-h200.json).
# 2. Up to 15 trainings at once, one CPU thread each, each stopped after MINUTES of training
#    (default 6) and scored on its test set (dev selects the epoch; the test is read once at the
#    end). SET picks the trainings; each group's seeds.py summary is runs/gpu/GROUP.json:
#    SET=1  PKU: smaller (faster) variants of the 200-unit open recipe, and the closed setting (no
#           dictionary), softmax vs CRF; Resume and MSRA NER with a CRF layer; 3 seeds each.
#    SET=2  more seeds of the PKU variants, and the PKU closed rows with dictionary features and
#           without bigram embeddings.
#    SET=3  the combined closed rows (pretrained vectors + 2 BiLSTM layers + dropout 0.35, as
#           scripts/recipes/ablation_cpu.sh's embl2d35 and emb200l2d35) on PKU, MSR and Weibo;
#           MSRA NER and CoNLL-2003 with a CRF layer. The vectors are read from VECDIR (default
#           runs/ablation), made there by scripts/data/pretrain_embeddings.py as ablation_cpu.sh
#           makes them.
#    SET=4  MSR with the 100/50-dim vectors and 200 units (emb200l2d35).
#    The summaries are kept in the repository under results/ablation-gpu/BENCH/ROW.json and
#    results/tagging-gpu/CORPUS/NAME.json (results/index.md names each with its group).
# Results: OUTDIR/summary.json (every finished model's metadata: dev, test, epochs, minutes),
# OUTDIR/logs.tgz, OUTDIR/bench_cuda.json; the fast models themselves in OUTDIR/.
set -u
OUT=${1:?usage: gpu_batch.sh OUTDIR [MINUTES]}
MINUTES=${2:-6}
DEADLINE=${3:-530}   # seconds after the start: runs still going then are stopped (their results lost)
DEVICE=${DEVICE:-cuda}
WORK=runs/gpu
mkdir -p "$OUT" "$WORK"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"

[ "${SET:-1}" = 1 ] && python -m scripts.bench.bench_device --device "$DEVICE" --batch-chars 5000 50000 200000 --passes 3 \
    --json "$OUT/bench_cuda.json" > "$WORK/bench_cuda.log" 2>&1
tail -3 "$WORK/bench_cuda.log"

PKU="--char-dim 100 --bigram-dim 50 --layers 1 --dropout 0.2 --batch-chars 3000 --lr 2e-3 --epochs 30 --patience 4"
# Resume with dropout 0.4 (results/tagging-gpu/resume/resume-d04-crf.json), not the 0.5 of
# train_tagging.sh's resume recipe: the resume-d04 row of docs/benchmarks.md with a CRF layer.
RESUME="--dictionary jieba --dropout 0.4 --batch-chars 1000 --bigram-min-count 2 --epochs 60 --patience 8 --lr-patience 2"
# The NER recipes are train_tagging.sh's, written once there; COMMON's --max-minutes comes later
# on the command line, so it replaces the recipe's CPU budget.
MSRA=$(scripts/recipes/train_tagging.sh --print-args msra-ner)
CONLL=$(scripts/recipes/train_tagging.sh --print-args conll2003)
COMMON="--device $DEVICE --max-minutes $MINUTES"
NET=$(scripts/recipes/ablation_cpu.sh --print-net)  # the study's small network, written once there
VECDIR=${VECDIR:-runs/ablation}
vec() { echo "--char-vectors $VECDIR/$1.chars.vec --bigram-vectors $VECDIR/$1.bigrams.vec"; }

# Many small trainings share one GPU far better through MPS (kernels of different processes run
# side by side instead of taking turns); if it does not start, they take turns.
if [ "$DEVICE" = cuda ] && command -v nvidia-cuda-mps-control >/dev/null; then
    export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps-pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mps-log
    mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
    if timeout 20 nvidia-cuda-mps-control -d && \
            timeout 40 python -c "import torch; print(torch.ones(2, device='cuda').sum().item())"; then
        echo "MPS on"
    else
        echo quit | timeout 10 nvidia-cuda-mps-control
        unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
        echo "MPS off"
    fi
fi
group() {  # NAME CORPUS SEEDS -- TRAIN ARGS
    local name=$1 corpus=$2 seeds=$3; shift 4
    # shellcheck disable=SC2086
    python -m scripts.recipes.seeds "$corpus" --seeds $seeds --parallel 3 --threads 1 --label "$name" \
        --workdir "$WORK/$name" --json "$WORK/$name.json" -- "$@" $COMMON > "$WORK/$name.out" 2>&1 &
}
# shellcheck disable=SC2086
if [ "${SET:-1}" = 1 ]; then
group fast-h128 pku "1 2" -- $PKU --hidden 128 --dictionary jieba,train --half
group fast-h128e pku "1" -- $PKU --hidden 128 --char-dim 64 --bigram-dim 32 --dictionary jieba,train --half
group resume-crf resume "1 2 3" -- $RESUME --crf
group msra-ner-crf msra-ner "1 2 3" -- $MSRA --crf
group pku-closed pku "1 2 3" -- $PKU --hidden 200
group pku-closed-crf pku "1 2 3" -- $PKU --hidden 200 --crf
elif [ "$SET" = 3 ]; then  # combined closed rows; NER with a CRF layer
group weibo-emb200l2d35 weibo "1 2 3" -- $NET --dictionary train $(vec weibo.skipgram100) --char-dim 100 --bigram-dim 50 --hidden 200 --layers 2 --dropout 0.35
group pku-embl2d35 pku "1 2 3" -- $NET --dictionary train $(vec pku.skipgram) --layers 2 --dropout 0.35
group msr-embl2d35 msr "1 2 3" -- $NET --dictionary train $(vec msr.skipgram) --layers 2 --dropout 0.35
group msra-ner-crf-b msra-ner "1 2 3" -- $MSRA --crf
group conll2003-crf conll2003 "1 2 3" -- $CONLL --crf
elif [ "$SET" = 4 ]; then  # MSR with Weibo's dev-selected combination (100/50-dim vectors, 200 units)
group msr-emb200l2d35 msr "1 2 3" -- $NET --dictionary train $(vec msr.skipgram100) --char-dim 100 --bigram-dim 50 --hidden 200 --layers 2 --dropout 0.35
else  # SET=2: more seeds and PKU ablation rows
group fast-h128e-b pku "2 3" -- $PKU --hidden 128 --char-dim 64 --bigram-dim 32 --dictionary jieba,train --half
group pku-open pku "2 3" -- $PKU --hidden 200 --dictionary jieba,train --half
group pku-closed-dict pku "1 2 3" -- $PKU --hidden 200 --dictionary train
group pku-closed-nobigram pku "1 2 3" -- $PKU --hidden 200 --bigram-dim 0
fi
while [ -n "$(jobs -rp)" ] && [ "$SECONDS" -lt "$DEADLINE" ]; do sleep 5; done
if [ -n "$(jobs -rp)" ]; then
    echo "deadline: stopping the runs still going"
    pkill -f "tagger train"; sleep 2; kill $(jobs -rp) 2>/dev/null
fi
echo "trainings done at ${SECONDS}s"
python - "$WORK" "$OUT" <<'EOF'
import glob, os, shutil, sys
from tagger.files import write_json
from tagger.modelio import read_metadata
work, out = sys.argv[1:]
runs = {}
for path in sorted(glob.glob(f"{work}/*/*.model")):
    meta = read_metadata(path)["metadata"]
    runs[path] = {k: meta.get(k) for k in ("dev_f1", "best_epoch", "train_minutes", "test", "train_config")}
    runs[path]["model_mb"] = round(os.path.getsize(path) / 1e6, 2)
    if "/fast-" in path:
        shutil.copy(path, os.path.join(out, path.split("/")[-2] + "." + os.path.basename(path)))
write_json(f"{out}/summary.json", runs)
print(len(runs), "models")
EOF
tar czf "$OUT/logs.tgz" "$WORK"/*.json "$WORK"/*.out "$WORK"/*.log "$WORK"/*/*.log "$WORK"/*/*.csv 2>/dev/null
[ -n "${CUDA_MPS_PIPE_DIRECTORY:-}" ] && echo quit | timeout 10 nvidia-cuda-mps-control
ls -la "$OUT"
