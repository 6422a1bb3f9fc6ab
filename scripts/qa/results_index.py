#!/usr/bin/env python
"""Write results/index.md: every file under results/, what it measures and the command that
reproduces it.

Each file is matched by the first rule of RULES that fits its path; a file no rule fits is an
error (exit 1), so that a new result cannot be committed without saying what it is. Seeds are
read from the JSON files themselves. `--check` writes nothing and exits 1 when results/index.md
is not what this script would write.

    python -m scripts.qa.results_index            # rewrite results/index.md
    python -m scripts.qa.results_index --check    # is it up to date?
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from scripts.common import ROOT

RESULTS = ROOT / "results"
INDEX = RESULTS / "index.md"
C = "$TAGGER_CORPORA"

HEADER = f"""# Results

Every measurement of this project, one file each, with what it measures and the command that
reproduces it. The prose that discusses the figures is docs/benchmarks.md (segmentation,
tagging, speed, memory), docs/training.md (training defaults) and docs/api.md (`tagger serve`).
This file is written by `python -m scripts.qa.results_index`; do not edit it by hand.

Layout: `results/BENCHMARK/...`, one folder a benchmark. A seeds JSON (scripts/recipes/seeds.py)
holds every run of one configuration (seed, dev F1, test scores, minutes, model size) and
their mean ± std; `ROW.json` is a configuration's summary over its seeds, and a folder
`ROW/` beside it holds the same configuration's seeds run as separate jobs (`seedN.json`,
`seedsA-B.json`), files merged from them (`seeds1-6.json`) and its seeds scored as one ensemble
(`ensembleK.json`). `*-gpu/` folders hold what ran on a lent GPU (one NVIDIA H200 shared by
3-15 trainings through MPS, one CPU thread each); everything else ran on the project's 2-core
CPU machine. Images (learning curves, screenshots) live beside the data they show, and the
prose pages link them there. Commands run from the repository root with `TAGGER_CORPORA`
pointing at the corpora (`{C}` below); `runs/` is a work folder for models, outside git.
"""

SECTIONS = {
    "ablation": "Segmentation ablation (CPU)",
    "ablation-gpu": "Segmentation ablation (GPU)",
    "tagging": "NER and POS (CPU)",
    "tagging-gpu": "NER with a CRF layer (GPU)",
    "models": "Single models: test scores and training histories",
    "defaults": "Training defaults",
    "crossdomain": "Cross-domain segmentation against peer tools",
    "multi-criteria": "Multi-criteria models",
    "cv": "Cross-validation",
    "speed": "Speed",
    "contention": "Speed under load",
    "memory": "Memory in the input's size",
    "device": "GPU throughput",
    "adapt": "Adaptation: fine-tuning, raw text, new words",
    "serve": "`tagger serve` and the spaCy tokenizer",
    "ner": "The shipped NER model",
    "qa": "Checks",
}

# the gpu_batch.sh SET and group name that ran each GPU file
GPU_GROUPS = {
    "ablation-gpu/pku/closed.json": (1, "pku-closed"),
    "ablation-gpu/pku/closed-crf.json": (1, "pku-closed-crf"),
    "ablation-gpu/pku/closed-dict.json": (2, "pku-closed-dict"),
    "ablation-gpu/pku/closed-nobigram.json": (2, "pku-closed-nobigram"),
    "ablation-gpu/pku/open.json": (2, "pku-open"),
    "ablation-gpu/pku/open-h128.json": (1, "fast-h128"),
    "ablation-gpu/pku/open-h128-e64/seed1.json": (1, "fast-h128e"),
    "ablation-gpu/pku/open-h128-e64/seeds2-3.json": (2, "fast-h128e-b"),
    "ablation-gpu/pku/embl2d35.json": (3, "pku-embl2d35"),
    "ablation-gpu/msr/embl2d35.json": (3, "msr-embl2d35"),
    "ablation-gpu/msr/emb200l2d35.json": (4, "msr-emb200l2d35"),
    "ablation-gpu/weibo/emb200l2d35.json": (3, "weibo-emb200l2d35"),
    "tagging-gpu/resume/resume-d04-crf.json": (1, "resume-crf"),
    "tagging-gpu/msra-ner/msra-ner-crf-6min.json": (1, "msra-ner-crf"),
    "tagging-gpu/msra-ner/msra-ner-crf-6.5min.json": (3, "msra-ner-crf-b"),
    "tagging-gpu/conll2003/conll2003-crf.json": (3, "conll2003-crf"),
}

# tagging rows that are a train_tagging.sh recipe with RUN=/EXTRA=/EMA= settings: NAME -> (env, BASE)
TAGGING_RUNS = {
    "resume-d04": ('EXTRA="--dropout 0.4"', "resume"),
    "resume-d04-unk": ('EXTRA="--dropout 0.4 --unk-dropout 0.1"', "resume"),
    "resume-d04-h300": ('EXTRA="--dropout 0.4 --hidden 300"', "resume"),
    "resume-vec-pat12": ('EXTRA="--patience 12 --lr-patience 3"', "resume-vec"),
    "resume-vec-b500": ('EXTRA="--batch-chars 500"', "resume-vec"),
    "resume-vec-b250": ('EXTRA="--batch-chars 250"', "resume-vec"),
    "resume-vec-d06": ('EXTRA="--dropout 0.6"', "resume-vec"),
    "resume-vec-lr1e3": ('EXTRA="--lr 0.001"', "resume-vec"),
    "resume-vec-h300": ('EXTRA="--hidden 300"', "resume-vec"),
    "resume-vec-ema999": ("EMA=0.999", "resume-vec-ema"),
    "msra-ner-vec": ('EXTRA="--max-minutes 60"', "msra-ner-vec"),
    "msra-ner-vec-crf": ('EXTRA="--max-minutes 60"', "msra-ner-vec-crf"),
    "msra-ner-vec-d05": ('EXTRA="--dropout 0.5 --lr-patience 2 --patience 8 --max-minutes 60"', "msra-ner-vec"),
    "msra-ner-vec-crf-d05": ('EXTRA="--dropout 0.5 --lr-patience 2 --patience 8 --max-minutes 60"', "msra-ner-vec-crf"),
}
RECIPE = re.compile(r"(resume|msra-ner|conll2003|ud-pos|pd1998|pos-small)(-vec)?(-l2)?(-crf)?(-ema)?")

# the options of scripts/recipes/train_msr.sh: the 128-unit network, one seed, 52 minutes, one thread
H128 = ("--char-dim 64 --bigram-dim 32 --hidden 128 --layers 1 --dropout 0.2 --batch-chars 3000 --lr 2e-3 "
        "--epochs 30 --patience 4 --seed 1 --max-minutes 52 --threads 1")
H200 = H128.replace("--char-dim 64 --bigram-dim 32 --hidden 128", "--char-dim 100 --bigram-dim 50 --hidden 200")
H200_D35 = H200.replace("--dropout 0.2", "--dropout 0.35 --unk-dropout 0.1")
SINGLE_MODELS = {  # results/models/NAME: (what the model is, how it is trained; whether that writes the JSON)
    "pku-single": ("the single-corpus PKU model (`pku-single`: open setting, skip-gram vectors, 128 units)",
                   "scripts/recipes/train_default.sh runs/pku-single.model 1 cpu", True),
    "pku-h128": ("PKU, the pku-single network without pretrained vectors (64/32-dim embeddings, 128 units, "
                 "jieba + training words; CPU, one thread)",
                 f"tagger train pku -o runs/pku-h128.model {H128} --dictionary jieba,train --half", False),
    "msr-h128": ("MSR (trained on the MSRA NER text), the same recipe as pku-h128",
                 "scripts/recipes/train_msr.sh runs/msr-h128.model 1 cpu", True),
    "msr-h200-dict": ("MSR, 200 units and 100/50-dim embeddings, `--dictionary jieba,train` (CPU, one thread)",
                      f"tagger train msr -o runs/msr-h200-dict.model {H200} --dictionary jieba,train", False),
    "pku-h200-nodict": ("PKU, 200 units and 100/50-dim embeddings, no dictionary features (CPU, one thread)",
                        f"tagger train pku -o runs/pku-h200-nodict.model {H200} --dictionary none", False),
    "msr-h200-nodict": ("MSR, the recipe of pku-h200-nodict",
                        f"tagger train msr -o runs/msr-h200-nodict.model {H200} --dictionary none", False),
    "pku-h200-nodict-d35-unk": ("PKU, pku-h200-nodict with dropout 0.35 and unk dropout 0.1 on bigrams",
                                f"tagger train pku -o runs/pku-h200-nodict-d35-unk.model {H200_D35} --dictionary none",
                                False),
    "msr-h200-nodict-d35-unk": ("MSR, the recipe of pku-h200-nodict-d35-unk",
                                f"tagger train msr -o runs/msr-h200-nodict-d35-unk.model {H200_D35} --dictionary none",
                                False),
    "pos": ("the shipped joint segmentation + POS model, tagger/data/pos.model (PD 1998-01, seed 1)",
            "scripts/recipes/train_pos_model.sh runs/pos.model 1 cpu", True),
}


@dataclass
class Entry:
    what: str
    command: str  # a shell command, or "" when the note says it all
    note: str = ""


def load(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def seeds_of(data: dict) -> list[int]:
    if data.get("seeds"):
        return list(data["seeds"])
    return sorted(run["seed"] for run in data.get("runs", []) if isinstance(run, dict) and "seed" in run)


def seeds_text(seeds: list[int]) -> str:
    if not seeds:
        return ""
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1:
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(map(str, seeds))


def figure(data: dict) -> str:
    """The headline figure of a seeds JSON or a `tagger evaluate` JSON: test F1 (mean ± std)."""
    summary = data.get("summary", {})
    if isinstance(summary.get("f1"), dict):
        f1 = summary["f1"]
        return f"test F1 {f1['mean']:.4f} ± {f1['std']:.4f}" if len(seeds_of(data)) > 1 else f"test F1 {f1['mean']:.4f}"
    if isinstance(data.get("f1"), (int, float)):
        return f"F1 {data['f1']:.4f}"
    return ""


def details(path: Path) -> str:
    """`(seeds 1-3; test F1 0.9549 ± 0.0008)` for a seeds or evaluate JSON, else empty."""
    if path.suffix != ".json":
        return ""
    data = load(path)
    if not isinstance(data, dict):
        return ""
    parts = [p for p in (seeds_text(seeds_of(data)), figure(data)) if p]
    return f" ({'; '.join(parts)})" if parts else ""


def max_minutes(data: dict) -> Optional[str]:
    args = data.get("train_args") or []
    values = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--max-minutes"]
    return values[-1] if values else None


def seed_args(seeds: list[int], default: tuple = (1, 2, 3)) -> str:
    return "" if tuple(seeds) == default else " " + " ".join(map(str, seeds))


def tagging_command(corpus: str, name: str, rel: str, seeds: list[int], json_override: bool) -> str:
    env, base = TAGGING_RUNS.get(name, ("", name))
    if not RECIPE.fullmatch(base):
        return ""
    prefix = []
    if name != base or env:
        prefix.append(f"RUN={name}")
    if env:
        prefix.append(env)
    if json_override:
        prefix.append(f"JSON=results/{rel}")
    return " ".join([*prefix, "scripts/recipes/train_tagging.sh", base]) + seed_args(seeds)


def recorded(data: dict) -> str:
    return data.get("command", "")


def rule_ablation(m: re.Match, path: Path, rel: str) -> Entry:
    bench, row, sub = m["bench"], m["row"], m["sub"]
    data = load(path)
    seeds = seeds_of(data)
    test = "pku" if bench == "pku-aligned" else bench
    if sub is None:
        return Entry(f"{bench}, row `{row}`: the row's runs and their mean ± std",
                     f"scripts/recipes/ablation_cpu.sh {bench} {row}{seed_args(seeds)}")
    if sub.startswith("ensemble"):
        models = " ".join(f"runs/ablation/{bench}-{row}/{bench}.seed{s}.model" for s in range(1, int(sub[8:]) + 1))
        return Entry(f"{bench}, row `{row}`: its {sub[8:]} seed models scored as one ensemble on the {test} test set",
                     f"tagger evaluate {models} {test} --json results/{rel}")
    return Entry(f"{bench}, row `{row}`, run as a separate job",
                 f"JSON=results/{rel} scripts/recipes/ablation_cpu.sh {bench} {row}{seed_args(seeds, ())}")


def rule_gpu(m: re.Match, path: Path, rel: str) -> Entry:
    data = load(path)
    set_, group = GPU_GROUPS[rel]
    minutes = max_minutes(data) or "6"
    kind = "segmentation" if rel.startswith("ablation-gpu") else "tagging"
    return Entry(f"{m['bench']} {kind}, `{m['row']}`: the runs of gpu_batch.sh group `{group}`, "
                 f"{minutes}-minute budget",
                 f"SET={set_} scripts/recipes/gpu_batch.sh OUTDIR {minutes}")


def rule_tagging(m: re.Match, path: Path, rel: str) -> Entry:
    corpus, name, sub = m["corpus"], m["name"], m["sub"]
    data = load(path)
    seeds = seeds_of(data)
    if sub is None:
        command = tagging_command(corpus, name, rel, seeds, json_override=False) or recorded(data)
        return Entry(f"{corpus}, recipe `{name}`: its runs and their mean ± std", command)
    if sub == "words-on-pku":
        return Entry("the pos-small models (POS dropped) scored as segmenters on the PKU test set",
                     "python -m scripts.bench.pos_words pku tagger/data/pos.model "
                     "runs/tagging/pos-small/pd1998.seed2.model runs/tagging/pos-small/pd1998.seed3.model "
                     f"--json results/{rel}")
    if "--collect" in recorded(data):
        models = " ".join(run["model"] for run in data["runs"])
        return Entry(f"{corpus}, recipe `{name}`, merged from its seed files",
                     f"python -m scripts.recipes.seeds {data['corpus']} --collect {models} --json results/{rel}")
    command = tagging_command(corpus, name, rel, seeds, json_override=True) or recorded(data)
    return Entry(f"{corpus}, recipe `{name}`, run as a separate job", command)


def rule_model(m: re.Match, path: Path, rel: str) -> Entry:
    name, file = m["name"], m["file"]
    what, train, writes_json = SINGLE_MODELS[name]
    if file == "history.csv":
        return Entry(f"training history (loss, dev P/R/F1, chars/s per epoch) of {what}", train,
                     "writes it beside the model, as MODEL-stem.history.csv")
    if file == "curves.png":
        return Entry(f"learning curves of {what}", train, "draws them beside the model")
    test = file[:-len(".json")]
    if writes_json:
        return Entry(f"{what}: `tagger evaluate` on the {test} test set", train, "trains, then writes this file")
    model = train.split(" -o ")[1].split()[0]
    return Entry(f"{what}: `tagger evaluate` on the {test} test set",
                 f"{train} && tagger evaluate {model} {test} --json results/{rel}")


def rule_speed(m: re.Match, path: Path, rel: str) -> Entry:
    name = path.name[:-len(".json")]
    model, _, variant = name.partition(".")
    models = {"pku-single": ("the single-corpus PKU model", "runs/pku-single.model",
                             "the model scripts/recipes/train_default.sh trains"),
              "shipped": ("the shipped default model, and the shipped fast model beside it (--extra-model)",
                          "tagger/data/default.model --extra-model fast", ""),
              "pku-novectors": ("the pku-single network trained without pretrained vectors (GPU, seed 1 of "
                                "ablation-gpu/pku/open-h128-e64)", "MODEL",
                                "MODEL: the fast-h128e seed-1 model that SET=1 scripts/recipes/gpu_batch.sh "
                                "copies to OUTDIR")}
    what, model_path, note = models[model]
    where = ("the same kind of 2-core machine, pkuseg built with Cython 3.3.1 and numpy 2.4.6"
             if "pkuseg-cython3" in rel else "the 2-core machine, idle")
    extra = ""
    if variant.startswith("replicate"):
        extra = f", replicate {variant[len('replicate'):]} of the same measurement"
    elif variant.startswith("code-"):
        extra = f", with the tagger code of commit {variant[5:]} checked out"
    return Entry(f"segmentation speed, memory and accuracy of {what} beside jieba, pkuseg and THULAC, "
                 f"PKU test text; {where}{extra}",
                 f"python -m scripts.bench.bench_speed --threads 2 --model {model_path} --json results/{rel}", note)


def rule_memory(m: re.Match, path: Path, rel: str) -> Entry:
    data = load(path)
    sizes = " ".join(f"{r['size_mb']:g}" for r in data["runs"])
    jobs = f" --jobs {data['jobs']}" if data["jobs"] != 1 else ""
    model = MEMORY_MODELS[path.name]
    workers = "one process" if data["jobs"] == 1 else f"{data['jobs']} worker processes"
    threads = "1 thread" if data["threads"] == 1 else f"{data['threads']} threads"
    return Entry(f"peak RSS of `tagger segment` on inputs of {sizes.replace(' ', ' and ')} MB, {data['engine']} engine, "
                 f"{workers}, {threads} each",
                 f"python -m scripts.bench.stream_memory --sizes-mb {sizes} --engine {data['engine']}{jobs} "
                 f"--threads {data['threads']} --model {model[0]} --json results/{rel}", model[1])


MEMORY_MODELS = {  # file -> (--model, what the model is)
    "shipped.json": ("default", "the shipped default model, at the precision `tagger segment` chooses (auto)"),
    "torch.json": ("runs/pku-single.model", "MODEL: pku-single (scripts/recipes/train_default.sh)"),
    "torch-jobs2.json": ("runs/pku-single.model", "MODEL: pku-single (scripts/recipes/train_default.sh)"),
    "numpy.json": ("MODEL", "MODEL: the 200-unit PKU model with `--dictionary jieba,train` (pku-h200-dict, "
                            "docs/benchmarks.md)"),
}


def fixed(what: str, command: str, note: str = "") -> Callable[[re.Match, Path, str], Entry]:
    return lambda m, path, rel: Entry(what.format(**m.groupdict(), rel=rel), command.format(**m.groupdict(), rel=rel),
                                      note)


CV = "tagger cv ud --folds 5 --threads 1 -o results/cv/ud/ud"
SERVE = "OMP_NUM_THREADS=1 TAGGER_THREADS=1 python -m scripts.bench.bench_serve_load"
RULES: list[tuple[str, Callable[[re.Match, Path, str], Entry]]] = [
    (r"ablation/(?P<bench>[\w-]+)/table\.json",
     fixed("the {bench} ablation table of docs/benchmarks.md: its rows with their runs",
           "scripts/qa/ablation_tables.sh {bench}")),
    (r"ablation/(?P<bench>[\w-]+)/(?P<row>[\w-]+?)(?:/(?P<sub>seed\d+|seeds\d+-\d+|ensemble\d+))?\.json", rule_ablation),
    (r"ablation-gpu/pku/table\.json",
     fixed("the PKU ablation table run on the GPU (docs/benchmarks.md): its rows with their runs",
           "scripts/qa/ablation_tables.sh pku-gpu")),
    (r"tagging-gpu/table\.json",
     fixed("Resume and MSRA NER with a CRF layer on the GPU: the two rows with their runs",
           "scripts/qa/ablation_tables.sh tagging-gpu")),
    (r"(?:ablation|tagging)-gpu/(?P<bench>[\w-]+)/(?P<row>[\w.-]+?)(?:/seeds?[\d-]+)?\.json", rule_gpu),
    (r"tagging/(?P<corpus>[\w-]+)/(?P<name>[\w-]+?)(?:/(?P<sub>seed\d+|seeds\d+-\d+|words-on-pku))?\.json",
     rule_tagging),
    (r"models/h200-nodict-curves\.png",
     fixed("learning curves of the pku-h200-nodict and msr-h200-nodict trainings on one chart",
           "tagger plot runs/pku-h200-nodict.history.csv runs/msr-h200-nodict.history.csv -o results/{rel}")),
    (r"models/(?P<name>[\w-]+)/(?P<file>[\w.-]+)", rule_model),
    (r"defaults/vectors/table\.md",
     fixed("the two small subsets trained with defaults plus skip-gram vectors (--vectors), beside their targets",
           "EXTRA=--vectors WORK=runs/vec OUT=results/defaults/vectors scripts/recipes/train_defaults.sh small")),
    (r"defaults/vectors/(?P<row>[\w-]+)\.json",
     fixed("`{row}` trained with defaults plus skip-gram vectors (--vectors): dev and test F1 per seed, the "
           "measurement behind the recipe's 50,000-character threshold for vectors",
           "EXTRA=--vectors WORK=runs/vec OUT=results/defaults/vectors scripts/recipes/train_defaults.sh {row}")),
    (r"defaults/table\.md",
     fixed("the defaults table of docs/training.md: every row's JSON beside its target and the best tuned recipe",
           "scripts/recipes/train_defaults.sh table")),
    (r"defaults/(?P<row>[\w-]+)\.json",
     fixed("`{row}` trained with `tagger train` defaults only: dev and test F1 per seed",
           "scripts/recipes/train_defaults.sh {row}")),
    (r"multi-criteria/criterion-input\.json",
     fixed("a two-corpus model (Weibo + UD) reading its standard from markers alone or markers plus a criterion "
           "embedding (--standard-dim 16): mean and per-corpus dev F1, test F1, per seed",
           "scripts/recipes/criterion_input.sh SEED...")),
    (r"adapt/A\.json",
     fixed("protocol A: default adapted with CTB6's training text (words removed), per seed and mean ± std, six rows "
           "with the default standard, each with its --compare interval and p-value against the shipped model",
           "python -m scripts.bench.bench_adapt --protocols A --seeds 1,2,3 --threads 1")),
    (r"adapt/B\.json",
     fixed("protocol B: the one-corpus PKU model adapted with Weibo's training text (words removed), Weibo dev per "
           "seed and mean ± std, each against the unadapted model",
           "scripts/recipes/train_default.sh runs/pku-single.model 1 && python -m scripts.bench.bench_adapt "
           "--protocols B --seeds 1,2,3 --pku-model runs/pku-single.model --threads 1")),
    (r"adapt/C\.json",
     fixed("protocol C: default fine-tuned on the first 500 CTB6 train sentences (new standard ctb6), CTB6 test "
           "with it and the six rows with the default standard, each against the shipped model, per seed and mean "
           "± std; the defaults from scratch on the same 500 sentences",
           "python -m scripts.bench.bench_adapt --protocols C --seeds 1,2,3 --scratch --threads 1")),
    (r"adapt/D\.json",
     fixed("protocol D: tagger words' top 200 on CTB6's training text (words removed), the share that are CTB6 gold words",
           "python -m scripts.bench.bench_adapt --protocols D --threads 1")),
    (r"adapt/ceilings\.json",
     fixed("ceilings of protocols A and B: the model given the gold words of the training text that it lacks, "
           "those also in the scored set, and the scored set's own, each as dictionary features and as a user "
           "dictionary, against the unadapted model",
           "python -m scripts.bench.adapt_ceiling --pku-model runs/pku-single.model --threads 1 "
           "--json results/adapt/ceilings.json")),
    (r"adapt/select-finetune\.jsonl",
     fixed("the fine-tuning configurations compared (one a line): CTB6 dev slice F1, agreement with the shipped "
           "model's default-standard output, and the six rows; each line holds its own command",
           "python -m scripts.bench.adapt_select finetune [OPTIONS] --out results/adapt/select-finetune.jsonl")),
    (r"adapt/select-adapt\.jsonl",
     fixed("the adaptation settings compared (one a line) on CTB6 dev against the shipped model; each line holds "
           "its own command",
           "python -m scripts.bench.adapt_select adapt [OPTIONS] --out results/adapt/select-adapt.jsonl")),
    (r"crossdomain/crossdomain\.json",
     fixed("word F1 of tagger's models and standards, jieba, THULAC and pkuseg on six test sets, out of the box",
           "python -m scripts.bench.bench_crossdomain --model tagger/data/default.model "
           "--model tagger/data/default.model:all --model runs/pku-single.model --threads 1 "
           "--peers-python PEERS_VENV/bin/python", "peers and their versions: results/crossdomain/README.md")),
    (r"crossdomain/fast\.json",
     fixed("word F1 of the shipped default and fast models on the six test sets, default standard (docs/speed.md)",
           "python -m scripts.bench.bench_crossdomain --model tagger/data/default.model "
           "--model tagger/data/fast.model --peers none --threads 2 -o results/crossdomain/fast.json")),
    (r"crossdomain/bfloat16\.json",
     fixed("word F1 of the shipped default model run in bfloat16 (what --precision auto takes on a CPU with "
           "native bfloat16) on the six test sets, default standard; float32 figures: fast.json",
           "python -m scripts.bench.bench_crossdomain --model tagger/data/default.model --precision bfloat16 "
           "--peers none --threads 2 -o results/crossdomain/bfloat16.json")),
    (r"crossdomain/README\.md",
     fixed("notes on crossdomain.json: the peers' versions and what each tool column is", "", "prose")),
    (r"cv/ud/ud\.csv", fixed("5-fold cross-validation on UD Chinese's training text: per-fold scores", CV)),
    (r"cv/ud/ud\.md", fixed("the same cross-validation: per-fold table, mean, std and 95% CI", CV)),
    (r"cv/ud/ud\.png", fixed("the same cross-validation: learning curves of the five runs", CV)),
    (r"cv/ud/ud\.r(?P<r>\d+)f(?P<f>\d+)\.history\.csv",
     fixed("training history of repeat {r}, fold {f} of that cross-validation", CV)),
    (r"speed/startup\.json",
     fixed("start-up and end to end: the first API call beside jieba's, opening the default model, and "
           "`tagger segment` (default and fast models, engine auto) beside `python -m jieba -d ' '` on 1 line and "
           "1, 10 and 100 copies of the PKU test text: wall, peak RSS, the engine chosen (docs/speed.md); "
           "the shared 2-core machine, busy (load 4-9), one run each",
           "python -m scripts.bench.bench_speed --threads 1 --startup-only --sizes '1 line,172k,1.7M' --repeats 1 "
           "--json results/speed/startup.json")),
    (r"speed/batch_threads\.json",
     fixed("label_lines with a torch network's batches in worker threads (one torch thread each) against one batch "
           "at a time, alternated in one process, for the shipped default, fast, POS and NER models in float32 and "
           "bfloat16: chars/s of each round and whether the labels are the same (docs/api.md); an idle 2-core machine",
           "python -m scripts.bench.batch_threads_ab --threads 2 --json results/speed/batch_threads.json")),
    (r"speed/batch_threads_busy1\.json",
     fixed("the same comparison beside one CPU-bound process (started after the models were loaded with 2 threads, "
           "as load arrives at a running server) for the shipped NER and default models (docs/api.md); "
           "the 2-core machine",
           "python -m scripts.bench.batch_threads_ab --threads 2 --busy 1 --models ner,default "
           "--json results/speed/batch_threads_busy1.json")),
    (r"speed/batch_threads_pos5\.json",
     fixed("the comparison of speed/batch_threads.json for the shipped POS model alone, five alternations in each "
           "precision (docs/api.md); an idle 2-core machine",
           "python -m scripts.bench.batch_threads_ab --models pos --threads 2 --rounds 5 "
           "--json results/speed/batch_threads_pos5.json")),
    (r"speed/batch_threads_busy1_fast_pos\.json",
     fixed("the comparison of speed/batch_threads_busy1.json (beside one CPU-bound process) for the shipped fast "
           "and POS models (docs/api.md); the 2-core machine",
           "python -m scripts.bench.batch_threads_ab --threads 2 --busy 1 --models fast,pos "
           "--json results/speed/batch_threads_busy1_fast_pos.json")),
    (r"speed/[\w/.-]+\.json", rule_speed),
    (r"contention/contention\.json",
     fixed("segmentation time of each way of running tagger, idle and beside 1 and 2 busy processes, and the ratios",
           "python -m scripts.bench.bench_contention")),
    (r"contention/contention_quick\.json",
     fixed("a smoke run of bench_contention (200 lines, 1 repeat): not a measurement",
           "python -m scripts.bench.bench_contention --quick")),
    (r"memory/[\w-]+\.json", rule_memory),
    (r"device/cuda-h200\.json",
     fixed("segmentation (batches of 5,000-200,000 characters) and training chars/s of the 200-unit PKU model's "
           "architecture, alone on one H200", "python -m scripts.bench.bench_device --device cuda --model MODEL "
                                              "--batch-chars 5000 50000 200000 --passes 3 --json results/{rel}",
           "MODEL: pku-h200-dict (docs/benchmarks.md); SET=1 scripts/recipes/gpu_batch.sh runs it with the shipped model")),
    (r"serve/load\.json",
     fixed("`tagger serve` under 32 concurrent clients, then 1,000 malformed requests: throughput, latency, statuses",
           f"{SERVE} --text {C}/sighan2005/pku_test.utf8 --json results/{{rel}}")),
    (r"serve/load_no_batching\.json",
     fixed("the same load with one request per model call (no batching across requests)",
           f"{SERVE} --text {C}/sighan2005/pku_test.utf8 --batch-chars 1 --json results/{{rel}}")),
    (r"serve/under_attack\.json",
     fixed("`tagger serve --workers 2` while 4 clients send oversized and invalid requests: /health latency, "
           "throughput and latency of 4 load rounds (32 clients, 3,008 requests of 1-20 PKU test lines each), the "
           "largest error answer, resident memory after each round",
           f"{SERVE} --threads 1 --workers 2 --attackers 4 --rounds 4 --total 3000 --text {C}/sighan2005/pku_test.utf8 "
           "--json results/{rel}")),
    (r"serve/under_attack_1line\.json",
     fixed("the same with requests of one PKU test line each",
           f"{SERVE} --threads 1 --workers 2 --attackers 4 --rounds 4 --total 3000 --lines 1 "
           f"--text {C}/sighan2005/pku_test.utf8 --json results/{{rel}}")),
    (r"serve/spacy_parity\.json",
     fixed("lines where a blank spaCy pipeline with tagger's tokenizer gives tagger.lcut's words, PKU test text",
           f"OMP_NUM_THREADS=1 TAGGER_THREADS=1 python -m scripts.bench.bench_spacy_parity "
           f"{C}/sighan2005/pku_test.utf8 --json results/{{rel}}")),
    (r"serve/page\.png",
     fixed("screenshot of the page `tagger serve` serves, a POS model's explanation open",
           "python -m pytest -q tests/test_serve.py", "its browser test saves one in its temporary folder")),
    (r"ner/ner\.json",
     fixed("the shipped NER model: entity F1 per type on MSRA NER test (PER/LOC/ORG), the PD 1998 NER dev "
           "split (never trained on) and Resume NER test (another domain), beside LAC where installed; API "
           "chars/s at 2 threads, `tagger tag` peak RSS",
           "python -m scripts.bench.bench_ner --threads 2 --lac-python LAC_VENV/bin/python --json results/{rel}",
           "LAC_VENV: a venv with LAC 2.1.2 and paddlepaddle 2.6.2 (docs/tagging.md)")),
    (r"ner/names\.json",
     fixed("names in unfamiliar contexts: 200 made-up names in 12 sentences unlike news, the share found "
           "exactly as PER by the shipped NER model and by LAC, per sentence kind, and how the misses went wrong",
           "python -m scripts.bench.ner_names --models ner --threads 2 --lac-python LAC_VENV/bin/python "
           "--json results/{rel}", "LAC_VENV: a venv with LAC 2.1.2 and paddlepaddle 2.6.2 (docs/tagging.md)")),
    (r"ner/noise\.json",
     fixed("entity F1 on MSRA NER test (PER/LOC/ORG) rewritten as social media writes: Traditional script, "
           "full width, no punctuation, emoji, a post's trappings, all together; the shipped NER model beside LAC",
           "python -m scripts.bench.ner_noise --threads 1 --lac-python LAC_VENV/bin/python --json results/{rel}",
           "LAC_VENV: a venv with LAC 2.1.2 and paddlepaddle 2.6.2 (docs/tagging.md)")),
    (r"ner/ner\.history\.csv",
     fixed("the shipped NER model's training history: per epoch, loss and dev F1 of each standard",
           "scripts/recipes/train_ner_model.sh runs/ner.model 2 100 && cp runs/ner.history.csv results/{rel}")),
    (r"qa/edges\.json",
     fixed("every way found to lose or corrupt a file, get a traceback, leave a process or get a bad HTTP answer: "
           "one row a case (target: 0 in every column)", "python -m scripts.qa.edges --json results/{rel}",
           "run as root it also fills a 256 KB tmpfs and makes a device node; elsewhere those cases are skipped")),
    (r"qa/hostile_models\.json",
     fixed("every damaged or hostile model file (scripts/qa/crafted_models.py, made from the shipped default model) "
           "through info and segment on both engines: exit status, error lines, peak RSS above an empty file's "
           "(target: status 1, one line, at most twice the file's size)",
           "python -m scripts.qa.hostile_models --json results/{rel}")),
    (r"qa/fuzz\.json",
     fixed("10,000 random lines segmented in batches and one by one: failures (none may occur)",
           "python -m scripts.qa.fuzz --n 10000 --seed 0 --json results/{rel}")),
    (r"qa/scorer-pku\.json",
     fixed("tagger's span scorer against the bakeoff's diff-based method on one PKU test output",
           f"tagger segment {C}/sighan2005/pku_test.utf8 --model runs/pku-h200-nodict.model -o OUTPUT && "
           f"python -m scripts.qa.check_scorer OUTPUT {C}/sighan2005/pku_test_gold.utf8 --json results/{{rel}}",
           "the output of the pku-h200-nodict model (results/models/)")),
]


def entries() -> tuple[dict[str, list[tuple[str, Entry]]], list[str]]:
    sections: dict[str, list[tuple[str, Entry]]] = {}
    unmatched = []
    for path in sorted(p for p in RESULTS.rglob("*") if p.is_file() and p != INDEX):
        rel = path.relative_to(RESULTS).as_posix()
        for pattern, make in RULES:
            m = re.fullmatch(pattern, rel)
            if m:
                entry = make(m, path, rel)
                entry.what += details(path)
                sections.setdefault(rel.split("/")[0], []).append((rel, entry))
                break
        else:
            unmatched.append(rel)
    return sections, unmatched


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def reproduce(entry: Entry) -> str:
    parts = [f"`{cell(entry.command)}`"] if entry.command else []
    if entry.note:
        parts.append(cell(entry.note))
    return "; ".join(parts)


def render(sections: dict[str, list[tuple[str, Entry]]]) -> str:
    out = [HEADER]
    order = [*SECTIONS, *sorted(set(sections) - set(SECTIONS))]
    for key in order:
        if key not in sections:
            continue
        out.append(f"## {SECTIONS.get(key, key)}\n")
        out.append("| file | what it measures | reproduce |")
        out.append("|---|---|---|")
        for rel, entry in sections[key]:
            out.append(f"| [{rel}]({rel}) | {cell(entry.what)} | {reproduce(entry)} |")
        out.append("")
    return "\n".join(out)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if results/index.md is not up to date")
    args = parser.parse_args(argv)
    sections, unmatched = entries()
    if unmatched:
        print("results_index: no rule says what these are (add one to scripts/qa/results_index.py):", file=sys.stderr)
        for rel in unmatched:
            print(f"  results/{rel}", file=sys.stderr)
        return 1
    text = render(sections)
    if args.check:
        current = INDEX.read_text(encoding="utf-8") if INDEX.exists() else ""
        if current != text:
            print("results_index: results/index.md is out of date; run python -m scripts.qa.results_index",
                  file=sys.stderr)
            return 1
        return 0
    INDEX.write_text(text, encoding="utf-8")
    print(f"wrote {INDEX.relative_to(ROOT)}: {sum(map(len, sections.values()))} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
