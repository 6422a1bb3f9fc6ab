"""The `tagger` command line: a thin layer over the package's functions.

Exit status: 0 success, 1 a user error (printed as one line, no traceback), 2 bad usage.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from datetime import datetime, timezone
from typing import Sequence

from . import DEFAULT_MODEL, __version__
from .atomic import check_writable, write_json, write_text_atomic
from .errors import EmptyDevError, TaggerError

AUTO_NUMPY_BYTES = 256_000  # `segment --engine auto`: smaller inputs skip the torch import
CHOSEN = "default: chosen from the corpus size and task (docs/training.md)"



def _add_learning_options(p) -> None:
    """Model and training options shared by `train` and `cv`."""
    p.add_argument("--format", default="auto", choices=["auto", "segmented", "pd1998", "msra", "conll", "columns"],
                   help="corpus format; auto: sniffed from the file")
    p.add_argument("--task", choices=["seg", "pos", "ner"],
                   help="seg (words), pos (joint words + POS), ner (entities); default: the corpus's, "
                        "else inferred from the format (tag columns -> ner, otherwise seg)")
    p.add_argument("--units", choices=["chars", "words"],
                   help="chars (Chinese) or words (whitespace tokens, English; a char CNN reads each word); "
                        "default: the corpus's, else words when a column file's units are multi-letter words")
    p.add_argument("--epochs", type=int, help=f"most epochs; {CHOSEN} (with --final: 20)")
    p.add_argument("--batch-chars", type=int, help=f"characters per mini-batch; {CHOSEN}")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    p.add_argument("--patience", type=int,
                   help=f"epochs without a dev F1 gain before stopping (counted once dev F1 is above 0); {CHOSEN}")
    p.add_argument("--lr-decay", type=float, default=0.5, help="multiply the learning rate by this when dev F1 stalls")
    p.add_argument("--lr-patience", type=int, help=f"... for more than this many epochs; {CHOSEN}")
    p.add_argument("--seed", type=int, default=1, help="random seed (initial weights, batch order, dropout)")
    p.add_argument("--char-dim", type=int, default=100, help="character embedding size")
    p.add_argument("--bigram-dim", type=int, default=50, help="0 disables bigram features")
    p.add_argument("--hidden", type=int, default=200, help="LSTM units per direction")
    p.add_argument("--layers", type=int, default=1, help="stacked BiLSTM layers")
    p.add_argument("--dropout", type=float, help=f"embedding and LSTM dropout; {CHOSEN}")
    p.add_argument("--embed-dropout", type=float, metavar="P",
                   help="dropout on the concatenated embeddings only (default: --dropout)")
    p.add_argument("--lstm-dropout", type=float, metavar="P",
                   help="dropout between LSTM layers and on the LSTM output only (default: --dropout)")
    p.add_argument("--crf", action=argparse.BooleanOptionalAction,
                   help="learn tag-transition scores (BiLSTM-CRF) instead of softmax + constrained Viterbi alone; "
                        f"{CHOSEN}")
    p.add_argument("--bigram-min-count", type=int, default=3, help="rarer bigrams share the <unk> embedding")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="score and keep a moving average of the weights, e.g. 0.999 (0: off)")
    p.add_argument("--unk-dropout", type=float, default=0.0,
                   help="share of bigram ids replaced by <unk> while training (robustness to unseen bigrams)")
    p.add_argument("--no-classes", action="store_true", help="do not map digits/Latin letters to classes")
    p.add_argument("--dictionary", metavar="SOURCES",
                   help="dictionary features from comma-separated sources: 'jieba' (jieba's dictionary; "
                        "open setting), 'train' (the corpus's own words, jackknifed), or word-list files; "
                        f"'none' for none; {CHOSEN}")
    p.add_argument("--char-vectors", metavar="FILE",
                   help="start the character embeddings from these pretrained vectors (word2vec text format; "
                        "scripts/pretrain_embeddings.py writes them)")
    p.add_argument("--bigram-vectors", metavar="FILE", help="... and the bigram embeddings from these")
    p.add_argument("--max-minutes", type=float,
                   help=f"training time budget per run, 0 for none; {CHOSEN}")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--skip-bad-lines", action="store_true",
                   help="count and skip malformed corpus lines instead of stopping at the first")
    p.add_argument("--quiet", action="store_true", help="no progress messages (no epoch log, no recipe line)")


def _or(value, default):
    """`value` unless the option was left out (None); 0.0 is a real choice, so no `or`."""
    return default if value is None else value


def _configs(args):
    """(ModelConfig, TrainConfig) of the options; those left out that the recipe chooses
    (tagger/recipe.py) are listed in TrainConfig.auto and filled in from the corpus."""
    from .model import ModelConfig
    from .recipe import MODEL_SETTINGS, SETTINGS
    from .train import TrainConfig
    given = {"epochs": args.epochs, "batch_chars": args.batch_chars, "patience": args.patience,
             "lr_patience": args.lr_patience, "max_minutes": args.max_minutes, "crf": args.crf,
             "embed_dropout": _or(args.embed_dropout, args.dropout),
             "lstm_dropout": _or(args.lstm_dropout, args.dropout),
             "dictionary": "" if args.dictionary == "none" else args.dictionary}
    if getattr(args, "final", False):  # a final model's epochs are a count to run, not a cap
        given["epochs"] = _or(args.epochs, TrainConfig.epochs)
    auto = tuple(name for name in SETTINGS if given.get(name) is None)
    model_given = {k: v for k, v in given.items() if v is not None and k in MODEL_SETTINGS}
    train_given = {k: v for k, v in given.items() if v is not None and k not in MODEL_SETTINGS}
    model_config = ModelConfig(char_dim=args.char_dim, bigram_dim=args.bigram_dim, hidden=args.hidden,
                               layers=args.layers, **model_given)
    train_config = TrainConfig(lr=args.lr, lr_decay=args.lr_decay,
                               seed=args.seed, bigram_min_count=args.bigram_min_count,
                               classes=not args.no_classes, threads=args.threads,
                               unk_dropout=args.unk_dropout, ema=args.ema,
                               device=_device(args.device), char_vectors=args.char_vectors or "",
                               bigram_vectors=args.bigram_vectors or "", auto=auto, **train_given)
    return model_config, train_config


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """--help that names every option's default: "(default: X)", "(default: off)" for a flag,
    "(default: none)" for an unset one, or the option's own text where it says "default"."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        if "default" in text or not action.option_strings or action.required or action.default is argparse.SUPPRESS:
            return text
        if action.nargs == 0:
            return f"{text} (default: off)".strip()
        if action.default in (None, ""):
            return f"{text} (default: none)".strip()
        return f"{text} (default: %(default)s)".strip()


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a BiLSTM segmenter on a segmented corpus", formatter_class=_DefaultsHelp)
    p.add_argument("corpus", help="corpus file, or a name under $TAGGER_CORPORA "
                                  "(pku, pku-aligned, msr, ctb6, weibo, ud, ...)")
    p.add_argument("--dev", help="dev corpus (file or name); default: every 20th sentence of CORPUS")
    p.add_argument("-o", "--output", required=True, help="model file to write")
    _add_learning_options(p)
    p.add_argument("--final", action="store_true",
                   help="train on all the data (dev included, nothing held out) for a fixed number of epochs")
    p.add_argument("--cv-table", help="with --final: take the epochs from this `tagger cv` CSV (mean best epoch)")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the file size)")
    p.add_argument("--no-test", action="store_true", help="do not score a named corpus's test set")
    p.add_argument("--no-plot", action="store_true", help="do not draw the learning-curve PNG")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted training from MODEL.ckpt (written after every epoch)")


