#!/usr/bin/env python
"""NER benchmark: the shipped NER model (or any NER model) beside Baidu's LAC, in one run.

Three test sets, entity F1 per type (exact start, end and type, conlleval's definition):
- MSRA NER test (`msra_ner/test_with_label.txt`), PER/LOC/ORG: it tags no times, so TIME
  predictions are left out of its score (for every tool alike);
- the PD 1998 NER dev split (`pd1998-ner:dev`: paragraphs i % 20 == 19 of 199801.txt, which the
  shipped model never trained on; its rules in tagger/pdner.py), PER/LOC/ORG/TIME;
- Resume NER test (`resume_ner/test.char.bmes`, CVs of company executives: a domain neither
  training corpus covers), its NAME scored as PER, with its ORG and LOC; its other types
  (titles, schools, nationalities...) and every tool's TIME are left out. Its conventions
  differ from both training corpora's: an ORG there stops before a department
  ("X公司" in "X公司财务部"), so this row measures a model outside its conventions too.

The model is scored with its default standard (what `tagger tag` and `tagger.ner` give) and,
for a multi-standard model, with each test set's own standard where it has one. Speed: chars/s
of `label_lines` through the API over the MSRA test text, `--threads` threads, warm, best of
`--repeats`, with `tagger.load(MODEL)` (engine "auto": float32) and with
`tagger.load(MODEL, engine="torch")` (precision "auto": bfloat16 where the CPU computes it
natively; its entities are then scored too, as they may differ); and the peak RSS of
`tagger tag` on that text in a child process.

LAC runs in its own interpreter (`--lac-python`, a venv with LAC 2.1.2 and paddlepaddle 2.6;
scripts/bench/lac_runner.py, see ../shared/PEERS.md); it is skipped and named when that
interpreter cannot import it.

    TAGGER_CORPORA=/path/to/corpora python -m scripts.bench.bench_ner --threads 2 \\
        --lac-python /path/to/lac-venv/bin/python --json results/ner/ner.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from scripts.common import command_line, machine, precision_of, reporting_errors, run_tagger
from tagger import load
from tagger.files import write_json
from tagger.corpora import get_corpus, read_part
from tagger.entities import entity_score
from tagger.tasks import Task

LAC_RUNNER = Path(__file__).resolve().with_name("lac_runner.py")
# name: (corpus, split, the types scored, the gold's type names renamed to the model's)
SETS = {"msra-ner test": ("msra-ner", "test", ("PER", "LOC", "ORG"), {}),
        "pd1998-ner dev": ("pd1998-ner", "dev", ("PER", "LOC", "ORG", "TIME"), {}),
        "resume test": ("resume", "test", ("PER", "LOC", "ORG"), {"NAME": "PER"})}


def gold_set(corpus: str, split: str, rename: dict | None = None) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """(texts, gold spans) of a corpus part, whether its reader gives spans or tags; the types
    in `rename` take their new names."""
    rename = rename or {}
    task = Task("ner")
    samples = [task.sample(item) for item in read_part(getattr(get_corpus(corpus), split), task="ner")]
    return ["".join(s.text) for s in samples], [[(a, b, rename.get(t, t)) for a, b, t in s.spans] for s in samples]


def scored(gold: Sequence, predicted: Sequence, kinds: Sequence[str]) -> dict:
    """Entity P/R/F1 overall and per type, gold and predictions of other types left out."""
    def kept(lines):
        return [[s for s in spans if s[2] in kinds] for spans in lines]
    summary = entity_score(kept(gold), kept(predicted)).summary()
    return {"f1": round(summary["f1"], 4), "precision": round(summary["precision"], 4),
            "recall": round(summary["recall"], 4),
            "by_type": {k: round(v["f1"], 4) for k, v in summary["by_label"].items()}}


def api_speed(model, texts: list[str], repeats: int) -> int:
    """Chars/s of label_lines over `texts`, warm, best of `repeats`."""
    model.label_lines(texts[:200])
    best = min(_timed(model.label_lines, texts) for _ in range(repeats))
    return round(sum(map(len, texts)) / best)


def _timed(run, texts) -> float:
    start = time.perf_counter()
    run(texts)
    return time.perf_counter() - start


def tag_peak_mb(model: str, text_path: str, threads: int) -> int:
    done = run_tagger(["tag", text_path, "--model", model, "--threads", str(threads), "-o", os.devnull])
    if done.returncode:
        raise SystemExit(f"tagger tag {text_path} failed with status {done.returncode}")
    return done.peak_mb


def run_lac(python: str, texts: list[str], threads: int) -> dict | None:
    """{"spans": [...], "seconds": s} from LAC in its own interpreter, or None when it is missing."""
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "in.txt", Path(folder) / "out.json"
        source.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "CPU_NUM": str(threads)}
        done = subprocess.run([python, str(LAC_RUNNER), str(source), str(out)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode:
            print(f"bench_ner: LAC skipped: {done.stderr.strip().splitlines()[-1:] or done.returncode}",
                  file=sys.stderr)
            return None
        return json.loads(out.read_text(encoding="utf-8"))


def tag_peak_of_msra(model: str, threads: int) -> int:
    """Peak RSS of `tagger tag` over the MSRA NER test text, in its own process."""
    texts, _ = gold_set(*SETS["msra-ner test"][:2])
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as handle:
        handle.write("".join(t + "\n" for t in texts))
    try:
        return tag_peak_mb(model, handle.name, threads)
    finally:
        os.unlink(handle.name)


def bench(args) -> int:
    # first, while this process is small: a child's peak RSS counts its parent's memory at the fork
    tag_peak = tag_peak_of_msra(args.model, args.threads)
    model = load(args.model, threads=args.threads)
    if model.task.name != "ner":
        raise SystemExit(f"bench_ner: {args.model} is a {model.task.name} model, not NER")
    torch_model = load(args.model, engine="torch", threads=args.threads)  # precision "auto"
    torch_precision = precision_of(torch_model)
    default = model.encoder.default_standard
    results: dict = {"command": command_line("scripts.bench.bench_ner", sys.argv[1:]), "model": str(args.model),
                     "standards": list(model.standards), "default_standard": default,
                     "machine": machine(), "threads": args.threads, "sets": {}, "notes": [
                         "entity F1, exact spans; MSRA NER test scored on PER/LOC/ORG (TIME predictions left out)",
                         "pd1998-ner dev: PD 1998-01 paragraphs i % 20 == 19, never trained on",
                         "resume test: another domain (CVs); NAME scored as PER, with ORG and LOC; other types left out"]}
    msra_texts: list[str] = []
    lac_python = args.lac_python
    for name, (corpus, split, kinds, rename) in SETS.items():
        texts, gold = gold_set(corpus, split, rename)
        msra_texts = msra_texts or texts
        row = {"kinds": list(kinds), "lines": len(texts), "chars": sum(map(len, texts)),
               "tagger": {f"standard {default}": scored(gold, model.label_lines(texts), kinds)}}
        if torch_precision != "float32":  # the faster engine's own entities, where they may differ
            row["tagger"][f"standard {default}, torch engine in {torch_precision}"] = \
                scored(gold, torch_model.label_lines(texts), kinds)
        if corpus in model.standards and corpus != default:
            row["tagger"][f"standard {corpus}"] = scored(gold, model.label_lines(texts, standard=corpus), kinds)
        if lac_python:
            lac = run_lac(lac_python, texts, args.threads)
            if lac is None:
                lac_python = None
            else:
                row["lac"] = scored(gold, [[tuple(s) for s in line] for line in lac["spans"]], kinds)
                row["lac"]["chars_per_s"] = round(row["chars"] / lac["seconds"])
        results["sets"][name] = row
        print(f"{name}: " + json.dumps(row, ensure_ascii=False), file=sys.stderr)
    results["chars_per_s"] = api_speed(model, msra_texts, args.repeats)
    results["chars_per_s_torch_engine"] = api_speed(torch_model, msra_texts, args.repeats)
    results["torch_engine_precision"] = torch_precision
    results["tag_peak_rss_mb"] = tag_peak
    results["model_mb"] = round(os.path.getsize(_model_file(args.model)) / 1e6, 1)
    results["lac"] = "measured" if lac_python else "not installed (--lac-python)"
    print(json.dumps({k: results[k] for k in ("chars_per_s", "chars_per_s_torch_engine", "torch_engine_precision",
                                              "tag_peak_rss_mb", "model_mb")}), file=sys.stderr)
    if args.json:
        write_json(args.json, results)
    return 0


def _model_file(model: str) -> str:
    from tagger.modelio import resolve
    return str(resolve(model))


def ner_bench_parser(description: str) -> argparse.ArgumentParser:
    """The options every NER benchmark beside LAC takes: --model, --threads, --lac-python, --json."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="ner", help="NER model file or shipped name (default: ner)")
    parser.add_argument("--threads", type=int, default=2, help="threads for tagger and LAC")
    parser.add_argument("--lac-python", help="interpreter of a venv with LAC (default: LAC is not run)")
    parser.add_argument("--json", help="write the results here")
    return parser


def main() -> None:
    parser = ner_bench_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=2, help="speed runs; the best counts")
    args = parser.parse_args()
    sys.exit(reporting_errors("bench_ner", lambda: bench(args)))


if __name__ == "__main__":
    main()
