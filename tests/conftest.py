"""Shared fixtures: a tiny synthetic corpus the tests write themselves, and a tiny model."""
from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest
import torch

os.environ["TAGGER_THREADS"] = "1"  # what tagger.load and the CLI take: tests share 2 cores
torch.set_num_threads(1)

WORDS = ["我们", "喜欢", "苹果", "和", "香蕉", "他", "是", "北京", "的", "学生", "中国", "人民",
         "和平", "研究", "生命", "起源", "在", "上海", "工作", "了"]
PUNCT = ["。", "，", "！"]


def make_corpus(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(2, 9))]
        sentences.append(words + [rng.choice(PUNCT)])
    return sentences


def write_segmented(path, sentences) -> None:
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """(train path, dev path, dev sentences) of a synthetic segmented corpus."""
    root = tmp_path_factory.mktemp("corpus")
    train, dev = make_corpus(300, 1), make_corpus(40, 2)
    write_segmented(root / "train.seg", train)
    write_segmented(root / "dev.seg", dev)
    return root / "train.seg", root / "dev.seg", dev


def train_tiny(train_path, dev_path, seed: int = 1, epochs: int = 3):
    from tagger.corpora import read_part, training_parts
    from tagger.model import ModelConfig
    from tagger.train import Trainer, TrainConfig

    train_part, dev_part = training_parts(str(train_path), str(dev_path))
    trainer = Trainer(ModelConfig(char_dim=16, bigram_dim=8, hidden=16, layers=2),
                      TrainConfig(epochs=epochs, batch_chars=400, lr=1e-2, seed=seed, char_min_count=1,
                                  bigram_min_count=1),
                      log=lambda message: None, progress=False)
    return trainer.fit(read_part(train_part), read_part(dev_part)), trainer


@pytest.fixture(scope="session")
def tiny_model(tiny_corpus):
    train_path, dev_path, _ = tiny_corpus
    segmenter, _ = train_tiny(train_path, dev_path)
    return segmenter


def save_legacy(payload: dict, path, version: int = 1) -> None:
    """Write a payload (numpy weights) as a first-format file, a torch.save zip: the files
    tagger wrote before its current format, which it still reads (tagger/legacy.py)."""
    import numpy as np
    import torch
    from tagger.vocab import Lines
    state = {name: torch.from_numpy(np.array(array)) for name, array in payload["state_dict"].items()}
    vocab = {key: list(value) if isinstance(value, Lines) else value for key, value in payload["vocab"].items()}
    torch.save({**payload, "vocab": vocab, "format_version": version, "state_dict": state}, path)


def cli_in_fresh_process(args: list[str]) -> tuple[list[str], bool]:
    """(stdout lines, whether torch was imported) of `tagger ARGS` in a new interpreter, so a
    test sees what a command imports from a cold start; fails the test on a nonzero exit."""
    code = ("import sys; from tagger.cli import main; "
            f"code = main({args!r}); print('TORCH' if 'torch' in sys.modules else 'NO-TORCH'); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr
    *lines, imported = done.stdout.splitlines()
    return lines, imported == "TORCH"
