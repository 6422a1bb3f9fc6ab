"""The `tagger` command line: the argument parser and the dispatch to the commands.

This module parses; tagger/commands/ holds what each command does (it calls the library and
prints). Nothing in tagger imports this module. Exit status: 0 success, 1 a user error (printed
as one line, no traceback), 2 bad usage.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .version import __version__
from .commands.labeling import cmd_segment, cmd_tag
from .commands.paths import paths_of
from .commands.models import cmd_evaluate, cmd_explain, cmd_export, cmd_info, cmd_serve, cmd_summary, cmd_upgrade
from .commands.training import cmd_cv, cmd_plot, cmd_train
from .commands.distilling import add_command as add_distill_command, cmd_distill
from .commands.adapting import add_commands as add_adapt_commands, cmd_adapt, cmd_words
from .trainconfig import TrainConfig
from .engine import AUTO_JOBS_BYTES, AUTO_NUMPY_BYTES, ENGINES, MAX_AUTO_PROCESSES, PRECISIONS
from .errors import TaggerError
from .files import (Terminated, check_boundary, claim_standard_streams, die_by, finish_stdout,
                    install_signal_handlers, restore_signal_handlers)
from .options import encoding, entity_types, input_file, integer, integer_or_auto, model_file, real
from .pipeline import BATCH_CHARS, BATCH_LINES
from .readers import FORMATS
from .tasks import TASKS
from .threads import HELP as THREADS_HELP

DROPOUT = real(0, 1, high_open=True)  # a share of units dropped: 1 would drop them all
CHOSEN = "default: chosen from the corpus size and task (docs/training.md)"
CORPUS_FORMATS = ("auto", *(f for f in FORMATS if f != "raw"))  # the labeled formats, or sniffed


def _add_learning_options(p) -> None:
    """Model and training options shared by `train` and `cv`."""
    d = TrainConfig()
    p.add_argument("--format", default="auto", choices=CORPUS_FORMATS, help="corpus format; auto: sniffed from the file")
    p.add_argument("--task", choices=TASKS,
                   help="seg (words), pos (joint words + POS), ner (entities); default: the corpus's, "
                        "else inferred from the format (tag columns -> ner, otherwise seg)")
    p.add_argument("--units", choices=["chars", "words"],
                   help="chars (Chinese) or words (whitespace tokens, English; a char CNN reads each word); "
                        "default: the corpus's, else words when a column file's units are multi-letter words")
    p.add_argument("--epochs", type=integer(1), help=f"most epochs; {CHOSEN} (with --final: {d.epochs})")
    p.add_argument("--batch-chars", type=integer(1), help=f"characters per mini-batch; {CHOSEN}")
    p.add_argument("--lr", type=real(0, low_open=True),
                   help=f"Adam's learning rate (default: {d.lr}); with --init, the fine-tuning recipe's")
    p.add_argument("--patience", type=integer(0),
                   help=f"epochs without a dev F1 gain before stopping (counted once dev F1 is above 0); {CHOSEN}")
    p.add_argument("--lr-decay", type=real(0, 1, low_open=True), default=d.lr_decay,
                   help="multiply the learning rate by this when dev F1 stalls")
    p.add_argument("--lr-patience", type=integer(0), help=f"... for more than this many epochs; {CHOSEN}")
    p.add_argument("--seed", type=integer(0, 2**32 - 1), default=d.seed,
                   help="random seed (initial weights, batch order, dropout)")
    p.add_argument("--char-dim", type=integer(1), help=f"character embedding size; {CHOSEN}")
    p.add_argument("--bigram-dim", type=integer(0), help=f"bigram embedding size, 0 disables bigram features; {CHOSEN}")
    p.add_argument("--hidden", type=integer(1), help=f"LSTM units per direction; {CHOSEN}")
    p.add_argument("--layers", type=integer(1), help=f"stacked BiLSTM layers; {CHOSEN}")
    p.add_argument("--standard-dim", type=integer(0), default=0, metavar="N",
                   help="several corpora: also give the network a learned N-dim vector of the text's standard at "
                        "every step (a criterion embedding); 0: the standard's marker characters alone")
    p.add_argument("--dropout", type=DROPOUT, help=f"embedding and LSTM dropout; {CHOSEN}")
    p.add_argument("--embed-dropout", type=DROPOUT, metavar="P",
                   help="dropout on the concatenated embeddings only (default: --dropout)")
    p.add_argument("--lstm-dropout", type=DROPOUT, metavar="P",
                   help="dropout between LSTM layers and on the LSTM output only (default: --dropout)")
    p.add_argument("--crf", action=argparse.BooleanOptionalAction,
                   help="learn tag-transition scores (BiLSTM-CRF) instead of softmax + constrained Viterbi alone; "
                        f"{CHOSEN}")
    p.add_argument("--bigram-min-count", type=integer(1), default=d.bigram_min_count,
                   help="rarer bigrams share the <unk> embedding")
    p.add_argument("--ema", type=real(0, 1, high_open=True), default=d.ema, metavar="DECAY",
                   help="score and keep a moving average of the weights, e.g. 0.999 (0: off)")
    p.add_argument("--unk-dropout", type=DROPOUT, default=d.unk_dropout,
                   help="share of bigram ids replaced by <unk> while training (robustness to unseen bigrams)")
    p.add_argument("--swap-names", type=real(0, 1), default=d.swap_names, metavar="SHARE",
                   help="NER: also train on this share of the sentences holding a person's name, with each name "
                        "made up from the corpus's surnames and given-name characters (0: off)")
    p.add_argument("--unpunctuated", type=real(0, 1), default=d.unpunctuated, metavar="SHARE",
                   help="NER: also train on this share of the sentences without their punctuation outside "
                        "entities, for text written without it (0: off)")
    p.add_argument("--posted", type=real(0, 1), default=d.posted, metavar="SHARE",
                   help="NER: also train on this share of the sentences with made-up pieces that posts put "
                        "between clauses (Latin words, [emoticon] codes, faces, ~~), none an entity (0: off)")
    p.add_argument("--no-classes", action="store_true", help="do not map digits/Latin letters to classes")
    p.add_argument("--dictionary", metavar="SOURCES",
                   help="dictionary features from comma-separated sources: 'jieba' (jieba's dictionary; "
                        "open setting), 'train' (the corpus's own words, jackknifed), or word-list files; "
                        f"'none' for none; {CHOSEN}")
    p.add_argument("--vectors", action=argparse.BooleanOptionalAction,
                   help="start the character and bigram embeddings from skip-gram vectors pretrained on the "
                        f"training text (gensim; a vectors file given below wins); {CHOSEN}")
    p.add_argument("--char-vectors", type=input_file(text=True), metavar="FILE",
                   help="start the character embeddings from these pretrained vectors (word2vec text format; "
                        "python -m scripts.data.pretrain_embeddings writes them)")
    p.add_argument("--bigram-vectors", type=input_file(text=True), metavar="FILE",
                   help="... and the bigram embeddings from these")
    p.add_argument("--max-minutes", type=real(0),
                   help="training time budget per run, 0 for none: no epoch starts that would pass it, and an epoch "
                        f"that passes it stops there (the first one too); {CHOSEN}")
    p.add_argument("--threads", type=integer(1), help=THREADS_HELP)
    p.add_argument("--device", default=d.device, help="cpu, cuda or cuda:N")
    p.add_argument("--skip-bad-lines", action="store_true",
                   help="count and skip malformed corpus lines instead of stopping at the first")
    p.add_argument("--quiet", action="store_true", help="no progress messages (no epoch log, no recipe line)")


class _Parser(argparse.ArgumentParser):
    """A usage error in one line, with where to read the usage (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
    p = sub.add_parser("train", help="train a model (seg, pos or ner) on a corpus", formatter_class=_DefaultsHelp)
    p.add_argument("corpus", help="corpus file, or a name under $TAGGER_CORPORA "
                                  "(pku, pku-aligned, msr, ctb6, weibo, ud, ...)")
    p.add_argument("--dev", help="dev corpus (file or name); default: every 20th sentence of CORPUS")
    p.add_argument("-o", "--output", required=True, help="model file to write")
    _add_learning_options(p)
    p.add_argument("--final", action="store_true",
                   help="train on all the data (dev included, nothing held out) for a fixed number of epochs")
    p.add_argument("--cv-table", type=input_file(text=True),
                   help="with --final: take the epochs from this `tagger cv` CSV (mean best epoch)")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the file size)")
    p.add_argument("--no-test", action="store_true", help="do not score a named corpus's test set")
    p.add_argument("--no-plot", action="store_true", help="do not draw the learning-curve PNG")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted training from MODEL.ckpt (written after every epoch)")
    p.add_argument("--init", metavar="MODEL", type=model_file,
                   help="fine-tune this model (file or shipped name) on CORPUS instead of training from scratch: "
                        "its weights, vocabularies (extended) and standards are kept (docs/training.md)")
    p.add_argument("--standard", metavar="NAME",
                   help="with --init and a multi-criteria model: the standard CORPUS trains, a new name or one "
                        "the model has (default: the model's default standard)")
    p.add_argument("--replay", type=real(0), metavar="SHARE",
                   help="with --init: sentences of the model's own training corpora replayed per CORPUS sentence "
                        "each epoch (default: the fine-tuning recipe's)")
    p.add_argument("--anchor", type=real(0), metavar="WEIGHT",
                   help="with --init and --standard other than the default: how strongly the default standard's "
                        "outputs are held to the model's own (default 1; 0 lets them move with the corpus)")


