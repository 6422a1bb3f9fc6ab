#!/usr/bin/env python
"""Cross-domain segmentation benchmark: tagger models beside jieba, THULAC and pkuseg.

Users segment their own text, not one bakeoff's test set, so every tool segments six test sets
from different sources and standards (news in three standards, social media, and the UD
treebank in Simplified and Traditional script). The input of each set is its gold words joined
without spaces, one line per gold line (MSR's raw file differs from its gold in 16 lines, so
the raw files are not used). Every output is scored with the bakeoff scorer
(`tagger.metrics.score`, as `tagger evaluate OUTPUT GOLD --words LIST` does); OOV words are
those missing from the set's training word list: the bakeoff's list for PKU and MSR, the
words of the corpus's training part elsewhere (as `tagger evaluate MODEL NAME` counts them).

The peers run in their own interpreter (`--peers-python`, a venv with jieba, pkuseg and
thulac) through scripts/bench/peer_runner.py; a peer that interpreter cannot import is skipped and
named. Their outputs never change, so `--cache DIR` keeps them between runs.

    TAGGER_CORPORA=/path/to/corpora python -m scripts.bench.bench_crossdomain --threads 1 \\
        --peers-python /path/to/peers/bin/python --cache results/crossdomain/cache

Prints one table of word F1 (rows: test sets and their mean; columns: tools) and writes the
figures as JSON (`-o`).
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from scripts.common import command_line, reporting_errors
from tagger import DEFAULT_MODEL, load
from tagger.files import write_json, write_text_atomic
from tagger.engine import PRECISIONS
from tagger.corpora import corpora_root, get_corpus, training_words
from tagger.errors import TaggerError
from tagger.metrics import score
from tagger.readers import Words, read_items, read_lines

PEERS = ("jieba", "thulac", "pkuseg")
PEER_RUNNER = Path(__file__).resolve().with_name("peer_runner.py")
DEFAULT_OUTPUT = "results/crossdomain/crossdomain.json"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class TestSet:
    """A gold file under the corpora root, and where its OOV reference words come from: a
    registered corpus name (`training_words(name)`) or a training file of the same format."""

    __test__ = False  # not a pytest class, despite the name

    name: str
    title: str
    gold: str
    fmt: str
    corpus: Optional[str] = None
    train_file: Optional[str] = None


SETS = (
    TestSet("pku", "PKU (SIGHAN 2005)", "sighan2005/pku_test_gold.utf8", "segmented", corpus="pku"),
    TestSet("msr", "MSR (SIGHAN 2005)", "sighan2005/msr_test_gold.utf8", "segmented", corpus="msr"),
    TestSet("ctb6", "CTB6 test", "ctb6/ctb6.test.seg", "segmented", corpus="ctb6"),
    TestSet("weibo", "Weibo (NLPCC 2016 dev)", "nlpcc2016_weibo/nlpcc2016-wordseg-dev.dat", "segmented",
            corpus="weibo"),
    TestSet("ud-s", "UD Chinese test, Simplified", "ud_chinese/test.conll", "conll", corpus="ud"),
    TestSet("ud-t", "UD Chinese test, Traditional", "ud_chinese/zh-ud-test.conllu", "conll",
            train_file="ud_chinese/zh-ud-train.conllu"),
)


@dataclass(frozen=True)
class ModelTool:
    """One tagger column: a model file run with one standard (None: the model's own)."""

    label: str
    path: str
    standard: Optional[str] = None


@dataclass
class LoadedSet:
    spec: TestSet
    gold_path: str
    gold: list[Words]
    lines: list[str]
    words: Optional[set[str]]
    words_source: Optional[str]

    @property
    def chars(self) -> int:
        return sum(map(len, self.lines))


# -- test sets ---------------------------------------------------------------------------------
def choose_sets(names: Optional[str]) -> list[TestSet]:
    """The sets named in a comma-separated list, in the table's order; all when None."""
    if names is None:
        return list(SETS)
    known = {s.name: s for s in SETS}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        raise TaggerError(f"unknown test set {', '.join(unknown) or repr(names)}; known: {', '.join(known)}")
    return [s for s in SETS if s.name in wanted]


def reference_words(spec: TestSet, root: Path) -> tuple[Optional[set[str]], Optional[str]]:
    """(the words that are not OOV, where they come from), or (None, None) if the set has none."""
    if spec.corpus:
        corpus = get_corpus(spec.corpus)
        return training_words(spec.corpus), corpus.words or f"words of {corpus.train.path} ({corpus.train.slice})"
    if spec.train_file:
        path = root / spec.train_file
        return {w for words in read_items(path, spec.fmt, "seg") for w in words}, str(path)
    return None, None


def read_gold(path: Path, fmt: str) -> list[Words]:
    """Gold words per line. A segmented file is read line for line, blank lines kept, as
    `tagger evaluate` reads it, so a saved output pairs with its gold file line by line; other
    formats give one line per sentence."""
    if fmt == "segmented":
        return [line.split() for _, line in read_lines(path)]
    return list(read_items(path, fmt, "seg"))


def load_set(spec: TestSet, root: Path) -> LoadedSet:
    """Read a gold file and make its raw input: each gold line's words joined without spaces."""
    path = root / spec.gold
    if not path.is_file():
        raise TaggerError(f"{path}: test set {spec.name!r} not found (is TAGGER_CORPORA right?)")
    gold = read_gold(path, spec.fmt)
    words, source = reference_words(spec, root)
    return LoadedSet(spec, str(path), gold, ["".join(words) for words in gold], words, source)


# -- tagger models -----------------------------------------------------------------------------
def model_label(path: str) -> str:
    """The shipped model is "tagger", as the README's tables call it; any other model its file stem."""
    return "tagger" if Path(path).resolve() == DEFAULT_MODEL.resolve() else Path(path).stem


def split_model_spec(spec: str) -> tuple[str, Optional[str]]:
    """`PATH` or `PATH:STANDARD` (a path that exists as given wins, colons and all)."""
    if os.path.isfile(spec):
        return spec, None
    path, colon, standard = spec.rpartition(":")
    if colon and os.path.isfile(path) and standard:
        return path, standard
    raise TaggerError(f"{spec}: no such model file")


def model_standards(segmenter) -> list[str]:
    """The standards a model lists: its metadata's `standards`, else a `standards` attribute."""
    return list(segmenter.metadata.get("standards") or getattr(segmenter, "standards", None) or [])


def takes_standard(segmenter) -> bool:
    return "standard" in inspect.signature(segmenter.segment_lines).parameters


def check_standard(path: str, segmenter, standard: str) -> None:
    """Fail before any text is segmented if the model cannot run with this standard."""
    known = model_standards(segmenter)
    if known and standard not in known:
        raise TaggerError(f"{path}: unknown standard {standard!r}; the model has {', '.join(known)}")
    if not known and (hasattr(segmenter, "standards") or not takes_standard(segmenter)):
        raise TaggerError(f"{path}: this model has no standards to choose from; drop ':{standard}'")


def model_tools(specs: Sequence[str], precision: str = "float32") -> tuple[list[ModelTool], dict[str, object]]:
    """The tagger columns for `--model` values, and each model file loaded once.

    `PATH:all` expands to every standard the model lists; a model that lists none runs once,
    with its own standard."""
    tools, loaded = [], {}
    for spec in specs:
        path, standard = split_model_spec(spec)
        if path not in loaded:
            loaded[path] = load(path, precision=precision)
        segmenter = loaded[path]
        if standard == "all":
            standards = model_standards(segmenter)
            if not standards:
                print(f"{path}: the model lists no standards; running it with its own", file=sys.stderr)
            chosen: list[Optional[str]] = standards or [None]
        else:
            chosen = [standard]
        for name in chosen:
            if name is not None:
                check_standard(path, segmenter, name)
            tools.append(ModelTool(model_label(path) + (f":{name}" if name else ""), path, name))
    labels = [t.label for t in tools]
    if len(set(labels)) < len(labels):  # two models with one stem: name them by path
        tools = [ModelTool(t.path + (f":{t.standard}" if t.standard else ""), t.path, t.standard) for t in tools]
    if len({t.label for t in tools}) < len(tools):
        raise TaggerError("the same model and standard are given twice")
    return tools, loaded


def run_model(segmenter, tool: ModelTool, lines: list[str]) -> tuple[list[Words], float]:
    """(words per line without whitespace tokens, seconds); `standard=` goes in only when given,
    so models without standards run as they are."""
    options = {"standard": tool.standard} if tool.standard else {}
    segmenter.segment_lines(lines[:8], **options)  # warm up, as the peers are
    start = time.perf_counter()
    output = segmenter.segment_lines(lines, **options)
    seconds = time.perf_counter() - start
    return [[w for w in words if w and not w.isspace()] for words in output], seconds


# -- peers -------------------------------------------------------------------------------------
def peer_environment(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    return env


def available_peers(python: str, wanted: Sequence[str], threads: int) -> tuple[dict[str, str], dict[str, str]]:
    """({peer: version} that `python` can import, {peer: why skipped})."""
    if shutil.which(python) is None:
        raise TaggerError(f"{python}: no such Python interpreter (--peers-python)")
    found, skipped = {}, {}
    for peer in wanted:
        done = subprocess.run([python, str(PEER_RUNNER), peer, "--check"], capture_output=True, text=True,
                              env=peer_environment(threads))
        if done.returncode == 0:
            found[peer] = done.stdout.strip()
        else:
            skipped[peer] = f"not importable by {python}"
    return found, skipped


def input_digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def read_output(path: Path) -> list[Words]:
    return [line.split() for line in path.read_text(encoding="utf-8").split("\n")[:-1]]


def cached_output(cache: Optional[Path], peer: str, item: LoadedSet) -> Optional[tuple[list[Words], float]]:
    """A peer's cached output for this set if it was made from the same input text."""
    if cache is None:
        return None
    meta_path, text_path = cache / peer / f"{item.spec.name}.json", cache / peer / f"{item.spec.name}.txt"
    if not (meta_path.is_file() and text_path.is_file()):
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("input_sha256") != input_digest(item.lines):
        return None
    output = read_output(text_path)
    return (output, meta["seconds"]) if len(output) == len(item.lines) else None


def run_peer(python: str, peer: str, items: list[LoadedSet], threads: int,
             cache: Optional[Path]) -> dict[str, tuple[list[Words], float, bool]]:
    """{set name: (words per line, seconds, from the cache)}; one peer process for all sets not
    cached, so its model loads once."""
    results: dict[str, tuple[list[Words], float, bool]] = {}
    todo = []
    for item in items:
        hit = cached_output(cache, peer, item)
        if hit is not None:
            results[item.spec.name] = (*hit, True)
        else:
            todo.append(item)
    if not todo:
        return results
    with tempfile.TemporaryDirectory(prefix="bench_crossdomain.") as scratch:
        work = Path(scratch)
        files = [(work / f"{item.spec.name}.in", work / f"{item.spec.name}.out") for item in todo]
        for item, (source, _) in zip(todo, files):
            source.write_text("".join(line + "\n" for line in item.lines), encoding="utf-8")
        timings_path = work / "timings.json"
        print(f"{peer}: segmenting {', '.join(i.spec.name for i in todo)}", file=sys.stderr)
        pairs = [str(path) for pair in files for path in pair]
        done = subprocess.run([python, str(PEER_RUNNER), peer, "--timings", str(timings_path), *pairs],
                              capture_output=True, text=True, env=peer_environment(threads))
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise TaggerError(f"{peer} failed with status {done.returncode}: {last}")
        timings = json.loads(timings_path.read_text(encoding="utf-8"))
        for item, (source, target) in zip(todo, files):
            output, seconds = read_output(target), timings["seconds"][str(source)]
            if len(output) != len(item.lines):
                raise TaggerError(f"{peer} gave {len(output)} lines for {len(item.lines)} on {item.spec.name}")
            results[item.spec.name] = (output, seconds, False)
            if cache is not None:
                save_to_cache(cache, peer, item, target.read_text(encoding="utf-8"), seconds, timings["version"])
    return results


def save_to_cache(cache: Path, peer: str, item: LoadedSet, text: str, seconds: float, version: str) -> None:
    folder = cache / peer
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / f"{item.spec.name}.txt", [text])
    write_json(folder / f"{item.spec.name}.json",
               {"tool": peer, "version": version, "set": item.spec.name, "gold": item.gold_path,
                "input_sha256": input_digest(item.lines), "seconds": seconds})


# -- scoring and report ------------------------------------------------------------------------
def figures(item: LoadedSet, output: list[Words], seconds: float, cached: bool = False) -> dict:
    """One tool's scores on one set, the bakeoff scorer's figures plus speed."""
    result = score(item.gold, output, item.words)
    return {"f1": result.f1, "precision": result.precision, "recall": result.recall,
            "oov_rate": result.oov_rate, "oov_recall": result.oov_recall, "iv_recall": result.iv_recall,
            "gold_words": result.gold_words, "pred_words": result.pred_words,
            "mismatched_lines": len(result.mismatched_lines), "seconds": round(seconds, 3),
            "chars_per_s": round(item.chars / seconds) if seconds > 0 else None, "cached": cached}


def safe_name(label: str) -> str:
    return re.sub(r"[^\w.-]", "_", label)


def save_output(outputs: Optional[Path], label: str, item: LoadedSet, output: list[Words]) -> None:
    """Keep a tool's segmented text for reading errors: one line per gold line, words spaced."""
    if outputs is None:
        return
    folder = outputs / safe_name(label)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / f"{item.spec.name}.txt", (" ".join(words) + "\n" for words in output))


