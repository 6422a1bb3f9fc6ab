"""The benchmark recipes in scripts/recipes/ name only options that `tagger train` accepts.

The recipes are shell lines that run for tens of minutes; a renamed option would otherwise be
found only when a long run stops at its first line.
"""
import shlex
import subprocess
from pathlib import Path

import pytest

from tagger.cli import build_parser

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts" / "recipes"


def printed(*command: str) -> list[str]:
    out = subprocess.run(["bash", *command], check=True, capture_output=True, text=True).stdout
    return shlex.split(out)


@pytest.mark.parametrize("name", ["resume", "msra-ner", "conll2003", "ud-pos", "pd1998", "pos-small"])
def test_tagging_recipes_parse(name):
    options = printed(str(SCRIPTS / "train_tagging.sh"), "--print-args", name)
    assert options, name
    args = build_parser().parse_args(["train", "corpus.txt", "-o", "m.model", *options])
    assert args.command == "train"


def test_an_unknown_recipe_is_refused():
    run = subprocess.run(["bash", str(SCRIPTS / "train_tagging.sh"), "--print-args", "nosuch"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "unknown benchmark nosuch" in run.stderr


def test_the_study_network_parses():
    options = printed(str(SCRIPTS / "ablation_cpu.sh"), "--print-net")
    args = build_parser().parse_args(["train", "corpus.txt", "-o", "m.model", *options])
    # the shipped default's small network (docs/benchmarks.md): 64/32-dim embeddings, 128 units, fp16
    assert (args.char_dim, args.bigram_dim, args.hidden, args.half) == (64, 32, 128, True)


def test_the_ner_model_recipe_parses():
    options = printed(str(SCRIPTS / "train_ner_model.sh"), "--print-args")
    args = build_parser().parse_args(["train", "msra-ner,pd1998-ner", "-o", "m.model", *options])
    assert (args.crf, args.half, args.dictionary, args.bigram_min_count) == (True, True, "jieba", 2)