def _add_cv(sub) -> None:
    p = sub.add_parser("cv", help="k-fold cross-validation (with repeats): mean, std and 95%% interval",
                       formatter_class=_DefaultsHelp)
    p.add_argument("corpus", help="corpus file or name (its training text, dev included; never its test set)")
    p.add_argument("--folds", type=integer(2), default=5, help="parts the corpus is cut into; each is held out once")
    p.add_argument("--repeats", type=integer(1), default=1, help="times the k folds are drawn anew (other seeds)")
    p.add_argument("-o", "--output", default="cv", help="output prefix: PREFIX.csv, PREFIX.md, PREFIX.png")
    _add_learning_options(p)


def _add_plot(sub) -> None:
    p = sub.add_parser("plot", help="learning curves of saved histories on one chart, with a diagnosis")
    p.add_argument("histories", type=input_file(text=True), nargs="+", help="history CSV files written by train or cv")
    p.add_argument("-o", "--output", default="curves.png", help="the PNG to draw")


def _add_explain(sub) -> None:
    p = sub.add_parser("explain", help="tag probabilities and LSTM activations per character, as a heatmap")
    p.add_argument("text", help="the text to explain (one line)")
    p.add_argument("--model", type=model_file, help="model file (default: the shipped model)")
    p.add_argument("-o", "--output", default="explain.html", help="an .html page or a .png image")
    p.add_argument("--units", type=integer(1), default=8, help="units shown per layer, direction and state")
    _add_standard_option(p)


