#!/usr/bin/env python
"""Fuzz the segmenter: N random inputs (default 10,000), none may raise or lose a character.

Inputs mix arbitrary code points from every plane with the troublemakers people actually send:
emoji and ZWJ sequences, combining marks, CJK extension planes, control and zero-width
characters, mixed scripts, URLs and numbers, whitespace-only and empty lines. Lines are
segmented in batches and one by one (batched output must equal one-by-one output).

    python -m scripts.qa.fuzz [--n 10000] [--seed 0] [--model MODEL] [--json results/qa/fuzz.json]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time

from tagger.files import write_json

SPECIALS = ["👨‍👩‍👧‍👦", "🏳️‍🌈", "😀", "e\u0301", "\u0301", "\u200b", "\u200d", "\ufeff", "\u2028", "\x00",
            "\x1b", "\t", "\u3000", " ", "\r", "\x0b", "\x85", "𠀀", "𪚥", "𰀀", "한국어", "Ελληνικά", "عربي",
            "https://例子.cn/路径?q=1", "3.1415", "１２３", "ＡＢＣ", "iPhone15", "—", "……", "《", "》"]
CJK = "我们喜欢北京大学研究生命的起源中国人民和平发展经济社会"


def random_text(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.05:
        return ""
    if kind < 0.10:
        return "".join(rng.choice([" ", "\t", "\u3000", "\x0b", "\x0c"]) for _ in range(rng.randint(1, 5)))
    pieces = []
    for _ in range(rng.randint(1, 20)):
        roll = rng.random()
        if roll < 0.4:
            pieces.append("".join(rng.choice(CJK) for _ in range(rng.randint(1, 8))))
        elif roll < 0.7:
            pieces.append(rng.choice(SPECIALS))
        else:
            plane = rng.choice([0x7F, 0xFFFF, 0x10FFFF])
            code = rng.randint(0, plane)
            if 0xD800 <= code <= 0xDFFF:  # lone surrogates cannot be UTF-8 encoded
                code = 0x4E00
            pieces.append(chr(code))
    return "".join(pieces).replace("\n", "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model")
    parser.add_argument("--json")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    import tagger
    segmenter = tagger.load(args.model)
    rng = random.Random(args.seed)
    texts = [random_text(rng) for _ in range(args.n)]
    failures = []
    start = time.perf_counter()
    batched = []
    for i in range(0, len(texts), 500):
        batched.extend(segmenter.segment_lines(texts[i:i + 500]))
    for i, (text, words) in enumerate(zip(texts, batched)):
        try:
            alone = segmenter.segment_lines([text])[0]
        except Exception as err:  # noqa: BLE001 - the point is to catch anything
            failures.append({"index": i, "text": text, "error": repr(err)})
            continue
        if "".join(words) != text or alone != words or any(not w for w in words):
            failures.append({"index": i, "text": text, "words": words, "alone": alone})
    result = {"inputs": len(texts), "failures": len(failures), "seconds": round(time.perf_counter() - start, 1),
              "examples": failures[:5]}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        write_json(args.json, result)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
