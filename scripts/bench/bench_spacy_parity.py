#!/usr/bin/env python
"""spaCy parity: a blank Chinese pipeline with tagger's tokenizer gives tagger.lcut's words.

Each line of the text is segmented three ways: `tagger.lcut(line)`, `nlp(line)` and, batched,
`nlp.tokenizer.pipe(lines)`. A line agrees when the spaCy tokens, whitespace tokens and
trailing spaces aside, are lcut's words with whitespace runs left out, and `doc.text` is the
line exactly.

    OMP_NUM_THREADS=1 TAGGER_THREADS=1 python -m scripts.bench.bench_spacy_parity \\
        /work/shared/corpora/sighan2005/pku_test.utf8 --json results/serve/spacy_parity.json

Prints the counts (lines, agreeing lines, words, lines with doc.text == line) and exits 1 on
any disagreement.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "tagger.Tokenizer.v1"}}}


def words_of(doc) -> list[str]:
    return [token.text for token in doc if not token.is_space]


def compare(lines: list[str], nlp, lcut) -> dict:
    """Counts of agreement between lcut and the spaCy pipeline, one line at a time and batched."""
    started = time.perf_counter()
    expected = [[word for word in lcut(line) if not word.isspace()] for line in lines]
    lcut_seconds = time.perf_counter() - started
    started = time.perf_counter()
    single = [nlp(line) for line in lines]
    single_seconds = time.perf_counter() - started
    started = time.perf_counter()
    batched = list(nlp.tokenizer.pipe(lines))
    batched_seconds = time.perf_counter() - started
    mismatches = [number for number, (want, doc) in enumerate(zip(expected, single), start=1) if words_of(doc) != want]
    return {
        "lines": len(lines),
        "words": sum(map(len, expected)),
        "lines_same_words": len(lines) - len(mismatches),
        "lines_same_words_batched": sum(words_of(doc) == want for want, doc in zip(expected, batched)),
        "lines_text_exact": sum(doc.text == line for doc, line in zip(single, lines)),
        "lines_text_exact_batched": sum(doc.text == line for doc, line in zip(batched, lines)),
        "first_mismatches": mismatches[:10],
        "seconds": {"lcut": round(lcut_seconds, 2), "nlp": round(single_seconds, 2),
                    "tokenizer_pipe": round(batched_seconds, 2)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text", help="UTF-8 text, one line a sample")
    parser.add_argument("--json", help="also write the counts here")
    args = parser.parse_args(argv)
    import spacy

    import tagger
    lines = Path(args.text).read_text(encoding="utf-8").splitlines()
    nlp = spacy.blank("zh", config=CONFIG)
    result = {"text": args.text, "spacy": spacy.__version__, **compare(lines, nlp, tagger.lcut)}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    agree = result["lines_same_words"] == result["lines_same_words_batched"] == result["lines_text_exact"] \
        == result["lines_text_exact_batched"] == result["lines"]
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