def _add_export(sub) -> None:
    p = sub.add_parser("export", help="export a model as TorchScript or ONNX (plus a JSON vocabulary file)")
    p.add_argument("model", type=model_file, nargs="?", help="model file (default: the shipped model)")
    p.add_argument("--format", default="torchscript", choices=["torchscript", "onnx"],
                   help="TorchScript (torch.jit.trace) or ONNX (needs tagger-zh[export])")
    p.add_argument("-o", "--output", required=True, help="the exported file (OUT.json beside it holds the vocabularies and tags)")


def _add_summary(sub) -> None:
    p = sub.add_parser("summary", help="layers, output shapes and parameter counts of a model")
    p.add_argument("model", type=model_file, nargs="?", help="model file (default: the shipped model)")


def _add_io_options(p) -> None:
    """Input, output and run options `segment` and `tag` share (one pipeline: tagger/commands/labeling.py)."""
    p.add_argument("file", nargs="?", default="-", help="input text, UTF-8; '-' or nothing for stdin")
    p.add_argument("-o", "--output", help="write here (atomically) instead of stdout")
    p.add_argument("--encoding", type=encoding, default="utf-8", help="input encoding (utf-8, gb18030, big5, ...)")
    p.add_argument("--errors", default="strict", choices=["strict", "replace"],
                   help="undecodable input bytes: stop with an error naming the line, or replace with U+FFFD")
    p.add_argument("--batch-lines", type=integer(1), default=BATCH_LINES,
                   help="lines read and tagged together (more: fewer padded steps, more memory)")
    p.add_argument("--threads", type=integer(1), help=THREADS_HELP)
    p.add_argument("--precision", default="auto", choices=PRECISIONS,
                   help="what a BiLSTM computes in: auto takes bfloat16 where the CPU computes it natively "
                        "(faster; words differ on about 1%% of lines), else float32 (the same words everywhere)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    _add_standard_option(p)


def _add_segment(sub) -> None:
    p = sub.add_parser("segment", help="segment text into words (one output line per input line)")
    p.add_argument("--model", type=model_file, action="append",
                   help="model file (default: the shipped model); give it 2+ times for an ensemble of "
                        "models trained alike (the mean of their tag probabilities)")
    _add_io_options(p)
    p.add_argument("--delimiter", default=" ", help="between words (default: one space)")
    p.add_argument("--batch-chars", type=integer(1), default=BATCH_CHARS,
                   help="characters per network batch (peak memory grows with it)")
    p.add_argument("--user-dict", type=input_file(text=True),
                   help="jieba-format dictionary (`word [freq] [tag]`); its words are kept whole")
    p.add_argument("--jobs", type=integer_or_auto(1, 256), default=None, metavar="N|auto",
                   help="worker processes, each with one thread (on the CPU: --device needs --jobs 1); auto: "
                        f"one per --threads (at most {MAX_AUTO_PROCESSES}) for files over {AUTO_JOBS_BYTES // 1_000_000} MB, "
                        "else 1 (default: auto)")
    p.add_argument("--pos", action="store_true",
                   help="print word/POS with the shipped POS model, or a --model trained with --task pos")
    _add_engine_option(p)


def _add_engine_option(p) -> None:
    p.add_argument("--engine", default="auto", choices=ENGINES,
                   help="numpy: no torch import, starts in under a second; torch: faster on long inputs, "
                        f"GPU. auto: numpy for stdin and files under {AUTO_NUMPY_BYTES // 1000} KB, else torch "
                        "(always torch for a word-level model)")


def _add_standard_option(p) -> None:
    p.add_argument("--standard", metavar="NAME",
                   help="segmentation standard of a multi-criteria model (`tagger info` lists them; "
                        "default: the model's own default standard)")


def _add_tag(sub) -> None:
    p = sub.add_parser("tag", help="label text with a model: entities (ner), words and POS (pos), words (seg)")
    p.add_argument("--model", type=model_file, help="model file, or a shipped model's name (default: ner, the "
                                                     "shipped NER model: PER, LOC, ORG and TIME entities)")
    _add_io_options(p)
    p.add_argument("--format", default="jsonl", choices=["jsonl", "conll"],
                   help="jsonl: one JSON object per input line with spans {text, start, end, label} "
                        "(character offsets into the line); conll: one row per character (ner) or word")
    _add_engine_option(p)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="score a model or a segmented output against gold (SIGHAN)")
    p.add_argument("prediction", nargs="+",
                   help="a model file, or a segmented output file; two or more model files (trained alike) "
                        "are scored as one ensemble, the mean of their tag probabilities")
    p.add_argument("gold", help="gold segmented file, a corpus name (its test set and word list), or "
                                "NAME:dev (its dev split, OOV against its training words)")
    p.add_argument("--words", type=input_file(text=True), help="training word list, one word a line, for OOV/IV recall")
    p.add_argument("--format", default="auto", choices=["auto", "segmented", "pd1998", "msra", "conll"],
                   help="format of the gold file")
    p.add_argument("--json", help="also write the scores here as JSON")
    p.add_argument("--standard", metavar="NAME",
                   help="standard a multi-criteria model follows (default: the gold corpus's own when the "
                        "model has it, else the model's default)")
    p.add_argument("--top-errors", type=integer(0), default=0, metavar="N",
                   help="also list the N most frequent disagreements (gold -> output; * marks "
                        "gold words the word list lacks; a NER or POS model's are counted by kind: "
                        "missed, spurious, type, boundary), and put them in the JSON")
    p.add_argument("--compare", action="store_true",
                   help="two predictions A B: F1 of each, A - B with its 95%% interval (paired bootstrap over "
                        "sentences) and p-value (approximate randomization): is the difference significant?")
    p.add_argument("--draws", type=integer(1), default=10_000, help="with --compare: randomization and bootstrap draws")
    p.add_argument("--types", type=entity_types, metavar="T1,T2",
                   help="NER: score only these entity types, gold and predicted (a corpus that tags no TIME: "
                        "--types PER,LOC,ORG, so the model's times are not counted as errors)")
    p.add_argument("--skip-bad-lines", action="store_true",
                   help="count and skip malformed gold lines (each with its output line) instead of stopping")
    p.add_argument("--threads", type=integer(1), help=THREADS_HELP)