def format_table(items: list[LoadedSet], results: dict[str, dict[str, dict]]) -> str:
    """Markdown table of word F1: a row per set and a mean row, a column per tool."""
    tools = list(results)
    rows = [[item.spec.title, *(f"{results[t][item.spec.name]['f1']:.4f}" for t in tools)] for item in items]
    rows.append([f"mean of the {len(items)}", *(f"{mean_f1(results[t]):.4f}" for t in tools)])
    header = ["test set (word F1)", *tools]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def mean_f1(per_set: dict[str, dict]) -> float:
    return statistics.fmean(v["f1"] for v in per_set.values())


def run_benchmark(items: list[LoadedSet], tools: list[ModelTool], segmenters: dict[str, object],
                  peers: dict[str, str], peers_python: Optional[str], threads: int,
                  cache: Optional[Path] = None, outputs: Optional[Path] = None) -> dict[str, dict[str, dict]]:
    """{tool label: {set name: figures}}: each tagger column, then each available peer."""
    results: dict[str, dict[str, dict]] = {}
    for tool in tools:
        results[tool.label] = {}
        for item in items:
            output, seconds = run_model(segmenters[tool.path], tool, item.lines)
            save_output(outputs, tool.label, item, output)
            results[tool.label][item.spec.name] = figures(item, output, seconds)
            print(f"{tool.label} on {item.spec.name}: F1 {results[tool.label][item.spec.name]['f1']:.4f} "
                  f"({seconds:.1f} s)", file=sys.stderr)
    for peer in peers:
        by_set = run_peer(peers_python, peer, items, threads, cache)
        results[peer] = {}
        for item in items:
            output, seconds, cached = by_set[item.spec.name]
            save_output(outputs, peer, item, output)
            results[peer][item.spec.name] = figures(item, output, seconds, cached)
    return results


