"""Every damaged or hostile model file through the commands that open one: exit status, the
error's lines, and peak memory against the file's size.

Each file of scripts/qa/crafted_models.py is made from a real model (default: the shipped
default model, 16 MB, so twice a file's size is a budget well above the noise of a process;
the zip bomb is made to inflate 1,000 times, to 1 GB), then opened by `tagger info`, `tagger
segment --engine numpy` and `tagger segment --engine torch`, each in its own process. A row
passes when the process exits with status 1, prints one line naming the file, no traceback,
and its peak RSS is at most twice the file's size above the same command's on an empty file
(the empty-process baseline: the interpreter, tagger and its imports, refusing at once).

    python -m scripts.qa.hostile_models --json results/qa/hostile_models.json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from scripts.common import command_line, run_child, run_tagger
from tagger.files import write_json

COMMANDS = {
    "info": ["info", "{model}"],
    "segment, numpy": ["segment", "{text}", "--model", "{model}", "--engine", "numpy", "--threads", "1"],
    "segment, torch": ["segment", "{text}", "--model", "{model}", "--engine", "torch", "--threads", "1"],
}


def run(command: list[str], model: Path, text: Path) -> dict:
    done = run_tagger([part.format(model=model, text=text) for part in command], capture=True)
    err = done.stderr.decode("utf-8", "replace").strip()
    return {"status": done.returncode, "peak_mb": done.peak_mb, "lines": err.count("\n") + 1 if err else 0,
            "traceback": "Traceback" in err, "names_file": str(model) in err, "error": err.splitlines()[-1:] or [""]}


def _shown(path: Path) -> str:
    """The model's path as the results show it: relative to the repository when inside it (no
    machine's folders in a committed file), else its name."""
    root = Path(__file__).resolve().parents[2]
    resolved = path.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else path.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="the good model the files are made from (default: the shipped one)")
    parser.add_argument("--json", help="write the table here")
    args = parser.parse_args(argv)
    source = Path(args.model or Path(__file__).resolve().parents[2] / "tagger" / "data" / "default.model")
    rows, failed = [], 0
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        text = tmp / "text.txt"
        text.write_text("我们在北京大学研究生命的起源。\n", encoding="utf-8")
        empty = tmp / "empty.model"
        empty.write_bytes(b"")
        baseline = {name: run(command, empty, text)["peak_mb"] for name, command in COMMANDS.items()}
        made = run_child([sys.executable, "-m", "scripts.qa.crafted_models", str(source), folder,
                          "--bomb-bytes", str(1 << 30)])  # made in a child: this process stays small,
        if made.returncode:                               # as a child's peak counts its parent's at fork
            raise SystemExit("making the crafted files failed")
        for case, name in json.loads((tmp / "index.json").read_text(encoding="utf-8")).items():
            path = tmp / name
            size = path.stat().st_size
            budget_mb = 2 * size / 2**20
            for name, command in COMMANDS.items():
                result = run(command, path, text)
                above = result["peak_mb"] - baseline[name]
                ok = (result["status"] == 1 and result["lines"] == 1 and result["names_file"]
                      and not result["traceback"] and above <= max(budget_mb, 1))
                failed += not ok
                rows.append({"file": case, "bytes": size, "command": name, **result,
                             "above_baseline_mb": above, "budget_mb": round(budget_mb, 2), "ok": ok})
                print(f"{'ok  ' if ok else 'FAIL'} {case:44} {name:15} status {result['status']} "
                      f"{above:+5d} MB (budget {budget_mb:.1f})", flush=True)
    report = {"command": command_line("scripts.qa.hostile_models", argv if argv is not None else sys.argv[1:]),
              "model": _shown(source), "baseline_mb": baseline, "rows": rows,
              "failed": failed, "passed": len(rows) - failed}
    print(json.dumps({k: report[k] for k in ("baseline_mb", "failed", "passed")}))
    if args.json:
        write_json(args.json, report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