def _add_cv(sub) -> None:
    p = sub.add_parser("cv", help="k-fold cross-validation (with repeats): mean, std and 95%% interval",
                       formatter_class=_DefaultsHelp)
    p.add_argument("corpus", help="corpus file or name (its training text, dev included; never its test set)")
    p.add_argument("--folds", type=int, default=5, help="parts the corpus is cut into; each is held out once")
    p.add_argument("--repeats", type=int, default=1, help="times the k folds are drawn anew (other seeds)")
    p.add_argument("-o", "--output", default="cv", help="output prefix: PREFIX.csv, PREFIX.md, PREFIX.png")
    _add_learning_options(p)


def _add_plot(sub) -> None:
    p = sub.add_parser("plot", help="learning curves of saved histories on one chart, with a diagnosis")
    p.add_argument("histories", nargs="+", help="history CSV files written by train or cv")
    p.add_argument("-o", "--output", default="curves.png", help="the PNG to draw")


def _add_explain(sub) -> None:
    p = sub.add_parser("explain", help="tag probabilities and LSTM activations per character, as a heatmap")
    p.add_argument("text", help="the text to explain (one line)")
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.add_argument("-o", "--output", default="explain.html", help="an .html page or a .png image")
    p.add_argument("--units", type=int, default=8, help="units shown per layer, direction and state")
    _add_standard_option(p)


def _add_export(sub) -> None:
    p = sub.add_parser("export", help="export a model as TorchScript or ONNX (plus a JSON vocabulary file)")
    p.add_argument("model", nargs="?", help="model file (default: the shipped model)")
    p.add_argument("--format", default="torchscript", choices=["torchscript", "onnx"],
                   help="TorchScript (torch.jit.trace) or ONNX (needs tagger[export])")
    p.add_argument("-o", "--output", required=True, help="the exported file (OUT.json beside it holds the vocabularies and tags)")


def _add_summary(sub) -> None:
    p = sub.add_parser("summary", help="layers, output shapes and parameter counts of a model")
    p.add_argument("model", nargs="?", help="model file (default: the shipped model)")