def code_state() -> dict:
    """Which tagger code made the figures: its folder, git commit and uncommitted files there, as
    figures from a working tree with changes in progress differ from the commit's."""
    import tagger
    folder = Path(tagger.__file__).resolve().parent

    def git(*args: str) -> Optional[str]:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
        except OSError:
            return None
        return done.stdout if done.returncode == 0 else None
    commit, changes = git("rev-parse", "HEAD"), git("status", "--porcelain", "--", ".")
    return {"path": str(folder), "commit": commit and commit.strip(),
            "uncommitted": None if changes is None else [line[3:] for line in changes.splitlines()]}


def report(command: str, threads: int, items: list[LoadedSet], tools: list[ModelTool], peers: dict[str, str],
           skipped: dict[str, str], results: dict[str, dict[str, dict]]) -> dict:
    """Everything the table is regenerated from, and how it was made."""
    described = {t.label: {"kind": "tagger", "model": t.path, "standard": t.standard} for t in tools}
    described.update({p: {"kind": "peer", "version": v} for p, v in peers.items()})
    return {
        "command": command,
        "threads": threads,
        "tagger_code": code_state(),
        "sets": {i.spec.name: {"title": i.spec.title, "gold": i.gold_path, "format": i.spec.fmt,
                               "oov_words": i.words_source, "lines": len(i.lines), "chars": i.chars}
                 for i in items},
        "tools": described,
        "skipped": skipped,
        "results": results,
        "mean_f1": {label: mean_f1(per_set) for label, per_set in results.items()},
    }


