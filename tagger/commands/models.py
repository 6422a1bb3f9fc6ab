"""The commands that take a trained model: evaluate, explain, export, summary, info, upgrade, serve."""
from __future__ import annotations

import json
import sys

from ..files import write_json, write_text_atomic
from ..errors import TaggerError, install_hint


def cmd_evaluate(args) -> int:
    from ..evaluate import evaluate
    if args.compare:
        from ..significance import compare
        if len(args.prediction) != 2:
            raise TaggerError(f"--compare takes two predictions (models or output files), not {len(args.prediction)}")
        if args.skip_bad_lines:
            raise TaggerError("--compare reads the gold whole: drop --skip-bad-lines, or fix the gold file")
        report = compare(*args.prediction, args.gold, args.format, args.standard, args.threads, args.draws,
                         types=args.types)
    else:
        from ..textlines import BadLines
        bad = BadLines() if args.skip_bad_lines else None
        report = evaluate(args.prediction, args.gold, args.format, args.words, args.standard, args.top_errors,
                          args.threads, note=lambda message: print(message, file=sys.stderr), bad=bad,
                          types=args.types)
        if bad:
            print(bad.summary(), file=sys.stderr)
    for line in report.lines:
        print(line)
    if args.json:
        write_json(args.json, report.scores)
    return 0


def cmd_explain(args) -> int:
    from ..modelio import load
    from ..explain import explain, to_html, to_png
    if not args.text.strip():
        raise TaggerError("nothing to explain: the text is empty")
    # float32: the probabilities shown come from the same numbers as the tags decoded
    result = explain(load(args.model, engine="torch", precision="float32"), args.text, args.standard)
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
    from ..modelio import load
    from ..export import export
    path = export(load(args.model, engine="torch"), args.output, args.format)
    print(f"wrote {path} and {path}.json")
    return 0


def cmd_summary(args) -> int:
    from ..modelio import load
    from ..summary import summary_text
    print(summary_text(load(args.model, engine="torch").model))
    return 0


def _without_nan(value):
    """JSON has no NaN: a score that does not exist (the dev F1 of a --final model, which files
    written before it was null hold as NaN) is null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    return [_without_nan(v) for v in value] if isinstance(value, (list, tuple)) else value


def cmd_info(args) -> int:
    from ..modelio import SHIPPED
    from ..modelio import read_metadata
    info = read_metadata(args.model or SHIPPED["default"])
    print(json.dumps(_without_nan(info), indent=2, ensure_ascii=False, default=str, allow_nan=False))
    return 0


def cmd_upgrade(args) -> int:
    import os

    from ..modelio import resolve, upgrade
    source = resolve(args.model)
    if os.path.exists(args.output) and os.path.exists(source) and os.path.samefile(source, args.output):
        raise TaggerError(f"{args.output}: is the input model; write the upgraded one elsewhere")
    payload = upgrade(source, args.output)
    print(f"wrote {args.output} (format version {payload['format_version']})")
    return 0


def cmd_serve(args) -> int:
    try:
        import uvicorn  # noqa: F401 (missing: the one-line error below, before the models load)

        from ..serve import Limits, serve
    except ImportError as error:
        if error.name not in ("fastapi", "uvicorn", "starlette", "pydantic"):
            raise
        raise TaggerError(f"tagger serve needs {error.name}: {install_hint('serve')}") from None
    if not 0 <= args.port <= 65535:
        raise TaggerError(f"--port must be 0-65535, not {args.port}")
    limits = Limits(body_bytes=args.max_body_bytes, texts=args.max_texts, chars=args.max_chars,
                    explain_chars=args.max_explain_chars)
    if min(limits.body_bytes, limits.texts, limits.chars, limits.explain_chars) < 1:
        raise TaggerError("the --max-* limits must be positive")
    serve(args.model, False if args.no_pos else args.pos_model, args.host, args.port, limits,
          args.threads, args.log_level, allow_hosts=args.allow_host, workers=args.workers)
    return 0
