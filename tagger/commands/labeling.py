"""`tagger segment` and `tagger tag`: lines of text in, one result per input line out, streamed."""
from __future__ import annotations

import json
import re
from typing import Callable, Iterable, Iterator

from ..files import write_text_atomic
from ..engine import check_device, choose_engine, choose_jobs, lean_memory
from ..errors import TaggerError


def cmd_segment(args) -> int:
    from ..modelio import engine_threshold
    engine = choose_engine(args.engine, args.file, args.device, args.precision,
                           engine_threshold(args.model if args.model or not args.pos else "pos"))
    args.jobs = choose_jobs(args.jobs, args.file, args.device, args.threads)
    return _run_lines(args, engine, lambda lines: _segmented_text(args, engine, lines))


def cmd_tag(args) -> int:
    from ..modelio import engine_threshold
    model = args.model or "ner"  # no --model: the shipped NER model
    engine = choose_engine(args.engine, args.file, args.device, args.precision, engine_threshold(model))

    def label(lines: Iterator[str]) -> Iterable[str]:
        tagger = _load(args, model, engine)
        return (_render_spans(line, spans, args.format, tagger)
                for line, spans in tagger.iter_label(lines, args.batch_lines, standard=args.standard))
    return _run_lines(args, engine, label)


def _run_lines(args, engine: str, label: Callable[[Iterator[str]], Iterable[str]]) -> int:
    """The pipeline `segment` and `tag` share, over their shared I/O options: keep memory flat,
    read the input lazily, and write what `label` makes of its lines (it loads the model before
    it returns) as UTF-8, atomically to -o, else to stdout as it comes. (The CLI has checked
    that no output is the input: tagger/files.py.)"""
    from ..textlines import read_raw
    lean_memory(engine)
    write_text_atomic(args.output or "-", label(read_raw(args.file, args.encoding, args.errors)))
    return 0


def _load(args, path, engine: str = "torch"):
    """The model at `path` on --device with --threads, its --standard checked before any input is read."""
    from ..modelio import load
    tagger = load(path, engine, threads=args.threads, precision=args.precision).to(check_device(args.device))
    tagger.encoder.standard_of(args.standard)
    return tagger


def _segmented_text(args, engine: str, lines: Iterator[str]) -> Iterable[str]:
    """The output: each line's tokens joined by --delimiter (worker processes join their own)."""
    if args.jobs > 1 and not args.pos:
        return _parallel(args, engine, lines, args.model, delimiter=args.delimiter)
    return (args.delimiter.join(words) + "\n" for words in _words(args, engine, lines))


def _parallel(args, engine: str, lines: Iterator[str], model, delimiter: str | None = None):
    """segment_parallel over --jobs workers, after the model, --standard, --pos and --user-dict
    were checked here (one clear error, not one inside a worker)."""
    if check_device(args.device) != "cpu":
        raise TaggerError(f"--device {args.device} needs --jobs 1 (worker processes run on the CPU)")
    from ..modelio import load
    from ..parallel import segment_parallel
    _check(args, load(model), model)
    if args.user_dict:
        from ..userdict import UserDict
        UserDict().load(args.user_dict)
    return segment_parallel(lines, model, args.jobs, args.batch_lines, args.user_dict, args.standard,
                            args.precision, pos=args.pos, engine=engine, delimiter=delimiter)


def _words(args, engine: str, lines: Iterator[str]) -> Iterable[list[str]]:
    """The tokens of each line, words or with --pos word/POS, from worker processes (--jobs) or
    one model here; --user-dict holds the words whole either way."""
    from ..modelio import SHIPPED
    model = (args.model or SHIPPED["pos"]) if args.pos else args.model
    if args.jobs > 1:
        tokens = _parallel(args, engine, lines, model)
    else:
        tagger = _check(args, _load(args, model, engine), model)
        if args.user_dict:
            tagger.user_dict.load(args.user_dict)
        if not args.pos:
            return tagger.iter_segment(lines, batch_lines=args.batch_lines, batch_chars=args.batch_chars,
                                          standard=args.standard)
        from ..spanviews import flagged_words
        tokens = (flagged_words(line, spans, tagger.user_dict)
                  for line, spans in tagger.iter_label(lines, args.batch_lines, args.batch_chars, args.standard))
    return (_slashed(pairs) for pairs in tokens) if args.pos else tokens


def _check(args, tagger, model):
    """The loaded model, after checking that it can do what was asked (--standard, --pos)."""
    tagger.encoder.standard_of(args.standard)
    if args.pos:
        from ..evaluate import joined_names
        from ..posseg import require_pos_model
        require_pos_model(tagger, joined_names(args.model) if args.model else model)
    return tagger


def _slashed(pairs: list[tuple[str, str]]) -> list[str]:
    """word/POS tokens of `segment --pos`: whitespace runs stay as they are."""
    return [word if word.isspace() else f"{word}/{flag}" for word, flag in pairs]


def _render_spans(line: str, spans, fmt: str, tagger) -> str:
    """One input line as a JSON line of spans, or as CoNLL rows and a blank line."""
    if fmt == "jsonl":
        items = [{"text": line[s:e], "start": s, "end": e, "label": label} for s, e, label in spans]
        return json.dumps({"text": line, "spans": items}, ensure_ascii=False) + "\n"
    if not tagger.task.segments:  # one unit a row, a character or a word-level model's word, with its entity tag
        units = [(m.start(), m.end()) for m in re.finditer(r"\S+" if tagger.units == "words" else r"\S", line)]
        first = {start: number for number, (start, _) in enumerate(units)}
        after = {end: number + 1 for number, (_, end) in enumerate(units)}
        tags = tagger.task.scheme.tags(len(units), [(first[s], after[e], label) for s, e, label in spans])
        rows = [f"{line[s:e]}\t{t}" for (s, e), t in zip(units, tags)]
    else:  # one word a row with its POS (or '_' for plain segmentation)
        rows = [f"{line[s:e]}\t{label or '_'}" for s, e, label in spans]
    return "".join(row + "\n" for row in rows) + "\n"
