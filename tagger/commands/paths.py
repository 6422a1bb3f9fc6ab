"""The files each command reads and writes, named from its parsed options, so that the CLI can
check them all at the boundary (tagger/files.py: `check_boundary`) before any work starts."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

from ..errors import TaggerError


@dataclass
class Paths:
    """What a command reads ("-": stdin), the files it writes, and whether its output is stdout."""

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    to_stdout: bool = False


def paths_of(args) -> Paths:
    """The Paths of a parsed `tagger` command line."""
    command = args.command
    models = _models(_listed(getattr(args, "model", None)) + _listed(getattr(args, "pos_model", None)))
    if command in ("segment", "tag"):
        return Paths([args.file, *models, *_listed(getattr(args, "user_dict", None))],
                     _listed(args.output), to_stdout=not args.output)
    if command in ("train", "cv"):
        return Paths(_learning_inputs(args), _learning_outputs(args))
    if command == "evaluate":
        return Paths([*args.prediction, *_corpus_files(args.gold), *_listed(args.words)], _listed(args.json),
                     to_stdout=True)
    if command in ("words", "adapt"):  # words prints the new words; adapt writes a model
        return Paths([*models, *args.raw], _listed(getattr(args, "output", None)), to_stdout=command == "words")
    if command == "plot":
        return Paths(list(args.histories), [args.output])
    if command == "distill":  # the teacher pass cache is read and rewritten: an output, kept off the teachers
        return Paths([f for spec in _models(args.teachers) for f in _corpus_files(spec)],
                     [args.output, *_listed(args.cache)])
    outputs = {"explain": _listed(getattr(args, "output", None)), "upgrade": _listed(getattr(args, "output", None)),
               "export": [args.output, args.output + ".json"] if command == "export" else []}.get(command, [])
    return Paths(models, outputs, to_stdout=command in ("summary", "info"))


def _listed(value) -> list[str]:
    """An option's value as a list of paths: none, one, or several (--model given twice)."""
    if value is None or value is False:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _models(values: list[str]) -> list[str]:
    """Model arguments with the names of shipped models ("default", ...) as their files."""
    from ..modelio import SHIPPED
    return [str(SHIPPED[v]) if v in SHIPPED and not os.path.exists(v) else v for v in values]


def _corpus_files(spec: str) -> list[str]:
    """The files a corpus argument reads: a path, a comma-separated list, or names resolved
    under $TAGGER_CORPORA (a name that does not resolve is the command's own error later)."""
    from ..corpora import get_corpus, is_name
    specs = [spec] if os.path.exists(spec) else [s.strip() for s in spec.split(",")]
    files = []
    for one in specs:
        name = one[:-len(":dev")] if one.endswith(":dev") else one
        if not is_name(name):
            files.append(one)
            continue
        with contextlib.suppress(TaggerError):
            corpus = get_corpus(name)
            files += [corpus.train.path, corpus.dev.path, corpus.test.path, *_listed(corpus.words)]
    return files


def _learning_inputs(args) -> list[str]:
    """The corpus, dev, vectors, cv table, --init model and dictionary files of `train` or `cv`."""
    dictionaries = [s for s in (args.dictionary or "").split(",") if s.strip() not in ("", "jieba", "train", "none")]
    return [*_corpus_files(args.corpus), *(_corpus_files(args.dev) if getattr(args, "dev", None) else []),
            *_listed(args.char_vectors), *_listed(args.bigram_vectors), *_listed(getattr(args, "cv_table", None)),
            *_models(_listed(getattr(args, "init", None))), *dictionaries]


def _learning_outputs(args) -> list[str]:
    """`train`: the model, its checkpoint, history and curves; `cv`: PREFIX.csv, .md and .png and
    each run's PREFIX.rRfF.history.csv (a prefix that is a folder, "out/", is refused as one)."""
    if args.command == "cv":
        folder = [args.output] if args.output.endswith(("/", os.sep)) else []
        histories = [f"{args.output}.r{repeat}f{fold}.history.csv"  # cv.cross_validate's run names
                     for repeat in range(1, args.repeats + 1) for fold in range(1, args.folds + 1)]
        return folder + [args.output + suffix for suffix in (".csv", ".md", ".png")] + histories
    stem = os.path.splitext(args.output)[0]
    return [args.output, args.output + ".ckpt", stem + ".history.csv"] + ([] if args.no_plot else [stem + ".curves.png"])
