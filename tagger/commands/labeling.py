"""`tagger segment` and `tagger tag`: lines of text in, one result per input line out, streamed."""
from __future__ import annotations

import json
from typing import Callable, Iterable, Iterator

from ..files import write_text_atomic
from ..engine import check_device, choose_engine, lean_memory
from ..errors import TaggerError


def cmd_segment(args) -> int:
    engine = choose_engine(args.engine, args.file, args.device, args.precision)
    return _run_lines(args, engine,
                      lambda lines: (args.delimiter.join(words) + "\n" for words in _words(args, engine, lines)))


def cmd_tag(args) -> int:
    def label(lines: Iterator[str]) -> Iterable[str]:
        segmenter = _load(args, args.model)
        return (_render_spans(line, spans, args.format, segmenter)
                for line, spans in segmenter.iter_label(lines, args.batch_lines, standard=args.standard))
    return _run_lines(args, "torch", label)


def _run_lines(args, engine: str, label: Callable[[Iterator[str]], Iterable[str]]) -> int:
    """The pipeline `segment` and `tag` share, over their shared I/O options: keep memory flat,
    read the input lazily, and write what `label` makes of its lines (it loads the model before
    it returns) as UTF-8, atomically to -o, else to stdout as it comes. (The CLI has checked
    that no output is the input: tagger/files.py.)"""
    from ..readers import read_raw
    lean_memory(engine)
    write_text_atomic(args.output or "-", label(read_raw(args.file, args.encoding, args.errors)))
    return 0


def _load(args, path, engine: str = "torch"):
    """The model at `path` on --device with --threads, its --standard checked before any input is read."""
    from .. import load
    segmenter = load(path, engine, threads=args.threads, precision=args.precision).to(check_device(args.device))
    segmenter.encoder.standard_of(args.standard)
    return segmenter


def _words(args, engine: str, lines: Iterator[str]) -> Iterable[list[str]]:
    """The words of each line: word/POS tokens (--pos), worker processes (--jobs), or one model here."""
    if args.pos:
        from .. import POS_MODEL
        from ..evaluate import joined_names
        from ..posseg import require_pos_model
        segmenter = _load(args, args.model or POS_MODEL, engine)
        require_pos_model(segmenter, joined_names(args.model) if args.model else POS_MODEL)
        return _pos_words(segmenter, lines, args)
    if args.jobs > 1:
        if check_device(args.device) != "cpu":
            raise TaggerError(f"--device {args.device} needs --jobs 1 (worker processes run on the CPU)")
        from .. import load
        from ..parallel import segment_parallel
        load(args.model).encoder.standard_of(args.standard)  # fail here, clearly, not inside a worker
        if args.user_dict:
            from ..userdict import UserDict
            UserDict().load(args.user_dict)
        return segment_parallel(lines, args.model, args.jobs, args.batch_lines, args.user_dict, args.standard,
                                args.precision)
    segmenter = _load(args, args.model, engine)
    if args.user_dict:
        segmenter.user_dict.load(args.user_dict)
    return segmenter.iter_segment(lines, batch_lines=args.batch_lines, batch_chars=args.batch_chars,
                                  standard=args.standard)


def _pos_words(segmenter, lines, args):
    """word/POS tokens per line (whitespace runs kept as they are), for `segment --pos`."""
    from ..posseg import pieces
    for line, spans in segmenter.iter_label(lines, args.batch_lines, args.batch_chars, args.standard):
        yield [piece if label is None else f"{piece}/{label}" for piece, label in pieces(line, spans)]


def _render_spans(line: str, spans, fmt: str, segmenter) -> str:
    """One input line as a JSON line of spans, or as CoNLL rows and a blank line."""
    if fmt == "jsonl":
        items = [{"text": line[s:e], "start": s, "end": e, "label": label} for s, e, label in spans]
        return json.dumps({"text": line, "spans": items}, ensure_ascii=False) + "\n"
    if not segmenter.task.segments:  # one character a row with its entity tag
        tags = segmenter.task.scheme.tags(len(line), spans)
        rows = [f"{c}\t{t}" for c, t in zip(line, tags) if not c.isspace()]
    else:  # one word a row with its POS (or '_' for plain segmentation)
        rows = [f"{line[s:e]}\t{label or '_'}" for s, e, label in spans]
    return "".join(row + "\n" for row in rows) + "\n"