def _add_segment(sub) -> None:
    p = sub.add_parser("segment", help="segment text into words (one output line per input line)")
    p.add_argument("file", nargs="?", default="-", help="input text, UTF-8; '-' or nothing for stdin")
    p.add_argument("--model", action="append",
                   help="model file (default: the shipped model); give it 2+ times for an ensemble of "
                        "models trained alike (the mean of their tag probabilities)")
    p.add_argument("-o", "--output", help="write here (atomically) instead of stdout")
    p.add_argument("--delimiter", default=" ", help="between words (default: one space)")
    p.add_argument("--batch-lines", type=int, default=512, help="lines read and tagged together")
    p.add_argument("--batch-chars", type=int, default=5000,
                   help="characters per network batch (peak memory grows with it)")
    p.add_argument("--threads", type=int, help="threads for every pool the engine uses (default: the cores free now)")
    p.add_argument("--encoding", default="utf-8", help="input encoding (utf-8, gb18030, big5, ...)")
    p.add_argument("--errors", default="strict", choices=["strict", "replace"],
                   help="undecodable input bytes: stop with an error naming the line, or replace with U+FFFD")
    p.add_argument("--user-dict", help="jieba-format dictionary (`word [freq] [tag]`); its words are kept whole")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (each with one torch thread)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (with --jobs 1)")
    p.add_argument("--pos", action="store_true",
                   help="print word/POS with the shipped POS model, or a --model trained with --task pos")
    p.add_argument("--engine", default="auto", choices=["auto", "torch", "numpy"],
                   help="numpy: no torch import, starts in under a second; torch: faster on long inputs, "
                        f"GPU. auto: numpy for stdin and files under {AUTO_NUMPY_BYTES // 1000} KB, else torch")
    _add_standard_option(p)


def _add_standard_option(p) -> None:
    p.add_argument("--standard", metavar="NAME",
                   help="segmentation standard of a multi-criteria model (`tagger info` lists them; "
                        "default: the model's own default standard)")


def _add_tag(sub) -> None:
    p = sub.add_parser("tag", help="label text with a model: entities (ner), words and POS (pos), words (seg)")
    p.add_argument("file", nargs="?", default="-", help="input text, UTF-8; '-' or nothing for stdin")
    p.add_argument("--model", help="model file (default: the shipped segmentation model)")
    p.add_argument("-o", "--output", help="write here (atomically) instead of stdout")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "conll"],
                   help="jsonl: one JSON object per input line with spans {text, start, end, label} "
                        "(character offsets into the line); conll: one row per character (ner) or word")
    p.add_argument("--batch-lines", type=int, default=512, help="lines read and tagged together")
    p.add_argument("--threads", type=int, help="threads for every pool the engine uses (default: the cores free now)")
    p.add_argument("--encoding", default="utf-8", help="input encoding (utf-8, gb18030, big5, ...)")
    p.add_argument("--errors", default="strict", choices=["strict", "replace"],
                   help="undecodable input bytes: stop with an error naming the line, or replace with U+FFFD")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    _add_standard_option(p)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="score a model or a segmented output against gold (SIGHAN)")
    p.add_argument("prediction", nargs="+",
                   help="a model file, or a segmented output file; two or more model files (trained alike) "
                        "are scored as one ensemble, the mean of their tag probabilities")
    p.add_argument("gold", help="gold segmented file, a corpus name (its test set and word list), or "
                                "NAME:dev (its dev split, OOV against its training words)")
    p.add_argument("--words", help="training word list, one word a line, for OOV/IV recall")
    p.add_argument("--format", default="auto", choices=["auto", "segmented", "pd1998", "msra", "conll"],
                   help="format of the gold file")
    p.add_argument("--json", help="also write the scores here as JSON")
    p.add_argument("--standard", metavar="NAME",
                   help="standard a multi-criteria model follows (default: the gold corpus's own when the "
                        "model has it, else the model's default)")
    p.add_argument("--top-errors", type=int, default=0, metavar="N",
                   help="also list the N most frequent disagreements (gold -> output; * marks "
                        "gold words the word list lacks), and put them in the JSON")
    p.add_argument("--threads", type=int, help="threads for every pool the engine uses (default: the cores free now)")


