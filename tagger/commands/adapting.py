"""The commands that make a model the user's own: `words` (new words of a raw text) and `adapt`
(a model adapted to a raw text's domain)."""
from __future__ import annotations

import json
import sys

from ..errors import TaggerError
from ..options import integer, model_file, real


def add_commands(sub) -> None:
    p = sub.add_parser("words", help="the new words (names, terms) of raw text that the model's dictionary lacks")
    p.add_argument("raw", nargs="+", metavar="RAW", help="raw text files (UTF-8)")
    p.add_argument("--model", type=model_file, help="model file or shipped name (default: the shipped model)")
    p.add_argument("--top", type=integer(0), default=100, help="words listed, best first (0: all that pass)")
    p.add_argument("--min-count", type=integer(1), default=3, help="fewest occurrences of a word")
    p.add_argument("--json", action="store_true",
                   help="one JSON object a line (count, confidence, PMI, boundary entropies, an example context) "
                        "instead of `word count` lines (a user dictionary for --user-dict)")
    p.add_argument("--threads", type=integer(1), help="threads for every pool (default: the cores free now)")
    p = sub.add_parser("adapt", help="adapt a model to a domain from raw text alone (no annotation)")
    p.add_argument("model", type=model_file, help="model file or shipped name (default, fast)")
    p.add_argument("raw", nargs="+", metavar="RAW", help="raw text files of the domain (UTF-8)")
    p.add_argument("-o", "--output", required=True, help="the adapted model file to write")
    p.add_argument("--min-count", type=integer(1), default=3, help="fewest occurrences of a new word")
    p.add_argument("--max-minutes", type=real(0), help="time budget; a longer text is cut to fit (default: none)")
    p.add_argument("--seed", type=integer(0), default=1, help="seed of self-training's sampling and batches")
    p.add_argument("--max-harm", type=real(0), default=0.005, metavar="F1",
                   help="most F1 the default standard may lose on its own corpora's dev sentences, where they are "
                        "registered here (default 0.005; 1 turns the check off)")
    p.add_argument("--vectors", action="store_true",
                   help="also give the text's new characters and bigrams rows from skip-gram vectors of the text "
                        "(needs gensim; off by default: no gain measured, docs/training.md)")
    p.add_argument("--threads", type=integer(1), help="threads for every pool (default: the cores free now)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def cmd_words(args) -> int:
    from ..modelio import load
    from ..adapt import check_raw, read_raw
    from ..newwords import dictionary_lines, discover
    check_raw(args.raw)
    lines = read_raw(args.raw)
    tagger = load(args.model, threads=args.threads, precision="float32")
    found = discover(tagger, lines, top=args.top, min_count=args.min_count)
    if args.json:
        for word in found:
            print(json.dumps(word.to_dict(), ensure_ascii=False))
    else:
        sys.stdout.writelines(dictionary_lines(found))
    print(f"{len(found)} new words", file=sys.stderr)
    return 0


def cmd_adapt(args) -> int:
    from ..modelio import load
    from ..adapt import adapt, check_raw
    from ..modelio import save_model
    check_raw(args.raw)
    if args.max_minutes is not None and args.max_minutes <= 0:
        raise TaggerError(f"--max-minutes must be positive, not {args.max_minutes}")
    log = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    tagger = load(args.model, threads=args.threads, precision="float32")
    adapt(tagger, args.raw, min_count=args.min_count, max_minutes=args.max_minutes, log=log,
          seed=args.seed, vectors=args.vectors, max_harm=args.max_harm)
    save_model(tagger, args.output, half=_stored_half(tagger))
    log(f"wrote {args.output}")
    return 0


def _stored_half(tagger) -> bool:
    """Keep float16 weights where the source file had them (the shipped models do)."""
    import torch
    return any(p.dtype == torch.float16 for p in tagger.model.state_dict().values())


def cmd_fine_tune(args) -> int:
    """`tagger train CORPUS --init MODEL`: fine-tune MODEL on CORPUS (tagger/finetune.py)."""
    from ..corpora import is_name, read_part, training_parts
    from ..evaluate import score_tests
    from ..finetune import FineTuneConfig, fine_tune
    from ..modelio import load_model, resolve, save_model
    from ..threads import set_threads
    _refuse_training_only(args)
    set_threads(args.threads)
    log = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr, flush=True))
    train_part, dev_part = training_parts(args.corpus, args.dev, args.format)
    tagger = load_model(resolve(args.init))
    task = tagger.task.name
    if args.task and args.task != task:
        raise TaggerError(f"--task {args.task}: {args.init} is a {task} model; fine-tuning keeps its task")
    defaults = FineTuneConfig()
    config = FineTuneConfig(lr=_given(args.lr, defaults.lr), epochs=_given(args.epochs, defaults.epochs),
                            patience=_given(args.patience, defaults.patience),
                            replay=_given(args.replay, defaults.replay),
                            anchor=_given(args.anchor, defaults.anchor),
                            batch_chars=_given(args.batch_chars, defaults.batch_chars), seed=args.seed,
                            max_minutes=args.max_minutes or None, threads=args.threads)
    tuned = fine_tune(tagger, read_part(train_part, task=task), read_part(dev_part, task=task), args.standard,
                      config, corpus=args.corpus, log=log, init_name=args.init)
    if args.half or _stored_half(tagger):
        from ..modelio import round_to_half
        round_to_half(tuned)
    if not args.no_test and is_name(args.corpus):
        standard = tuned.metadata["fine_tuned"]["standard"]
        score_tests(tuned, {standard: args.corpus}, task, log)
    save_model(tuned, args.output, half=args.half or _stored_half(tagger))
    log(f"wrote {args.output}")
    return 0


# options of a training from scratch that fine-tuning does not apply: given with --init, they
# are refused rather than silently dropped
TRAINING_ONLY = {"swap_names": "--swap-names", "unpunctuated": "--unpunctuated", "posted": "--posted", "ema": "--ema",
                 "unk_dropout": "--unk-dropout"}


def _refuse_training_only(args) -> None:
    from ..trainconfig import TrainConfig
    given = [option for name, option in TRAINING_ONLY.items() if getattr(args, name) != getattr(TrainConfig, name)]
    if given:
        raise TaggerError(f"{', '.join(given)}: not with --init (fine-tuning does not apply "
                          f"{'it' if len(given) == 1 else 'them'}); train from scratch instead")


def _given(value, default):
    return default if value is None else value