def _add_info(sub) -> None:
    p = sub.add_parser("info", help="show a model file's configuration and metadata")
    p.add_argument("model", type=model_file, nargs="?", help="model file (default: the shipped model)")


def _add_upgrade(sub) -> None:
    p = sub.add_parser("upgrade", help="rewrite a model file in the current format (checked, no pickle)")
    p.add_argument("model", type=model_file, help="model file, any format tagger reads")
    p.add_argument("-o", "--output", required=True, help="the new model file (never the input itself)")


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="HTTP service (JSON endpoints and a page at /); needs tagger-zh[serve]",
                       formatter_class=_DefaultsHelp)
    p.add_argument("--model", type=model_file,
                   help="model file served by /segment, /tag and /explain (default: the shipped segmentation "
                        "model, and for /tag the shipped NER model)")
    p.add_argument("--pos-model", type=model_file, help="joint segmentation + POS model for /segment with pos "
                                       "(default: the shipped POS model; a POS --model serves it itself)")
    p.add_argument("--no-pos", action="store_true", help="load no POS model")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=integer(0, 65535), default=8000, help="port to listen on")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a name the Host header may give besides localhost, 127.0.0.1, ::1 and --host "
                        "(repeat for more; '*': any, which lets other sites' pages reach the service by "
                        "DNS rebinding)")
    p.add_argument("--threads", type=integer(1), help=THREADS_HELP)
    p.add_argument("--workers", type=integer_or_auto(1, 64), default=None, metavar="N|auto",
                   help="server processes sharing the port, each with one thread when there are several; "
                        f"auto: one per --threads, at most {MAX_AUTO_PROCESSES} (default: auto)")
    p.add_argument("--max-body-bytes", type=integer(1), default=1_000_000, help="largest request body")
    p.add_argument("--max-texts", type=integer(1), default=1_000, help="texts per request")
    p.add_argument("--max-chars", type=integer(1), default=10_000, help="characters per text")
    p.add_argument("--max-explain-chars", type=integer(1), default=1_000, help="characters of an /explain text")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn's log level")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tagger", description="Chinese word segmentation, POS tagging and named entities: "
                                                "train, apply and evaluate sequence-labeling models")
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
    _add_upgrade(sub)
    _add_serve(sub)
    add_distill_command(sub)
    add_adapt_commands(sub)
    for command in sub.choices.values():  # every command's --help names each default
        command.formatter_class = _DefaultsHelp
    return parser


