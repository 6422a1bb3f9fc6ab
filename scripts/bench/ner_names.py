#!/usr/bin/env python
"""Names in unfamiliar contexts: does a NER model find a person's name it never saw, in
sentences unlike its news training text (a CV's "NAME，男，汉族", a chat line, a thank-you)?

Why: the two training corpora are news, and a model can learn news contexts and the names
themselves rather than what a Chinese name looks like. Social media, CVs and forums put new
names in new places; this probe measures that directly, without a corpus of those domains.

The probe: NAMES made-up names (a common surname and one or two common given-name characters,
drawn with a fixed seed; a name may happen to be a real person's), each put into every one of
the TEMPLATES. A hit is a PER span exactly over the name. Reported: the share of hits overall
and per template, and how the misses went wrong (a PER inside the name, over it and more, or
none touching it). The same for Baidu's LAC with `--lac-python` (scripts/bench/lac_runner.py).
Each model runs with its default standard, as `tagger.ner` does.

    python -m scripts.bench.ner_names --models ner --lac-python LAC_VENV/bin/python --json results/ner/names.json
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from typing import Sequence

from scripts.bench.bench_ner import run_lac
from scripts.common import command_line, reporting_errors
from tagger.files import write_json

# the most common surnames and given-name characters of mainland China (public name statistics)
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰辉鹏斌宇浩凯健俊帆帅旭宁龙林欣晶婷雪慧建国文志红梅海波峰飞鑫亮成东兵"
NAMES = 200
SEED = 0
TEMPLATES = ("{name}，男，汉族，1963年出生。", "{name}，女，大学学历，现任公司董事。", "{name}先生，中国国籍，无境外居留权。",
             "{name}：男，1970年生，高级工程师。", "{name}，现任总经理。", "据{name}介绍，这个项目明年完工。",
             "记者{name}报道", "{name}说：“我们一定能赢。”", "我和{name}昨天去看电影了，挺好看的",
             "{name}和朋友们一起去了趟超市。", "今天{name}没来上班，听说病了。", "感谢{name}老师的指导！")


def made_up_names(count: int = NAMES, seed: int = SEED) -> list[str]:
    """`count` different names, surname + one or two given-name characters, in a fixed order."""
    rng, names = random.Random(seed), set()
    while len(names) < count:
        names.add(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))))
    return sorted(names)


def probe(names: Sequence[str]) -> tuple[list[str], list[tuple[int, int, str]]]:
    """(sentences, the (start, end, template) of the name in each)."""
    texts, where = [], []
    for template in TEMPLATES:
        start = template.index("{name}")
        for name in names:
            texts.append(template.format(name=name))
            where.append((start, start + len(name), template))
    return texts, where


def outcome(spans, start: int, end: int) -> str:
    """hit, inside (a PER within the name, not all of it), over (a PER covering it and more),
    other (a PER crossing its edge) or none."""
    people = [(s, e) for s, e, kind, *_ in spans if kind == "PER" and s < end and e > start]
    if (start, end) in people:
        return "hit"
    if any(start <= s and e <= end for s, e in people):
        return "inside"
    if any(s <= start and end <= e for s, e in people):
        return "over"
    return "other" if people else "none"


def summary(outputs, where) -> dict:
    """Share of hits overall and per template, and the count of each kind of miss."""
    kinds = [outcome(spans, s, e) for spans, (s, e, _) in zip(outputs, where)]
    per_template: dict[str, list[bool]] = {}
    for kind, (_, _, template) in zip(kinds, where):
        per_template.setdefault(template, []).append(kind == "hit")
    return {"exact": round(kinds.count("hit") / len(kinds), 4),
            "by_template": {t: round(sum(v) / len(v), 4) for t, v in per_template.items()},
            "misses": dict(Counter(k for k in kinds if k != "hit"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="ner", help="comma-separated NER models (files or shipped names)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lac-python", help="interpreter of a venv with LAC (default: LAC is not run)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    sys.exit(reporting_errors("ner_names", lambda: run(args)))


def run(args) -> int:
    import tagger
    texts, where = probe(made_up_names())
    results = {"command": command_line("scripts.bench.ner_names", sys.argv[1:]), "names": NAMES,
               "templates": list(TEMPLATES), "sentences": len(texts), "systems": {}}
    for name in args.models.split(","):
        model = tagger.load(name, threads=args.threads)
        results["systems"][name] = summary(model.label_lines(texts), where)
        print(f"{name}: {results['systems'][name]}", file=sys.stderr)
    if args.lac_python:
        lac = run_lac(args.lac_python, texts, args.threads)
        if lac is not None:
            results["systems"]["lac"] = summary(lac["spans"], where)
            print(f"lac: {results['systems']['lac']}", file=sys.stderr)
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    main()
