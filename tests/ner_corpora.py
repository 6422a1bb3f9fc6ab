"""Tiny entity corpora in the two shipped conventions: MSRA NER (`word/tag`, no times) and
People's Daily 1998 (POS tags, times as `t`), written by the tests that train NER models."""
from __future__ import annotations

import random

NAMES = [("张", "三"), ("李", "四"), ("王", "五"), ("赵", "六")]
PLACES = ["北京", "上海", "广州", "深圳"]
ORGS = [("人民", "银行"), ("中央", "电视台"), ("新华", "通讯社")]
YEARS = ["１９９８年", "１９９７年", "２００１年"]
MONTHS = ["１月", "５月", "１２月"]
VERBS = ["工作", "学习", "讲话"]


def _pieces(rng: random.Random):
    name, place, org = rng.choice(NAMES), rng.choice(PLACES), rng.choice(ORGS)
    return name, place, org, rng.choice(YEARS), rng.choice(MONTHS), rng.choice(VERBS)


def msra_line(rng: random.Random) -> str:
    name, place, org, year, month, verb = _pieces(rng)
    return (f"{year}{month}，/o {''.join(name)}/nr 在/o {place}/ns {''.join(org)}/nt {verb}/o 。/o"
            if rng.random() < 0.5 else f"{''.join(name)}/nr 在/o {place}/ns {''.join(org)}/nt {verb}/o 。/o")


def pd_line(rng: random.Random, number: int) -> str:
    name, place, org, year, month, verb = _pieces(rng)
    time = f"{year}/t  {month}/t  ，/w  " if rng.random() < 0.5 else ""
    return (f"19980101-01-001-{number:03d}/m  {time}{name[0]}/nr  {name[1]}/nr  在/p  {place}/ns  "
            f"[{org[0]}/n  {org[1]}/n]nt  {verb}/v  。/w")


def tiny_ner_corpora(directory, n: int = 300, seed: int = 1) -> tuple:
    """(msra path, pd path): the same kind of sentences, times tagged in the PD file only."""
    rng = random.Random(seed)
    msra, pd = directory / "msra.txt", directory / "pd.txt"
    msra.write_text("".join(msra_line(rng) + "\n" for _ in range(n)), encoding="utf-8")
    pd.write_text("".join(pd_line(rng, i % 999 + 1) + "\n" for i in range(n)), encoding="utf-8")
    return msra, pd