COMMANDS = {"train": cmd_train, "segment": cmd_segment, "tag": cmd_tag, "evaluate": cmd_evaluate, "cv": cmd_cv,
            "plot": cmd_plot, "summary": cmd_summary, "explain": cmd_explain, "export": cmd_export,
            "info": cmd_info, "upgrade": cmd_upgrade, "serve": cmd_serve, "distill": cmd_distill, "words": cmd_words,
            "adapt": cmd_adapt}


def main(argv: Sequence[str] | None = None) -> int:
    """`tagger ARGS...`: the exit status; a TaggerError is printed as one line, never a traceback.
    The files the command reads and writes are checked first (tagger/files.py)."""
    closed = claim_standard_streams()
    args = build_parser().parse_args(argv)
    previous = install_signal_handlers()
    try:
        paths = paths_of(args)
        if 0 in closed and "-" in paths.inputs:
            raise TaggerError("stdin is closed; give an input file")
        if 1 in closed and paths.to_stdout:
            raise TaggerError("stdout is closed; give an output file with -o")
        check_boundary(paths.inputs, paths.outputs, paths.to_stdout)
        status = COMMANDS[args.command](args)
    except TaggerError as err:
        print(f"tagger: error: {err}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        hint = "; continue with --resume" if args.command == "train" else ""
        print(f"tagger: interrupted{hint}", file=sys.stderr)
        status = 130
    except BrokenPipeError:  # the reader went away (`tagger segment big.txt | head`): a quiet end
        status = 0
    except Terminated as stop:
        finish_stdout()
        die_by(stop.signum)
    finally:
        restore_signal_handlers(previous)
    failed = finish_stdout()
    if failed:
        print(f"tagger: error: {failed}", file=sys.stderr)
        return 1
    return status
