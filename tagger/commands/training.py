"""`tagger train`, `tagger cv` and `tagger plot`: options to configurations, corpora to models,
histories to learning curves."""
from __future__ import annotations

import itertools
import os
import sys
from datetime import datetime, timezone

from ..files import write_text_atomic
from ..engine import check_device
from ..errors import EmptyDevError, TaggerError


def _or(value, default):
    """`value` unless the option was left out (None); 0.0 is a real choice, so no `or`."""
    return default if value is None else value


def _configs(args):
    """(ModelConfig, TrainConfig) of the options; those left out that the recipe chooses
    (tagger/recipe.py) are listed in TrainConfig.auto and filled in from the corpus."""
    from ..model import ModelConfig
    from ..recipe import MODEL_SETTINGS, SETTINGS
    from ..trainconfig import TrainConfig
    given = {"epochs": args.epochs, "batch_chars": args.batch_chars, "patience": args.patience,
             "char_dim": args.char_dim, "bigram_dim": args.bigram_dim, "hidden": args.hidden, "layers": args.layers,
             "lr_patience": args.lr_patience, "max_minutes": args.max_minutes, "crf": args.crf,
             "embed_dropout": _or(args.embed_dropout, args.dropout),
             "lstm_dropout": _or(args.lstm_dropout, args.dropout),
             "dictionary": "" if args.dictionary == "none" else args.dictionary, "vectors": args.vectors}
    if getattr(args, "final", False):  # a final model's epochs are a count to run, not a cap
        given["epochs"] = _final_epochs(args)
    auto = tuple(name for name in SETTINGS if given.get(name) is None)
    model_given = {k: v for k, v in given.items() if v is not None and k in MODEL_SETTINGS}
    train_given = {k: v for k, v in given.items() if v is not None and k not in MODEL_SETTINGS}
    model_config = ModelConfig(standard_dim=args.standard_dim, **model_given)
    train_config = TrainConfig(lr=_or(args.lr, TrainConfig.lr), lr_decay=args.lr_decay,
                               seed=args.seed, bigram_min_count=args.bigram_min_count,
                               classes=not args.no_classes, threads=args.threads,
                               unk_dropout=args.unk_dropout, ema=args.ema,
                               swap_names=args.swap_names, unpunctuated=args.unpunctuated, posted=args.posted,
                               device=check_device(args.device), char_vectors=args.char_vectors or "",
                               bigram_vectors=args.bigram_vectors or "", auto=auto, **train_given)
    return model_config, train_config


def _final_epochs(args) -> int:
    """Epochs of a --final model: the mean best epoch of --cv-table, else --epochs, else the default count."""
    if not args.cv_table:
        from ..trainconfig import TrainConfig
        return _or(args.epochs, TrainConfig.epochs)  # a count to run, not the recipe's cap
    import pandas as pd
    from ..cv import final_epochs
    try:
        table = pd.read_csv(args.cv_table)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise TaggerError(f"{args.cv_table}: cannot read the cv table") from None
    if "best_epoch" not in table:
        raise TaggerError(f"{args.cv_table}: not a `tagger cv` table (no best_epoch column)")
    return final_epochs(table)


def cmd_train(args) -> int:
    from .. import distributed
    from ..corpora import corpus_list, standard_name, task_of, training_parts, units_of
    from ..evaluate import score_tests
    from ..threads import set_threads
    from ..train import Trainer

    if args.init:
        from .adapting import cmd_fine_tune
        return cmd_fine_tune(args)
    model_config, train_config = _configs(args)
    set_threads(args.threads)
    specs = corpus_list(args.corpus)
    if specs and args.dev:
        raise TaggerError("--dev takes one corpus; trained on several, each corpus's own dev split is used")
    if specs:
        names = [standard_name(spec) for spec in specs]
        if len(set(names)) < len(names):
            raise TaggerError(f"{args.corpus}: two corpora would have the same standard name ({', '.join(names)})")
        sources = {name: (spec, *training_parts(spec, None, args.format)) for name, spec in zip(names, specs)}
        entities = all(task_of(spec, train_part) == "ner" for spec, train_part, _ in sources.values())
        train_config.task = task = args.task or ("ner" if entities else "seg")  # entity corpora: NER standards
        train_config.units = "chars"
    else:
        sources = {None: (args.corpus, *training_parts(args.corpus, args.dev, args.format))}
        train_part = sources[None][1]
        train_config.task = task = task_of(args.corpus, train_part, args.task)
        train_config.units = units_of(args.corpus, train_part, task, args.units)
    metadata = {"corpus": args.corpus, "task": task, "dev": args.dev or "carved from corpus (every 20th sentence)",
                "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if args.final:
        metadata.update(final=True, dev="none: final model trained on all the data",
                        epochs_rule=f"{train_config.epochs} epochs, " + (
                            f"the mean best epoch of {args.cv_table}" if args.cv_table else
                            "given by --epochs" if args.epochs is not None else "the default count"))
    log = (lambda message: None) if args.quiet else None
    trainer = Trainer(model_config, train_config, log=log, progress=False if args.quiet else None)
    tagger, bad = _fit(args, trainer, sources, task, metadata)
    if bad:
        print(bad.summary(), file=sys.stderr)
        tagger.metadata["skipped_lines"] = len(bad)
    if args.half:
        from ..modelio import round_to_half
        round_to_half(tagger)
    if not distributed.is_main():
        return 0  # under torchrun, rank 0 scores and writes
    if not args.no_test:
        score_tests(tagger, {name: spec for name, (spec, _, _) in sources.items()}, task,
                    (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr)))
    _write_trained(args, tagger, trainer)
    return 0


