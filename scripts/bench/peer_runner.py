#!/usr/bin/env python
"""Segment text files with one peer tool (jieba, pkuseg or THULAC), out of the box, as a user
gets it: `jieba.initialize()` then `jieba.lcut`, `pkuseg.pkuseg()` (the default mixed model
with its bundled dictionary), `thulac.thulac(seg_only=True)`.

It runs in the peers' own interpreter, which has the peer but not tagger, so it imports only
the standard library and the peer. Each input line gives one output line: the words joined by
single spaces, whitespace tokens dropped. Only the segmentation loop is timed (loading apart),
after one warm-up sentence, and the seconds go to a JSON file, not stdout, because the peers
print their own messages there.

    python scripts/bench/peer_runner.py jieba --timings T.json IN OUT [IN OUT ...]
    python scripts/bench/peer_runner.py thulac --check        # exit 0 and print the version if importable
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import sys
import time
from typing import Callable

PEERS = ("jieba", "pkuseg", "thulac")
WARM_UP = "我们在北京大学研究生命的起源。"


def load_peer(tool: str) -> Callable[[str], list[str]]:
    """The peer's word cutter, made as its authors document for default use."""
    if tool == "jieba":
        import jieba
        jieba.initialize()
        return jieba.lcut
    if tool == "pkuseg":
        import pkuseg
        return pkuseg.pkuseg().cut
    if tool == "thulac":
        import thulac
        cutter = thulac.thulac(seg_only=True)
        return lambda line: [word for word, _ in cutter.cut(line)]
    raise ValueError(f"unknown peer {tool!r}; known: {', '.join(PEERS)}")


def peer_version(tool: str) -> str:
    """The installed distribution's version; importing first proves the peer really loads."""
    __import__(tool)
    return importlib.metadata.version(tool)


def segment_file(cut: Callable[[str], list[str]], source: str, target: str) -> tuple[float, int]:
    """(seconds spent cutting, lines) for one file; reading and writing are not timed."""
    with open(source, encoding="utf-8", newline="\n") as handle:
        lines = [line.rstrip("\r\n") for line in handle]
    start = time.perf_counter()
    words = [cut(line) for line in lines]
    seconds = time.perf_counter() - start
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        for line_words in words:
            handle.write(" ".join(w for w in line_words if w and not w.isspace()) + "\n")
    return seconds, len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="segment files with jieba, pkuseg or THULAC")
    parser.add_argument("tool", choices=PEERS)
    parser.add_argument("files", nargs="*", help="pairs of INPUT OUTPUT paths")
    parser.add_argument("--check", action="store_true", help="only print the version if the peer imports")
    parser.add_argument("--timings", help="write {'load_seconds', 'seconds': {INPUT: s}} here as JSON")
    args = parser.parse_intermixed_args(argv)
    if args.check:
        try:
            print(peer_version(args.tool))
        except ImportError as err:
            print(f"{args.tool}: {err}", file=sys.stderr)
            return 1
        return 0
    if len(args.files) % 2 or not args.files:
        parser.error("give INPUT OUTPUT pairs")
    with contextlib.redirect_stdout(sys.stderr):
        start = time.perf_counter()
        cut = load_peer(args.tool)
        load_seconds = time.perf_counter() - start
        cut(WARM_UP)
        seconds = {}
        for source, target in zip(args.files[::2], args.files[1::2]):
            seconds[source], _ = segment_file(cut, source, target)
    if args.timings:
        with open(args.timings, "w", encoding="utf-8") as handle:
            json.dump({"version": peer_version(args.tool), "load_seconds": load_seconds, "seconds": seconds}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
