"""The `distill` command: its options, and the split of its arguments into teachers and sources."""
from __future__ import annotations

import argparse
import sys

from ..distill import NETWORKS, DistillConfig, distill
from ..errors import TaggerError
from ..threads import HELP as THREADS_HELP
from ..options import integer, integer_list, real

DESCRIPTION = "Knowledge distillation: a small, fast student learns a teacher's per-character tag distributions."


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = DistillConfig()
    p.add_argument("teachers", nargs="+", metavar="TEACHER",
                   help="teacher model file(s); several (trained alike) are averaged; then any corpus names "
                        "or raw text files to learn from besides the teacher's own training corpora")
    p.add_argument("-o", "--output", required=True, help="student model file to write")
    p.add_argument("--network", choices=NETWORKS, default=d.network,
                   help=f"student network: idcnn (dilated CNN, parallel over time) or bilstm (default: {d.network})")
    p.add_argument("--char-dim", type=integer(1), default=d.char_dim, help=f"character embedding size (default: {d.char_dim})")
    p.add_argument("--bigram-dim", type=integer(0), default=d.bigram_dim, help=f"bigram embedding size (default: {d.bigram_dim})")
    p.add_argument("--channels", type=integer(1), default=d.channels, help=f"idcnn: convolution width (default: {d.channels})")
    p.add_argument("--skip-bad-lines", action="store_true",
                   help="skip (and count) malformed corpus lines instead of stopping at the first")
    p.add_argument("--dilations", type=integer_list(1, 64), default=",".join(map(str, d.dilations)),
                   help=f"idcnn: dilations of the block, comma-separated (default: {','.join(map(str, d.dilations))})")
    p.add_argument("--iterations", type=integer(1), default=d.iterations,
                   help=f"idcnn: times the dilated block is applied (default: {d.iterations})")
    p.add_argument("--no-context", action="store_true",
                   help="idcnn: no vector of the whole text at every step (sees only its window)")
    p.add_argument("--hidden", type=integer(1), default=d.hidden, help=f"bilstm: units per direction (default: {d.hidden})")
    p.add_argument("--no-dictionary", action="store_true", help="drop the teacher's dictionary features (faster)")
    p.add_argument("--dropout", type=real(0, 1, high_open=True), default=d.dropout, help=f"dropout (default: {d.dropout})")
    p.add_argument("--epochs", type=integer(1), default=d.epochs, help=f"most epochs (default: {d.epochs})")
    p.add_argument("--batch-chars", type=integer(1), default=d.batch_chars,
                   help=f"characters per batch (default: {d.batch_chars})")
    p.add_argument("--lr", type=real(0, low_open=True), default=d.lr, help=f"Adam's learning rate (default: {d.lr})")
    p.add_argument("--patience", type=integer(0), default=d.patience,
                   help=f"epochs without a dev F1 gain before stopping (default: {d.patience})")
    p.add_argument("--gold-weight", type=real(0, 1), default=d.gold_weight,
                   help=f"share of the loss from gold tags of labeled sentences (default: {d.gold_weight})")
    p.add_argument("--mixed-share", type=real(0, 1), default=d.mixed_share,
                   help="multi-criteria teacher: chance a corpus sentence is read with the default standard "
                        f"instead of its own (default: {d.mixed_share})")
    p.add_argument("--no-teacher-corpora", action="store_true",
                   help="learn only from the sources given, not from the teacher's training corpora")
    p.add_argument("--no-teacher-init", action="store_true",
                   help="random embeddings instead of the teacher's reduced by PCA")
    p.add_argument("--seed", type=integer(0, 2**32 - 1), default=d.seed, help=f"random seed (default: {d.seed})")
    p.add_argument("--max-minutes", type=real(0), help="time budget for the epochs (default: none)")
    p.add_argument("--cache", metavar="FILE.npz",
                   help="keep the teacher pass here and reuse it when teachers and sources are the same "
                        "(trying several students; default: none)")
    p.add_argument("--threads", type=integer(1), help=THREADS_HELP)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    p.add_argument("--full-precision", action="store_true", help="store float32 weights (default: float16)")


def config_of(args) -> tuple[list[str], list[str], DistillConfig]:
    """(teacher files, sources, config) of parsed arguments: the leading model files are teachers."""
    from ..modelio import is_model_name
    items = list(args.teachers)
    count = 0
    while count < len(items) and is_model_name(items[count]):
        count += 1
    if count == 0:
        raise TaggerError(f"{items[0]}: not a model file; the first arguments are the teacher model files")
    config = DistillConfig(network=args.network, char_dim=args.char_dim, bigram_dim=args.bigram_dim,
                           channels=args.channels, dilations=args.dilations, iterations=args.iterations,
                           context=not args.no_context, hidden=args.hidden,
                           dictionary=not args.no_dictionary, dropout=args.dropout, epochs=args.epochs,
                           batch_chars=args.batch_chars, lr=args.lr, patience=args.patience,
                           gold_weight=args.gold_weight, mixed_share=args.mixed_share,
                           teacher_corpora=not args.no_teacher_corpora, init_from_teacher=not args.no_teacher_init,
                           seed=args.seed, max_minutes=args.max_minutes or None, cache=args.cache, threads=args.threads,
                           device=args.device, half=not args.full_precision)
    return items[:count], items[count:], config


def cmd_distill(args) -> int:
    from ..threads import set_threads
    teachers, sources, config = config_of(args)
    set_threads(config.threads)
    from ..textlines import BadLines
    bad = BadLines() if args.skip_bad_lines else None
    distill(teachers, args.output, sources, config, bad=bad)
    if bad:
        print(bad.summary(), file=sys.stderr)
    return 0


def add_command(subparsers) -> argparse.ArgumentParser:
    """The `distill` subcommand on a `tagger` argparse subparsers object."""
    p = subparsers.add_parser("distill", help="train a small, fast student model on a teacher model's tag distributions",
                              description=DESCRIPTION)
    add_arguments(p)
    p.set_defaults(func=cmd_distill)
    return p
