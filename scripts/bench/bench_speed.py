#!/usr/bin/env python
"""Segmentation speed, memory and accuracy: tagger beside jieba (and pkuseg, THULAC if installed).

All tools segment the same raw text (default: the PKU test set) in this one process, warm:
each is loaded and run once on a few lines first, and model loading is timed apart. Prints
chars/s, ratios to tagger, F1 against the gold file, and, for both engines (torch, numpy), the
peak RSS of a separate `tagger segment FILE` process and the start-up time of
`echo 一句话 | tagger segment`; writes everything as JSON. Word/POS tagging is timed apart (the
shipped POS model, `tagger segment --pos`, beside jieba.posseg): it is the slower job, with 176
typed tags to score and decode instead of 4, and is not part of the segmentation ratios.
Run with nothing else on the machine; --threads should be the number of free cores. The model
runs at the precision `tagger.load` chooses (`precision` in the JSON); where that is bfloat16,
the row `tagger_float32` gives the same model in float32.

The roofline (`roofline` in the JSON, for each model and engine): the network's multiply-adds
per character (tagger.summary.multiply_adds_per_step), this machine's peak multiply-adds per
second (a float32 matrix product timed in the same run, same threads), and the share of that
peak the network reaches while segmenting; beside it, where the time of `segment_lines` goes:
the network, encoding (dictionary features included), Viterbi decoding, and the rest (cutting
lines into pieces, masks, assembling words), so the next bottleneck is visible. `--extra-model`
adds models (for example the shipped `fast` one) to the same run.

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.bench.bench_speed --threads 2 \\
        --model MODEL [--extra-model fast] --json results/speed/NAME.json

Start-up and end to end (`startup` in the JSON; `--startup-only` runs this section alone): what a
user waits for, whole processes timed from outside, each beside jieba's own in the same run.
The first call, `python -c "import tagger; tagger.lcut(SENTENCE)"` against
`python -c "import jieba; jieba.lcut(SENTENCE)"`; opening the default model, file to ready
network, warm (in one process, after a first load: the median of 7 loads, each listed); and `tagger segment FILE` (default
and fast models, engine auto) against `python -m jieba -d ' ' FILE` on 1 line and on 1, 10 and
100 copies of the text (172k, 1.7M and 17M characters of the PKU test text): wall seconds
(the median of --repeats runs; one run on 17M), peak RSS (the command's own process, and with
its --jobs workers together, sampled every 20 ms), the engine and the number of worker processes
the command chose, and jieba's wall over tagger's (above 1: tagger is faster).

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.bench.bench_speed --threads 2 \\
        --startup-only --json results/speed/startup.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from scripts.common import measure_tagger, pku_gold, pku_test, precision_of, read_lines, run_child
from tagger.files import write_json


def f1_of(predicted: list[list[str]], gold_path: str | None) -> float | None:
    if not gold_path:
        return None
    from tagger.metrics import score
    from tagger.textlines import read_lines
    gold = [line.split() for _, line in read_lines(gold_path)]
    if len(gold) != len(predicted):
        return None
    return round(score(gold, [[w for w in words if not w.isspace()] for words in predicted]).f1, 4)


def timed(segment_all, lines: list[str], repeats: int = 3) -> tuple[float, list[list[str]]]:
    """(best wall seconds of `repeats` runs over all lines, the output): every tool alike, warm
    (one run on a few lines first), as timeit does: the best run is the least disturbed one."""
    segment_all(lines[:20])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = segment_all(lines)
        best = min(best, time.perf_counter() - start)
    return best, out


def peak_multiply_adds(threads: int, size: int = 1024, repeats: int = 5) -> float:
    """Multiply-adds per second of a float32 square matrix product (torch's BLAS, `threads`
    threads): the best of `repeats`, the machine's practical peak for the network's layers."""
    import torch
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return size ** 3 / best


class Stopwatch:
    """Adds up the wall time spent inside wrapped callables, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, function):
        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        return timed_call