# -- command line ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="cross-domain segmentation benchmark: tagger models and the peers")
    parser.add_argument("--model", action="append", metavar="PATH[:STANDARD]",
                        help="a tagger model, optionally with a standard, or PATH:all for every standard it "
                             "lists (repeatable; default: the shipped model)")
    parser.add_argument("--sets", help=f"comma-separated test sets (default: all of {', '.join(s.name for s in SETS)})")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated peers to run, or 'none' (default: {','.join(PEERS)})")
    parser.add_argument("--peers-python", default=sys.executable,
                        help="the interpreter that has jieba, pkuseg and thulac (default: this one); "
                             "peers it cannot import are skipped")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for tagger, and the BLAS/OpenMP thread variables for the peers")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS,
                        help="what BiLSTM models compute in (default float32: the same figures on every machine)")
    parser.add_argument("--cache", type=Path, help="keep the peers' outputs here and reuse them")
    parser.add_argument("--outputs", type=Path, help="also write every tool's segmented text here, TOOL/SET.txt")
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help=f"JSON results (default: {DEFAULT_OUTPUT})")
    return parser


def chosen_peers(value: str) -> list[str]:
    if value.strip() == "none":
        return []
    wanted = [p.strip().lower() for p in value.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PEERS]
    if unknown:
        raise TaggerError(f"unknown peer {', '.join(unknown)}; known: {', '.join(PEERS)}, or none")
    return wanted


def run(args: argparse.Namespace, command: str) -> int:
    if args.threads < 1:
        raise TaggerError("--threads must be at least 1")
    import torch
    torch.set_num_threads(args.threads)
    specs = choose_sets(args.sets)
    wanted_peers = chosen_peers(args.peers)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    root = corpora_root()
    tools, segmenters = model_tools(args.model or [str(DEFAULT_MODEL)], args.precision)
    peers, skipped = available_peers(args.peers_python, wanted_peers, args.threads) if wanted_peers else ({}, {})
    for peer, why in skipped.items():
        print(f"skipping {peer}: {why}", file=sys.stderr)
    items = [load_set(spec, root) for spec in specs]
    results = run_benchmark(items, tools, segmenters, peers, args.peers_python, args.threads, args.cache,
                            args.outputs)
    write_json(output, report(command, args.threads, items, tools, peers, skipped, results))
    print(format_table(items, results))
    print(f"written to {output}", file=sys.stderr)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    command = command_line("scripts.bench.bench_crossdomain", argv)
    return reporting_errors("bench_crossdomain", lambda: run(args, command))


if __name__ == "__main__":
    sys.exit(main())