def _add_info(sub) -> None:
    p = sub.add_parser("info", help="show a model file's configuration and metadata")
    p.add_argument("model", nargs="?", help="model file (default: the shipped model)")


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="HTTP service (JSON endpoints and a page at /); needs tagger[serve]",
                       formatter_class=_DefaultsHelp)
    p.add_argument("--model", help="model file served by /segment, /tag and /explain (default: the shipped model)")
    p.add_argument("--pos-model", help="joint segmentation + POS model for /segment with pos "
                                       "(default: the shipped POS model; a POS --model serves it itself)")
    p.add_argument("--no-pos", action="store_true", help="load no POS model")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8000, help="port to listen on")
    p.add_argument("--threads", type=int, help="torch threads (default: the cores free now)")
    p.add_argument("--max-body-bytes", type=int, default=1_000_000, help="largest request body")
    p.add_argument("--max-texts", type=int, default=1_000, help="texts per request")
    p.add_argument("--max-chars", type=int, default=10_000, help="characters per text")
    p.add_argument("--max-explain-chars", type=int, default=1_000, help="characters of an /explain text")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn's log level")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tagger", description="BiLSTM Chinese word segmentation")
    parser.add_argument("--version", action="version", version=f"tagger {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_segment(sub)
    _add_tag(sub)
    _add_evaluate(sub)
    _add_cv(sub)
    _add_plot(sub)
    _add_summary(sub)
    _add_explain(sub)
    _add_export(sub)
    _add_info(sub)
    _add_serve(sub)
    for command in sub.choices.values():  # every command's --help names each default
        command.formatter_class = _DefaultsHelp
    return parser


# -- commands ------------------------------------------------------------------------------
def _set_threads(threads: int | None, engine: str = "torch") -> None:
    """Cap every thread pool of the engine at --threads, or at the cores free now (tagger/threads.py)."""
    from .threads import set_threads
    set_threads(threads, engine)


def cmd_train(args) -> int:
    check_writable(args.output)  # before torch is imported and the corpus read
    from .corpora import corpus_list, standard_name, training_parts
    from .train import Trainer

    model_config, train_config = _configs(args)
    _set_threads(args.threads)
    specs = corpus_list(args.corpus)
    if specs and args.dev:
        raise TaggerError("--dev takes one corpus; trained on several, each corpus's own dev split is used")
    if specs:
        names = [standard_name(spec) for spec in specs]
        if len(set(names)) < len(names):
            raise TaggerError(f"{args.corpus}: two corpora would have the same standard name ({', '.join(names)})")
        sources = {name: (spec, *training_parts(spec, None, args.format)) for name, spec in zip(names, specs)}
        train_config.task = task = args.task or "seg"
        train_config.units = "chars"
    else:
        sources = {None: (args.corpus, *training_parts(args.corpus, args.dev, args.format))}
        train_part = sources[None][1]
        train_config.task = task = _task_of(args, train_part)
        train_config.units = _units_of(args, train_part, task)
    metadata = {"corpus": args.corpus, "task": task, "dev": args.dev or "carved from corpus (every 20th sentence)",
                "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if args.final:
        train_config.epochs = _final_epochs(args)
        metadata.update(final=True, dev="none: final model trained on all the data",
                        epochs_rule=f"{train_config.epochs} epochs, " + (
                            f"the mean best epoch of {args.cv_table}" if args.cv_table else
                            "given by --epochs" if args.epochs is not None else "the default count"))
    log = (lambda message: None) if args.quiet else None
    trainer = Trainer(model_config, train_config, log=log, progress=False if args.quiet else None)
    segmenter, bad = _fit(args, trainer, sources, task, metadata)
    if bad:
        print(f"skipped {len(bad)} malformed lines, the first: {bad.errors[0]}", file=sys.stderr)
        segmenter.metadata["skipped_lines"] = len(bad)
    if args.half:
        from .modelio import round_to_half
        round_to_half(segmenter)
    from . import distributed
    if not distributed.is_main():
        return 0  # under torchrun, rank 0 scores and writes
    if not args.no_test:
        _score_tests(segmenter, sources, task, args.quiet)
    _write_trained(args, segmenter, trainer)
    return 0


def _fit(args, trainer, sources: dict, task: str, metadata: dict):
    """(the trained segmenter, the skipped malformed lines or None): one corpus, or several as
    {standard: sentences} (a multi-criteria model)."""
    from .corpora import DEV_EVERY, read_part, whole
    from .readers import BadLines
    bad = BadLines() if args.skip_bad_lines else None
    if args.final:
        train = {name: itertools.chain(read_part(whole(train_part), bad, task),
                                       read_part(dev_part, bad, task) if dev_part.slice != "dev" else [])
                 for name, (_, train_part, dev_part) in sources.items()}
        dev = None
    else:
        train = {name: read_part(train_part, bad, task) for name, (_, train_part, _) in sources.items()}
        dev = {name: read_part(dev_part, bad, task) for name, (_, _, dev_part) in sources.items()}
    if None in sources:  # one corpus
        train, dev = train[None], dev[None] if dev is not None else None
    try:
        segmenter = trainer.fit(train, dev, metadata, checkpoint=args.output + ".ckpt", resume=args.resume)
    except EmptyDevError:
        if any(dev_part.slice != "dev" for _, _, dev_part in sources.values()):
            raise
        raise TaggerError(f"{args.corpus}: too few sentences to carve a dev split from (every "
                          f"{DEV_EVERY}th sentence goes to dev); give one with --dev FILE") from None
    return segmenter, bad


def _score_tests(segmenter, sources: dict, task: str, quiet: bool) -> None:
    """Score each named corpus's test set once, at the end, into the metadata (never used to
    select anything), with the corpus's own standard in a multi-criteria model."""
    from .corpora import is_name, read_part, test_part, training_words
    tests = {}
    for name, (spec, _, _) in sources.items():
        if not is_name(spec):
            continue
        gold_part, _ = test_part(spec)
        result = score_samples(segmenter, read_part(gold_part, task=task), training_words(spec), standard=name)
        tests[spec] = {k: v for k, v in result.items() if k != "mismatched_lines"}
        if not quiet:
            print(f"{spec} test F1 {result['f1']:.4f}" if name else f"test F1 {result['f1']:.4f}", file=sys.stderr)
    if None in sources and tests:
        segmenter.metadata["test"] = next(iter(tests.values()))
    elif tests:
        segmenter.metadata["tests"] = tests


def _write_trained(args, segmenter, trainer) -> None:
    """The model file, its history CSV and learning curves; the checkpoint is then removed."""
    from .modelio import save_model
    save_model(segmenter, args.output, half=args.half)
    stem = os.path.splitext(args.output)[0]
    write_text_atomic(stem + ".history.csv", [trainer.history_csv()])
    if not args.no_plot:
        _plot_quietly({os.path.basename(stem): trainer.history}, stem + ".curves.png", args.quiet)
    checkpoint = args.output + ".ckpt"
    if os.path.exists(checkpoint):
        os.unlink(checkpoint)  # the finished model replaces it
    if not args.quiet:
        print(f"wrote {args.output} and {stem}.history.csv", file=sys.stderr)


def _task_of(args, train_part) -> str:
    """--task, else the named corpus's task, else what the format implies."""
    from .corpora import get_corpus, is_name
    from .readers import default_task
    if args.task:
        return args.task
    if is_name(args.corpus):
        return get_corpus(args.corpus).task
    return default_task(_format_of(train_part))


def _units_of(args, train_part, task: str) -> str:
    """--units, else the named corpus's, else words for NER columns whose units are words."""
    from .corpora import get_corpus, is_name, read_part
    if args.units:
        return args.units
    if is_name(args.corpus):
        return get_corpus(args.corpus).units
    if task != "ner" or _format_of(train_part) != "columns":
        return "chars"
    units = [u for units, _ in itertools.islice(read_part(train_part, task="ner"), 200) for u in units]
    wordy = sum(len(u) > 1 and u.isascii() for u in units)
    return "words" if units and wordy > len(units) / 4 else "chars"


def score_samples(segmenter, items, words: set[str] | None = None, standard: str | None = None) -> dict:
    """Score a model on gold sentences of its task: a summary dict with 'f1' (word, word+POS or
    entity F1); pos adds 'word_f1' and 'pos_accuracy' (POS of the gold words, decoding held to them).
    `standard`: the segmentation standard a multi-criteria model follows (default: its own)."""
    from .tasks import token_accuracy, word_f1
    task = segmenter.task
    gold = [s for s in (task.sample(item) for item in items) if s.text]
    predicted = segmenter.label_texts([s.text for s in gold], standard=standard)
    summary = task.score(gold, predicted, words).summary()
    if task.name == "pos":
        summary["word_f1"] = word_f1(gold, predicted)
        summary["pos_accuracy"] = token_accuracy(gold, segmenter.label_lines_given_words([s.words for s in gold]))
    return summary


def _format_of(part) -> str:
    from .readers import sniff_format
    return sniff_format(part.path) if part.fmt == "auto" else part.fmt


def _final_epochs(args) -> int:
    if not args.cv_table:
        from .train import TrainConfig
        return _or(args.epochs, TrainConfig.epochs)  # a count to run, not the recipe's cap
    import pandas as pd
    from .cv import final_epochs
    try:
        table = pd.read_csv(args.cv_table)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise TaggerError(f"{args.cv_table}: cannot read the cv table") from None
    if "best_epoch" not in table:
        raise TaggerError(f"{args.cv_table}: not a `tagger cv` table (no best_epoch column)")
    return final_epochs(table)


def _plot_quietly(histories, path: str, quiet: bool) -> bool:
    """Print the fit diagnosis of each history (it needs only pandas), then draw the learning
    curves; True when the PNG was written. A missing matplotlib only warns."""
    import pandas as pd
    from .curves import diagnose, plot_histories
    frames = {name: pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
              for name, rows in histories.items()}
    frames = {name: f for name, f in frames.items() if len(f)}
    if not frames:
        return False
    if not quiet:
        for name, frame in frames.items():
            print(f"{name}: {diagnose(frame)}", file=sys.stderr)
    try:
        plot_histories(frames, path)
    except ImportError:
        print("tagger: warning: matplotlib is not installed; no learning-curve plot "
              "(pip install matplotlib)", file=sys.stderr)
        return False
    if not quiet:
        print(f"wrote {path}", file=sys.stderr)
    return True


def cmd_cv(args) -> int:
    check_writable(args.output + ".csv")  # before torch is imported and the corpus read, as in cmd_train
    from .corpora import is_name, read_part, training_parts, whole
    from .cv import cross_validate, summarize, to_markdown
    from .readers import BadLines

    model_config, train_config = _configs(args)
    if (args.task or "seg") != "seg":
        raise TaggerError("cv runs segmentation only for now; train NER and POS models with `tagger train`")
    train_part, dev_part = training_parts(args.corpus, None, args.format)
    bad = BadLines() if args.skip_bad_lines else None
    sentences = list(read_part(whole(train_part), bad))
    groups = None
    if _format_of(train_part) == "pd1998":  # keep each article's paragraphs in one fold
        from .readers import read_pd1998_documents
        groups = list(read_pd1998_documents(train_part.path, bad))
    if is_name(args.corpus) and dev_part.slice != "dev":
        sentences += list(read_part(dev_part, bad))  # a separate dev file is training text too
        groups = None
    log = (lambda message: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    table, histories = cross_validate(sentences, args.folds, args.repeats, args.seed, model_config,
                                      train_config, groups=groups, log=log,
                                      progress=False if args.quiet else None)
    summary = summarize(table)
    write_text_atomic(args.output + ".csv", [table.to_csv(index=False)])
    write_text_atomic(args.output + ".md", [to_markdown(table, summary)])
    for name, frame in histories.items():
        write_text_atomic(f"{args.output}.{name}.history.csv", [frame.to_csv(index=False)])
    plotted = _plot_quietly(histories, args.output + ".png", args.quiet)
    f1 = summary.loc["f1"]
    written = [f"{args.output}.csv", f"{args.output}.md"] + ([f"{args.output}.png"] if plotted else [])
    print(f"F1 {f1['mean']:.4f} ± {f1['std']:.4f} (95% CI ± {f1['ci95']:.4f}) over {len(table)} runs; "
          f"wrote {', '.join(written)}")
    return 0


def cmd_plot(args) -> int:
    from .curves import diagnose, plot_histories, read_history
    frames = {os.path.basename(path).replace(".history.csv", ""): read_history(path) for path in args.histories}
    try:
        curves = plot_histories(frames, args.output)
    except ImportError:
        raise TaggerError("plotting needs matplotlib: pip install matplotlib") from None
    for name, frame in frames.items():
        print(f"{name}: {diagnose(frame)}")
    print(f"wrote {args.output} ({curves} loss curves)")
    return 0


def cmd_explain(args) -> int:
    from . import load
    from .explain import explain, to_html, to_png
    if not args.text.strip():
        raise TaggerError("nothing to explain: the text is empty")
    result = explain(load(args.model), args.text, args.standard)
    if args.output.lower().endswith(".png"):
        try:
            to_png(result, args.output, args.units)
        except ImportError:
            raise TaggerError("PNG output needs matplotlib: pip install matplotlib (or use -o page.html)") from None
    else:
        write_text_atomic(args.output, [to_html(result, args.units)])
    print(" ".join(result["words"]))
    print(f"wrote {args.output}")
    return 0


def cmd_export(args) -> int:
    from . import load
    from .export import export
    path = export(load(args.model), args.output, args.format)
    print(f"wrote {path} and {path}.json")
    return 0


def cmd_summary(args) -> int:
    from . import load
    from .summary import summary_text
    print(summary_text(load(args.model).model))
    return 0


def _device(name: str) -> str:
    """Check a --device value up front, so a missing GPU is a one-line error."""
    if name == "cpu":
        return name
    import torch
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TaggerError(f"--device {name}: no CUDA GPU is available here (torch {torch.__version__})")
    try:
        torch.device(name)
    except RuntimeError:
        raise TaggerError(f"--device {name}: not a device name (cpu, cuda, cuda:N)") from None
    return name


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _lean_memory(engine: str = "torch") -> None:
    """Keep a long `segment`/`tag` run's memory flat in the input's size (torch engine).

    Measured with scripts/stream_memory.py: peak RSS grew from 545 MB on a 2 MB input to 706 MB
    on 20 MB, because oneDNN caches a compiled kernel for every new batch shape (1,024 by
    default). With a 4-entry cache: 409 and 410 MB, at the same speed. Must run before torch is
    imported. (The numpy engine stays flat by itself: 218 MB on both.)
    """
    if engine == "torch":
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "4")


def _engine(args) -> str:
    """The inference engine for `segment`: see --engine."""
    if args.engine != "auto":
        return args.engine
    if args.device != "cpu":
        return "torch"
    try:
        small = args.file == "-" or os.path.getsize(args.file) < AUTO_NUMPY_BYTES
    except OSError:
        small = True  # read_raw reports the missing file
    return "numpy" if small else "torch"


def cmd_segment(args) -> int:
    from . import load
    from .readers import read_raw
    if args.output and args.file != "-" and _same_file(args.file, args.output):
        raise TaggerError(f"{args.output}: refusing to overwrite the input file")
    lines = read_raw(args.file, args.encoding, args.errors)
    engine = _engine(args)
    _lean_memory(engine)
    if args.pos:
        _set_threads(args.threads, engine)
        from . import POS_MODEL
        from .posseg import require_pos_model
        path = args.model or POS_MODEL
        segmenter = load(path, engine).to(_device(args.device))
        require_pos_model(segmenter, _joined_names(args.model) if args.model else POS_MODEL)
        segmenter.encoder.standard_of(args.standard)
        words_per_line = _pos_words(segmenter, lines, args)
    elif args.jobs > 1:
        from .parallel import segment_parallel
        load(args.model).encoder.standard_of(args.standard)  # fail here, clearly, not inside a worker
        if args.user_dict:
            from .userdict import UserDict
            UserDict().load(args.user_dict)
        words_per_line = segment_parallel(lines, args.model, args.jobs, args.batch_lines, args.user_dict,
                                          args.standard)
    else:
        _set_threads(args.threads, engine)
        segmenter = load(args.model, engine).to(_device(args.device))
        segmenter.encoder.standard_of(args.standard)
        if args.user_dict:
            segmenter.load_userdict(args.user_dict)
        words_per_line = segmenter.iter_segment(lines, batch_lines=args.batch_lines, batch_chars=args.batch_chars,
                                                standard=args.standard)
    lines = (args.delimiter.join(words) + "\n" for words in words_per_line)
    if args.output:
        write_text_atomic(args.output, lines)
    else:
        out = sys.stdout
        for line in lines:
            out.write(line)
        out.flush()
    return 0


def _pos_words(segmenter, lines, args):
    """word/POS tokens per line (whitespace runs kept as they are), for `segment --pos`."""
    from .posseg import pieces
    for line, spans in segmenter.iter_label(lines, args.batch_lines, args.batch_chars, args.standard):
        yield [piece if label is None else f"{piece}/{label}" for piece, label in pieces(line, spans)]


def _joined_names(paths: Sequence[str]) -> str:
    """How messages name one model file or an ensemble of them: `a.model + b.model`."""
    return " + ".join(map(str, paths))


def cmd_evaluate(args) -> int:
    from .corpora import read_part, read_word_list, test_part, training_words
    from .metrics import error_regions, format_errors, format_table, score
    from .modelio import looks_like_model_file
    from .readers import has_reading, read_lines

    _set_threads(args.threads)
    gold_part, words_path = test_part(args.gold, args.format)
    words_path = args.words or words_path
    segmenter = None
    predictions, name = args.prediction, _joined_names(args.prediction)
    if len(predictions) > 1 or looks_like_model_file(predictions[0]) or predictions[0].endswith(".model"):
        from . import load  # a *.model that is not a model: load's one-line "not a tagger model file"
        segmenter = load(predictions)
        if segmenter.task.name == "pos" and not has_reading(gold_part.path, gold_part.fmt, "pos"):
            # a joint segmentation + POS model is also a segmenter: score its words (POS dropped)
            print(f"{name}: POS model on a gold without POS tags; scoring its words", file=sys.stderr)
        elif segmenter.task.name != "seg":
            return _evaluate_tagging(args, name, segmenter, gold_part)
    gold = list(read_part(gold_part)) if _format_of(gold_part) != "segmented" else \
        [line.split() for _, line in read_lines(gold_part.path)]
    standard = None
    if segmenter is not None:
        standard = _evaluation_standard(segmenter, args)
        start = time.monotonic()
        predicted = segmenter.segment_lines(["".join(words) for words in gold], standard=standard)
        seconds = time.monotonic() - start
    else:
        predicted = [line.split() for _, line in read_lines(predictions[0])]
        seconds = None
    if len(predicted) != len(gold):
        raise TaggerError(f"{name}: {len(predicted)} lines, but gold {gold_part.path} has {len(gold)}")
    words = read_word_list(args.words) if args.words else training_words(args.gold)
    result = score(gold, predicted, words)
    print(format_table(result, f"{name} vs {gold_part.path}"))
    regions = error_regions(gold, predicted) if args.top_errors > 0 else None
    if regions is not None:
        print(format_errors(regions, args.top_errors, words))
    if args.json:
        summary = result.summary()
        if regions is not None:
            summary["errors"] = [{"gold": g, "output": p, "count": c} for (g, p), c in regions.most_common(args.top_errors)]
        summary.update(prediction=name, gold=gold_part.path, standard=standard,
                       words=words_path or ("the training part's words" if words is not None else None),
                       segment_seconds=seconds)
        write_json(args.json, summary)
    return 0


def _evaluation_standard(segmenter, args) -> str | None:
    """--standard, else the gold corpus's own standard when the model has one of that name
    (`evaluate MULTI.model pku` follows pku's), else None: the model's default."""
    if args.standard:
        return segmenter.encoder.standard_of(args.standard)
    name = args.gold.rpartition(":")[0] if args.gold.endswith(":dev") else args.gold
    return name if name in segmenter.standards else None


def _evaluate_tagging(args, name: str, segmenter, gold_part) -> int:
    """Entity F1 (ner) or word+POS F1, word F1 and POS accuracy (pos) of a model on gold."""
    from .corpora import read_part
    result = score_samples(segmenter, read_part(gold_part, task=segmenter.task.name))
    print(f"{name} vs {gold_part.path} ({segmenter.task.name})")
    print(f"F1 {result['f1']:.4f}  P {result['precision']:.4f}  R {result['recall']:.4f}")
    if "word_f1" in result:
        print(f"word F1 {result['word_f1']:.4f}  POS accuracy on gold words {result['pos_accuracy']:.4f}")
    if segmenter.task.name == "ner":
        for label, prf in result["by_label"].items():
            print(f"  {label:<8} P {prf['precision']:.4f} R {prf['recall']:.4f} F1 {prf['f1']:.4f}")
    if args.json:
        result.update(prediction=name, gold=gold_part.path, task=segmenter.task.name)
        write_json(args.json, result)
    return 0


def cmd_tag(args) -> int:
    from . import load
    from .readers import read_raw
    if args.output and args.file != "-" and _same_file(args.file, args.output):
        raise TaggerError(f"{args.output}: refusing to overwrite the input file")
    _lean_memory()
    _set_threads(args.threads)
    segmenter = load(args.model).to(_device(args.device))
    segmenter.encoder.standard_of(args.standard)
    lines = read_raw(args.file, args.encoding, args.errors)

    def rendered():
        for line, spans in segmenter.iter_label(lines, args.batch_lines, standard=args.standard):
            yield _render_spans(line, spans, args.format, segmenter)
    if args.output:
        write_text_atomic(args.output, rendered())
    else:
        for text in rendered():
            sys.stdout.write(text)
        sys.stdout.flush()
    return 0


def _render_spans(line: str, spans, fmt: str, segmenter) -> str:
    """One input line as a JSON line of spans, or as CoNLL rows and a blank line."""
    if fmt == "jsonl":
        items = [{"text": line[s:e], "start": s, "end": e, "label": label} for s, e, label in spans]
        return json.dumps({"text": line, "spans": items}, ensure_ascii=False) + "\n"
    if segmenter.task.name == "ner":  # one character a row with its BIOES tag
        from .entities import spans_to_tags
        tags = spans_to_tags(len(line), spans, "BIOES")
        rows = [f"{c}\t{t}" for c, t in zip(line, tags) if not c.isspace()]
    else:  # one word a row with its POS (or '_' for plain segmentation)
        rows = [f"{line[s:e]}\t{label or '_'}" for s, e, label in spans]
    return "".join(row + "\n" for row in rows) + "\n"


def cmd_info(args) -> int:
    from .modelio import read_metadata
    info = read_metadata(args.model or DEFAULT_MODEL)
    print(json.dumps(info, indent=2, ensure_ascii=False, default=str))
    return 0


def cmd_serve(args) -> int:
    try:
        import uvicorn  # noqa: F401 (missing: the one-line error below, before the models load)

        from .serve import Limits, serve
    except ImportError as error:
        if error.name not in ("fastapi", "uvicorn", "starlette", "pydantic"):
            raise
        raise TaggerError(f'tagger serve needs {error.name}: pip install "tagger[serve]"') from None
    if not 0 <= args.port <= 65535:
        raise TaggerError(f"--port must be 0-65535, not {args.port}")
    limits = Limits(body_bytes=args.max_body_bytes, texts=args.max_texts, chars=args.max_chars,
                    explain_chars=args.max_explain_chars)
    if min(limits.body_bytes, limits.texts, limits.chars, limits.explain_chars) < 1:
        raise TaggerError("the --max-* limits must be positive")
    serve(args.model, False if args.no_pos else args.pos_model, args.host, args.port, limits,
          args.threads, args.log_level)
    return 0


COMMANDS = {"train": cmd_train, "segment": cmd_segment, "tag": cmd_tag, "evaluate": cmd_evaluate, "cv": cmd_cv,
            "plot": cmd_plot, "summary": cmd_summary, "explain": cmd_explain, "export": cmd_export,
            "info": cmd_info, "serve": cmd_serve}


def _outputs(args) -> list[str]:
    """The files a command will write, checked before any work starts (a directory, a missing
    parent or an unwritable place is a one-line error now, not a traceback after training)."""
    if args.command == "cv":  # a prefix: PREFIX.csv, ...; a folder ("out/") is a mistake
        return [args.output if args.output.endswith(("/", os.sep)) else args.output + ".csv"]
    paths = [getattr(args, "output", None), getattr(args, "json", None)]
    return [p for p in paths if p]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        for path in _outputs(args):
            check_writable(path)
        return COMMANDS[args.command](args)
    except TaggerError as err:
        print(f"tagger: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        hint = "; continue with --resume" if args.command == "train" else ""
        print(f"tagger: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