def roofline(segmenter, torch_model, lines: list[str], chars: int, peak: float) -> dict:
    """Where one warm `segment_lines` pass over `lines` spends its time, and the share of the
    machine's peak multiply-adds the network reaches (see the module docstring)."""
    from tagger.summary import multiply_adds_per_step
    per_char = multiply_adds_per_step(torch_model)
    watch = Stopwatch()
    segmenter.segment_lines(lines[:20])
    saved = segmenter.model.log_probs, segmenter.encoder.encode_batch, segmenter.decoder.viterbi
    segmenter.model.log_probs = watch.wrap("network", saved[0])
    segmenter.encoder.encode_batch = watch.wrap("encoding", saved[1])
    segmenter.decoder.viterbi = watch.wrap("decoding", saved[2])
    try:
        start = time.perf_counter()
        segmenter.segment_lines(lines)
        total = time.perf_counter() - start
    finally:
        for owner, name in ((segmenter.model, "log_probs"), (segmenter.encoder, "encode_batch"),
                            (segmenter.decoder, "viterbi")):
            del owner.__dict__[name]
    network = watch.seconds.get("network", 0.0)
    seconds = {name: round(value, 3) for name, value in watch.seconds.items()}
    seconds["rest"] = round(total - sum(watch.seconds.values()), 3)
    return {"multiply_adds_per_char": per_char, "peak_multiply_adds_per_s": round(peak),
            "network_multiply_adds_per_s": round(per_char * chars / network) if network else None,
            "share_of_peak": round(per_char * chars / network / peak, 4) if network else None,
            "seconds": {"total": round(total, 3), **seconds},
            "outside_network_share": round(1 - network / total, 3)}


def measure_model(name: str, model: str | None, lines: list[str], chars: int, gold: str | None, threads: int,
                  peak: float, results: dict, precision: str = "auto", engines: tuple = ("torch", "numpy")) -> None:
    """Both engines of one model: chars/s, F1 and the roofline, into results["tools"] and ["roofline"].
    The torch engine runs at `precision` (auto: as `tagger.load` chooses); the JSON says which."""
    import tagger
    from threadpoolctl import threadpool_limits  # numpy's BLAS threads (a scikit-learn dependency)
    torch_segmenter = tagger.load(model, precision=precision)
    chosen = precision_of(torch_segmenter)
    for engine in engines:
        with threadpool_limits(threads):
            segmenter = torch_segmenter if engine == "torch" else tagger.load(model, engine="numpy")
            seconds, out = timed(segmenter.segment_lines, lines)
            key = name if engine == "torch" else f"{name}_numpy_engine"
            results["tools"].setdefault(key, {}).update(chars_per_s=round(chars / seconds), f1=f1_of(out, gold),
                                                        precision=chosen if engine == "torch" else "float32")
            results["roofline"][key] = roofline(segmenter, torch_segmenter.model, lines, chars, peak)


def pos_speed(pos_model: str, lines: list[str], chars: int, gold: str | None) -> dict:
    """Word/POS tagging, warm, best of 3: the POS model over all lines at once (batched, as
    `tagger segment --pos` runs it), its words' F1 against a segmentation gold, and, if
    installed, jieba.posseg."""
    from tagger.posseg import POSTokenizer
    tokenizer = POSTokenizer(pos_model)
    tokenizer.initialize()

    def words(batch: list[str]) -> list[list[str]]:
        return [[p.word for p in pairs if not p.word.isspace()] for pairs in tokenizer.lcut_lines(batch)]
    seconds, out = timed(words, lines)
    figures = {"tagger_pos": {"chars_per_s": round(chars / seconds), "word_f1": f1_of(out, gold)}}
    try:
        import jieba.posseg
        seconds, out = timed(lambda ls: [[p.word for p in jieba.posseg.lcut(line)] for line in ls], lines)
        figures["jieba_posseg"] = {"chars_per_s": round(chars / seconds), "word_f1": f1_of(out, gold)}
    except ImportError:
        pass
    return figures


SENTENCE = "我们在北京大学研究生命的起源。"
OPENS = 7  # warm opens of the default model timed in one process (the median is reported)
E2E_COPIES = {"1 line": 0, "172k": 1, "1.7M": 10, "17M": 100}  # copies of the text; 0: SENTENCE alone


def _median_run(argv: list[str], repeats: int, env: dict, tree: bool = False) -> dict:
    """Median wall seconds and the largest peak RSS of `repeats` runs of a command (it must succeed);
    with `tree`, also the peak of its worker processes' and its own memory together."""
    runs = []
    for _ in range(repeats):
        done = run_child(argv, env=env, tree=tree)
        if done.returncode:
            raise SystemExit(f"{' '.join(argv)} failed with status {done.returncode}")
        runs.append(done)
    figures = {"wall_s": round(statistics.median(r.seconds for r in runs), 3),
               "peak_rss_mb": max(r.peak_mb for r in runs)}
    if tree:
        figures["peak_rss_mb_with_workers"] = max(r.tree_peak_mb for r in runs)
    return figures


