#!/usr/bin/env python
"""How much of its entity F1 a tool keeps on text written as social media writes it.

No social-media NER corpus is at hand, so the MSRA NER test set (PER/LOC/ORG; `--set
CORPUS:SPLIT --types ...` takes another, e.g. `msra-ner:dev` to choose between models) is
rewritten the ways such text differs from news, each rewrite keeping every gold entity (its offsets
follow the text), and each tool is scored on every version:
- `traditional`: every character in Traditional script (the inverse of tagger/data/t2s.tsv,
  OpenCC's table: a Simplified character takes the first Traditional one that folds to it);
- `full width`: ASCII letters, digits and signs in full width;
- `no punctuation`: the sentence's punctuation dropped (where no entity holds it), as in
  hurried posts;
- `emoji`: an emoji after every comma and sentence end, and at the end;
- `tildes`: `~~` after every comma and sentence end (a drawn-out tone);
- `emoticon codes`, `faces`, `latin words`: after every comma and sentence end, one of five
  real Weibo emoticon codes (`[哈哈]`, `[泪]`, ...), text faces (`T_T`, `(^_^)`, ...) or
  Latin words of chat (`OMG`, `lol`, `yyds`, ...), chosen by the mark's offset;
- `spaced words`: a space after every word (as tagger's shipped segmenter cuts the sentence)
  outside entities;
- `weibo`: a post's trappings around the sentence, one of seven before it (`转发微博 `, `【转】`,
  a topic `#今日热点# `, ...) and one of seven after it (a short link, `网页链接`, emoji, `（分享自
  @微博视频）`, ...), none of them an entity, chosen by the sentence's CRC;
- `all`: Traditional, no punctuation and the post's trappings together.

Both tools run out of the box: tagger with the shipped NER model's default standard, LAC
2.1.2 in its own interpreter (scripts/bench/lac_runner.py). A tool robust to such text keeps
its clean F1 on every row.

    TAGGER_CORPORA=/path/to/corpora python -m scripts.bench.ner_noise --threads 2 \\
        --lac-python /path/to/lac-venv/bin/python --json results/ner/noise.json
"""
from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path
from typing import Callable, Sequence

from scripts.bench.bench_ner import gold_set, ner_bench_parser, run_lac, scored
from scripts.common import command_line, reporting_errors
from tagger import load
from tagger.files import write_json

T2S_TABLE = Path(__file__).resolve().parents[2] / "tagger" / "data" / "t2s.tsv"
PUNCTUATION = set("，。、！？；：“”‘’（）《》「」『』…—,.!?;:()\"'")
SENTENCE_ENDS = set("，。！？!?")
EMOJI = "😂"
EMOTICON_CODES = ("[哈哈]", "[泪]", "[嘻嘻]", "[doge]", "[赞]")
FACES = ("(^_^)", "o(╯□╰)o", "T_T", "(⊙o⊙)", "^_^")
LATIN_WORDS = ("OMG ", "lol", " so good ", "yyds", "666")
POST_BEFORE = ("", "转发微博 ", "【转】", "分享图片 ", "#今日热点# ", "回复 ", "【视频】")  # none holds an entity
POST_AFTER = ("", " http://t.cn/A6abc12", " 网页链接", " 😂😂", " （分享自 @微博视频）", " #每日新闻#", " ...全文")
Span = tuple[int, int, str]
# a rewrite: text, its gold spans -> (new text, the spans moved with it)
Rewrite = Callable[[str, Sequence[Span]], tuple[str, list[Span]]]


def per_char(text: str, spans: Sequence[Span], replace: Callable[[int, str], tuple[str, str]]) -> tuple[str, list[Span]]:
    """The text with each character i replaced by `replace(i, char)`: (what it becomes, "" to
    drop it; what is inserted after it), and every span moved to cover what its own characters
    became (never what is inserted after its last one)."""
    starts, ends, pieces, at = [], [], [], 0
    for i, char in enumerate(text):
        core, after = replace(i, char)
        starts.append(at)
        ends.append(at + len(core))
        pieces.append(core + after)
        at += len(core) + len(after)
    return "".join(pieces), [(starts[s], ends[e - 1], kind) for s, e, kind in spans]


def inside_any(spans: Sequence[Span]) -> set[int]:
    return {i for s, e, _ in spans for i in range(s, e)}


def simplified_to_traditional() -> dict[str, str]:
    """Simplified -> Traditional, inverted from the folding table (first Traditional form wins)."""
    table: dict[str, str] = {}
    for line in T2S_TABLE.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        if len(traditional) == 1 and len(simplified) == 1 and traditional != simplified:
            table.setdefault(simplified, traditional)
    return table


def traditional(table: dict[str, str]) -> Rewrite:
    return lambda text, spans: per_char(text, spans, lambda i, c: (table.get(c, c), ""))