def _fit(args, trainer, sources: dict, task: str, metadata: dict):
    """(the trained tagger, the skipped malformed lines or None): one corpus, or several as
    {standard: sentences} (a multi-criteria model)."""
    from ..corpora import DEV_EVERY, read_part, whole
    from ..textlines import BadLines
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
        tagger = trainer.fit(train, dev, metadata, checkpoint=args.output + ".ckpt", resume=args.resume)
    except EmptyDevError:
        if any(dev_part.slice != "dev" for _, _, dev_part in sources.values()):
            raise
        raise TaggerError(f"{args.corpus}: too few sentences to carve a dev split from (every "
                          f"{DEV_EVERY}th sentence goes to dev); give one with --dev FILE") from None
    return tagger, bad


def _write_trained(args, tagger, trainer) -> None:
    """The model file, its history CSV and learning curves; the checkpoint is then removed."""
    from ..modelio import save_model
    save_model(tagger, args.output, half=args.half)
    stem = os.path.splitext(args.output)[0]
    write_text_atomic(stem + ".history.csv", [trainer.history_csv()])
    if not args.no_plot:
        _plot_quietly({os.path.basename(stem): trainer.history}, stem + ".curves.png", args.quiet)
    checkpoint = args.output + ".ckpt"
    if os.path.exists(checkpoint):
        os.unlink(checkpoint)  # the finished model replaces it
    if not args.quiet:
        print(f"wrote {args.output} and {stem}.history.csv", file=sys.stderr)


def _plot_quietly(histories, path: str, quiet: bool) -> bool:
    """Print the fit diagnosis of each history (it needs only pandas), then draw the learning
    curves; True when the PNG was written. A missing matplotlib only warns."""
    import pandas as pd
    from ..curves import diagnose, plot_histories
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
    from ..corpora import format_of, is_name, read_part, training_parts, whole
    from ..cv import cross_validate, summarize, to_markdown
    from ..textlines import BadLines
    from ..threads import set_threads

    model_config, train_config = _configs(args)
    set_threads(args.threads)
    if (args.task or "seg") != "seg":
        raise TaggerError("cv runs segmentation only for now; train NER and POS models with `tagger train`")
    train_part, dev_part = training_parts(args.corpus, None, args.format)
    bad = BadLines() if args.skip_bad_lines else None
    sentences = list(read_part(whole(train_part), bad))
    groups = None
    if format_of(train_part) == "pd1998":  # keep each article's paragraphs in one fold
        from ..readers import read_pd1998_documents
        groups = list(read_pd1998_documents(train_part.path, bad))
    if is_name(args.corpus) and dev_part.slice != "dev":
        sentences += list(read_part(dev_part, bad))  # a separate dev file is training text too
        groups = None
    if bad:
        print(bad.summary(), file=sys.stderr)
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
    from ..curves import diagnose, plot_histories, read_history
    frames = {os.path.basename(path).replace(".history.csv", ""): read_history(path) for path in args.histories}
    try:
        curves = plot_histories(frames, args.output)
    except ImportError:
        raise TaggerError("plotting needs matplotlib: pip install matplotlib") from None
    for name, frame in frames.items():
        print(f"{name}: {diagnose(frame)}")
    print(f"wrote {args.output} ({curves} loss curves)")
    return 0