def _child_output(code: str, env: dict) -> str:
    done = run_child([sys.executable, "-c", code], capture=True, env=env)
    if done.returncode:
        raise SystemExit(f"python -c {code!r} failed: {done.stderr.decode(errors='replace')[-300:]}")
    return done.stdout.decode().strip()


def startup_and_end_to_end(text_path: str, sizes: list[str], threads: int, repeats: int) -> dict:
    """The start-up and end-to-end section (see the module's docstring)."""
    env = {**os.environ, "TAGGER_THREADS": str(threads)}
    python = sys.executable
    figures: dict = {"sentence": SENTENCE, "repeats": repeats, "threads": threads}
    first = {"tagger": _median_run([python, "-c", f"import tagger; tagger.lcut({SENTENCE!r})"], repeats, env),
             "jieba": _median_run([python, "-c", f"import jieba; jieba.setLogLevel(60); jieba.lcut({SENTENCE!r})"],
                                  repeats, env)}
    first["tagger_over_jieba_wall"] = round(first["tagger"]["wall_s"] / first["jieba"]["wall_s"], 2)
    first["torch_imported"] = _child_output(
        f"import sys, tagger; tagger.lcut({SENTENCE!r}); print('torch' in sys.modules)", env) == "True"
    figures["first_call"] = first
    opens = [round(1000 * float(s), 1) for s in _child_output(
        "import time; from tagger.modelio import load_model; load_model('default', 'numpy')\n"
        f"for _ in range({OPENS}):\n"
        "    t = time.perf_counter(); load_model('default', 'numpy'); print(time.perf_counter() - t)", env).split()]
    figures["open_default_model_ms"] = statistics.median(opens)
    figures["open_default_model_ms_each"] = opens
    text = open(text_path, encoding="utf-8").read()
    figures["segment"] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = os.path.join(folder, f"{E2E_COPIES[size]}.txt")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(SENTENCE + "\n" if E2E_COPIES[size] == 0 else text * E2E_COPIES[size])
            chars = sum(len(line) for line in open(path, encoding="utf-8").read().splitlines())
            runs = 1 if E2E_COPIES[size] >= 100 else repeats  # the 17M-character runs take minutes each
            row: dict = {"chars": chars, "runs": runs,
                         "jieba_cli": _median_run([python, "-m", "jieba", "-d", " ", path], runs, env)}
            for model in ("default", "fast"):
                run = _median_run([python, "-m", "tagger", "segment", path, "--model", model, "--threads",
                                   str(threads)], runs, env, tree=True)
                run["engine"], run["jobs"] = _child_output(
                    "from tagger.engine import choose_engine, choose_jobs; from tagger.modelio import engine_threshold; "
                    f"print(choose_engine('auto', {path!r}, 'cpu', 'auto', engine_threshold({model!r})), "
                    f"choose_jobs(None, {path!r}, 'cpu', {threads}))", env).split()
                run["jobs"] = int(run["jobs"])
                run["jieba_over_tagger_wall"] = round(row["jieba_cli"]["wall_s"] / run["wall_s"], 2)
                row[model] = run
            figures["segment"][size] = row
            print(size, json.dumps(row), file=sys.stderr, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", help="raw text (default: $TAGGER_CORPORA/sighan2005/pku_test.utf8)")
    parser.add_argument("--gold", help="gold segmentation (default: the PKU test gold when --file is default)")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--pos-model", help="joint segmentation + POS model (default: the shipped one)")
    parser.add_argument("--extra-model", action="append", default=[], metavar="MODEL",
                        help="another model measured in the same run (both engines, roofline); repeatable")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--startup-only", action="store_true", help="run the start-up and end-to-end section alone")
    parser.add_argument("--sizes", default=",".join(E2E_COPIES),
                        help=f"start-up section: input sizes, comma-separated from {', '.join(E2E_COPIES)}")
    parser.add_argument("--repeats", type=int, default=3, help="start-up section: runs per command (the median)")
    args = parser.parse_args()
    path = args.file or str(pku_test())
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if any(s not in E2E_COPIES for s in sizes):
        raise SystemExit(f"--sizes: choose from {', '.join(E2E_COPIES)}")
    if args.startup_only:
        results = {"file": path, "startup": startup_and_end_to_end(path, sizes, args.threads, args.repeats)}
        print(json.dumps(results, indent=2, ensure_ascii=False))
        if args.json:
            write_json(args.json, results)
        return
    gold = args.gold or (None if args.file else str(pku_gold()))
    lines = read_lines(path)
    chars = sum(len(line) for line in lines)

    results: dict = {"file": path, "chars": chars, "lines": len(lines), "threads": args.threads, "tools": {}}
    # The child processes first, while this process is still small: Linux's peak-RSS figure of a
    # child counts the parent's memory at fork time, so forking from a process holding torch and
    # the models would inflate every child's peak.
    model_args = ["--model", args.model] if args.model else []
    results["startup"] = startup_and_end_to_end(path, sizes, args.threads, args.repeats)
    results["cli"] = {}
    for engine in ("torch", "numpy"):
        wall, peak = measure_tagger(["segment", path, "--threads", str(args.threads), "--engine", engine, *model_args])
        short, short_peak = measure_tagger(["segment", "--threads", str(args.threads), "--engine", engine, *model_args],
                                           stdin="一句话\n".encode())
        results["cli"][engine] = {"seconds": round(wall, 2), "chars_per_s_with_startup": round(chars / wall),
                                  "peak_rss_mb": peak, "startup_s": round(short, 2), "startup_peak_rss_mb": short_peak}
    wall, _ = measure_tagger(["segment", *model_args], stdin="一句话\n".encode())
    results["cli"]["startup_s_default"] = round(wall, 2)  # `echo 一句话 | tagger segment`: the auto engine
    pos_args = ["--pos", *(["--model", args.pos_model] if args.pos_model else [])]
    wall, peak = measure_tagger(["segment", path, "--threads", str(args.threads), "--engine", "torch", *pos_args])
    results["cli"]["pos"] = {"seconds": round(wall, 2), "chars_per_s_with_startup": round(chars / wall),
                             "peak_rss_mb": peak}

    start = time.perf_counter()
    import torch
    results["torch_import_s"] = round(time.perf_counter() - start, 2)
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    import tagger
    imported = time.perf_counter()
    tagger.load(args.model)
    loaded = time.perf_counter()
    peak = peak_multiply_adds(args.threads)
    results["roofline"] = {}
    measure_model("tagger", args.model, lines, chars, gold, args.threads, peak, results)
    results["tools"]["tagger"].update(import_s=round(imported - start, 2), load_s=round(loaded - imported, 2))
    if results["tools"]["tagger"]["precision"] != "float32":  # auto took bfloat16: float32 beside it
        measure_model("tagger_float32", args.model, lines, chars, gold, args.threads, peak, results,
                      precision="float32", engines=("torch",))
    for extra in args.extra_model:
        measure_model(f"tagger:{extra}", extra, lines, chars, gold, args.threads, peak, results)

    try:
        import jieba
        jieba.setLogLevel(60)
        jieba.initialize()
        seconds, out = timed(lambda ls: [jieba.lcut(line) for line in ls], lines)
        results["tools"]["jieba"] = {"chars_per_s": round(chars / seconds), "f1": f1_of(out, gold)}
    except ImportError:
        pass
    try:
        import pkuseg
        seg = pkuseg.pkuseg()
        seconds, out = timed(lambda ls: [seg.cut(line) for line in ls], lines)
        results["tools"]["pkuseg"] = {"chars_per_s": round(chars / seconds), "f1": f1_of(out, gold)}
    except ImportError:
        pass
    try:
        import thulac
        thu = thulac.thulac(seg_only=True)
        seconds, out = timed(lambda ls: [[w for w, _ in thu.cut(line)] for line in ls], lines)
        results["tools"]["thulac"] = {"chars_per_s": round(chars / seconds), "f1": f1_of(out, gold)}
    except ImportError:
        pass
    base = results["tools"]["tagger"]["chars_per_s"]
    for name, figures in results["tools"].items():
        figures["tagger_speed_ratio"] = round(base / figures["chars_per_s"], 2)
    results["pos"] = pos_speed(args.pos_model or tagger.POS_MODEL, lines, chars, gold)

    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