def full_width(text: str, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    return per_char(text, spans, lambda i, c: (chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c, ""))


def no_punctuation(text: str, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    kept = inside_any(spans)
    return per_char(text, spans, lambda i, c: ("" if c in PUNCTUATION and i not in kept else c, ""))


def emoji(text: str, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    kept = inside_any(spans)
    last = len(text) - 1
    return per_char(text, spans, lambda i, c: (c, EMOJI if (c in SENTENCE_ENDS and i not in kept) or i == last else ""))


def after_clauses(pieces: Sequence[str]) -> Rewrite:
    """A rewrite putting one of `pieces` (by the mark's offset) after every comma and sentence
    end outside entities."""
    def run(text, spans):
        kept = inside_any(spans)
        return per_char(text, spans, lambda i, c: (c, pieces[i % len(pieces)]
                                                   if c in SENTENCE_ENDS and i not in kept else ""))
    return run


def weibo(text: str, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    """A post's trappings around the sentence: one of POST_BEFORE and one of POST_AFTER, chosen
    by the sentence's CRC (so a tool's one mistake on one trapping is not repeated on all)."""
    key = zlib.crc32(text.encode("utf-8"))
    before, after = POST_BEFORE[key % len(POST_BEFORE)], POST_AFTER[key // len(POST_BEFORE) % len(POST_AFTER)]
    return before + text + after, [(s + len(before), e + len(before), kind) for s, e, kind in spans]


def spaced_words(texts: Sequence[str]) -> Rewrite:
    """A rewrite putting a space after every word of the shipped segmenter's cut of `texts`
    (the texts to be rewritten, segmented once), outside entities."""
    ends = {text: _word_ends(words) for text, words in zip(texts, load(threads=1).segment_lines(list(texts)))}

    def run(text, spans):
        inside = {i for start, end, _ in spans for i in range(start, end - 1)}
        last = len(text) - 1
        return per_char(text, spans, lambda i, c: (c, " " if i in ends[text] and i not in inside and i < last else ""))
    return run


def _word_ends(words: Sequence[str]) -> set[int]:
    ends, at = set(), 0
    for word in words:
        at += len(word)
        ends.add(at - 1)
    return ends


def chained(*rewrites: Rewrite) -> Rewrite:
    def run(text, spans):
        for rewrite in rewrites:
            text, spans = rewrite(text, spans)
        return text, spans
    return run


def rewrites(texts: Sequence[str] = ()) -> dict[str, Rewrite]:
    """The rewrites by name; `spaced words` only where `texts` (those it will rewrite) are given."""
    to_traditional = traditional(simplified_to_traditional())
    return {"clean": lambda text, spans: (text, list(spans)), "traditional": to_traditional,
            "full width": full_width, "no punctuation": no_punctuation, "emoji": emoji, "tildes": after_clauses(["~~"]),
            "emoticon codes": after_clauses(EMOTICON_CODES), "faces": after_clauses(FACES),
            "latin words": after_clauses(LATIN_WORDS),
            **({"spaced words": spaced_words(texts)} if texts else {}), "weibo": weibo,
            "all": chained(to_traditional, no_punctuation, weibo)}


def bench(args) -> int:
    corpus, _, split = args.set.partition(":")
    texts, gold = gold_set(corpus, split or "test")
    kinds = tuple(args.types.split(","))
    model = load(args.model, threads=args.threads)
    results: dict = {"command": command_line("scripts.bench.ner_noise", sys.argv[1:]), "model": str(args.model),
                     "set": f"{corpus} {split or 'test'}", "kinds": list(kinds), "threads": args.threads, "rows": {}}
    lac_python = args.lac_python
    for name, rewrite in rewrites(texts).items():
        pairs = [rewrite(text, spans) for text, spans in zip(texts, gold)]
        noisy, moved = [p[0] for p in pairs], [p[1] for p in pairs]
        if not all(t[s:e] for t, spans in zip(noisy, moved) for s, e, _ in spans):
            raise SystemExit(f"ner_noise: the {name!r} rewrite emptied an entity")
        row = {"chars": sum(map(len, noisy)), "tagger": scored(moved, model.label_lines(noisy), kinds)["f1"]}
        if lac_python:
            lac = run_lac(lac_python, noisy, args.threads)
            if lac is None:
                lac_python = None
            else:
                row["lac"] = scored(moved, [[tuple(s) for s in line] for line in lac["spans"]], kinds)["f1"]
        results["rows"][name] = row
        print(f"{name:15} " + json.dumps(row), file=sys.stderr, flush=True)
    results["lac"] = "measured" if lac_python else "not installed (--lac-python)"
    if args.json:
        write_json(args.json, results)
    return 0


def main() -> None:
    parser = ner_bench_parser(__doc__)
    parser.add_argument("--set", default="msra-ner:test", help="CORPUS:SPLIT rewritten and scored (default msra-ner:test)")
    parser.add_argument("--types", default="PER,LOC,ORG", help="entity types scored, comma-separated")
    args = parser.parse_args()
    sys.exit(reporting_errors("ner_noise", lambda: bench(args)))


if __name__ == "__main__":
    main()
