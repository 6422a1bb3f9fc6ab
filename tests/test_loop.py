"""The training loop train and distill share (tagger/loop.py): its keep/stall/decay rules, the
time budget inside an epoch, progress without a terminal; and what `train` tells the user about
it (the recipe line, --resume, a final model's missing dev F1)."""
from __future__ import annotations

import json
import random
import time

import pytest
import torch

from tagger import recipe
from tagger.checkpoints import differences
from tagger.cli import build_parser, main
from tagger.commands.training import _configs
from tagger.corpora import read_part, training_parts
from tagger.errors import TaggerError
from tagger.loop import Epoch, Loop, Score
from tagger.train import Trainer, TrainConfig

from .test_recipe import TINY_NET


def toy_loop(f1s, log, **settings):
    """A loop over a one-weight model whose dev F1 follows `f1s` (None: no dev), 4 items an epoch."""
    model = torch.nn.Linear(1, 1)
    config = TrainConfig(**{"epochs": len(f1s), "batch_chars": 1, "lr": 0.1, **settings})
    loop = Loop(config, model, random.Random(1), log, progress=False)
    scores = iter(f1s)

    def step(ids):
        return (model(torch.ones(len(ids), 1)) ** 2).mean(), len(ids)

    def score():
        f1 = next(scores)
        return Score(f1, {"dev_f1": f1}, f"dev F1 {f1}")
    return loop, (lambda epoch: Epoch([1, 1, 1, 1], step)), score


def test_ties_keep_the_earlier_epoch_and_stalls_count_only_after_a_score_above_zero():
    messages = []
    loop, work, score = toy_loop([0.0, 0.0, 0.5, 0.5, 0.4, 0.5, 0.6], messages.append, patience=3, lr_patience=0)
    loop.run(work, score)
    assert loop.state["best_epoch"] == 3 and loop.best_f1 == 0.5  # epochs 4 and 6 tie: not kept
    assert [row["epoch"] for row in loop.history] == [1, 2, 3, 4, 5, 6]  # stalls 4, 5, 6: stopped
    assert [row["lr"] for row in loop.history][:4] == [0.1] * 4  # no decay for the 0.0 epochs
    assert loop.history[5]["lr"] < loop.history[4]["lr"] < 0.1  # halved after each stall from epoch 4 on
    assert messages[-1] == "early stop: no dev F1 gain for 3 epochs"


def test_without_dev_every_epoch_is_kept_and_nothing_stops_early():
    loop, work, score = toy_loop([None] * 5, lambda message: None, patience=1)
    loop.run(work, score)
    assert loop.state["best_epoch"] == 5 and loop.best_f1 is None and len(loop.history) == 5


def test_the_time_budget_stops_inside_the_first_epoch():
    messages = []
    loop, work, score = toy_loop([0.5, 0.6], messages.append, max_minutes=0.1 / 60)  # 0.1 s

    def slow(epoch):
        inner = work(epoch)
        return Epoch([1] * 50, lambda ids: (time.sleep(0.02), inner.loss(ids))[1])
    loop.run(slow, score)
    assert len(loop.history) == 1 and loop.state["best_epoch"] == 1  # scored and kept all the same
    assert messages[-1] == "stopping: the 0.00166667 minute budget ran out during epoch 1"
    assert sum(1 for m in messages if m.startswith("epoch  1")) == 1


def test_progress_lines_at_intervals_when_stderr_is_no_terminal():
    messages = []
    loop, work, score = toy_loop([0.5], messages.append)
    loop.progress, loop.progress_seconds = None, 0.0  # pytest's stderr is no terminal
    loop.run(work, score)
    lines = [m for m in messages if m.startswith("epoch 1: ")]
    assert lines[0].startswith("epoch 1: 1 of 4 chars (25%), loss ") and len(lines) == 3


def test_the_recipe_line_says_only_what_holds():
    large = recipe.choose("seg", 50_000, 2_000_000)
    everything = large.line()
    assert "2 BiLSTM layers of 128 units" in everything and "patience 4" in everything
    given_width = large.line([s for s in recipe.SETTINGS if s != "hidden"])  # --hidden 32
    assert "2 BiLSTM layers," in given_width + "," and "128" not in given_width
    assert "patience" not in large.line(final=True) and "epochs 20" in large.line(final=True)
    words = recipe.choose("ner", 14_000, 200_000, units="words").line()
    assert "100-dim word embeddings" in words and "character" not in words
    assert "bigram" not in words and "dictionary" not in words


def test_resume_takes_new_budgets_and_names_a_setting_that_differs(tiny_corpus, tmp_path):
    train_path, dev_path, _ = tiny_corpus
    parts = training_parts(str(train_path), str(dev_path))
    common = [str(train_path), "-o", "m.model", "--batch-chars", "400", "--patience", "9", "--dictionary", "none",
              "--no-vectors", *TINY_NET]

    def fit(*options: str, resume: bool = False):
        model_config, train_config = _configs(build_parser().parse_args(["train", *common, *options]))
        trainer = Trainer(model_config, train_config, log=lambda message: None, progress=False)
        trainer.fit(read_part(parts[0]), read_part(parts[1]), checkpoint=str(tmp_path / "m.ckpt"), resume=resume)
        return trainer

    fit("--epochs", "1", "--max-minutes", "5")
    resumed = fit("--epochs", "2", resume=True)  # a longer run, the recipe's budget: both may change
    assert [row["epoch"] for row in resumed.history] == [1, 2]
    with pytest.raises(TaggerError, match=r"other settings \(lr 0\.002, now 0\.01\)"):
        fit("--epochs", "3", "--lr", "0.01", resume=True)
    assert differences({"epochs": 1, "auto": ("epochs",)}, {"epochs": 4, "auto": ()}, {}) == []


def test_a_final_model_has_no_dev_f1_and_info_prints_strict_json(tiny_corpus, tmp_path, capsys):
    train_path, _, _ = tiny_corpus
    out = tmp_path / "final.model"
    assert main(["train", str(train_path), "--final", "--epochs", "1", "-o", str(out), *TINY_NET]) == 0
    err = capsys.readouterr().err
    assert "nan" not in err.lower() and "patience" not in err  # no dev: no early stopping to speak of
    assert main(["info", str(out)]) == 0

    def no_nan(constant):
        raise AssertionError(f"{constant} in the JSON")
    info = json.loads(capsys.readouterr().out, parse_constant=no_nan)
    assert info["metadata"]["dev_f1"] is None and info["metadata"]["best_epoch"] == 1


def test_train_options_take_defaults_and_choices_from_the_source():
    from tagger.readers import FORMATS
    from tagger.tasks import TASKS
    parser = build_parser()
    args, d = parser.parse_args(["train", "corpus.txt", "-o", "m.model"]), TrainConfig()
    assert (args.lr_decay, args.seed, args.bigram_min_count, args.ema, args.unk_dropout, args.device) == \
        (d.lr_decay, d.seed, d.bigram_min_count, d.ema, d.unk_dropout, d.device)
    assert _configs(args)[1].lr == d.lr  # left out: TrainConfig's (with --init, the fine-tuning recipe's)
    train = parser._subparsers._group_actions[0].choices["train"]
    choices = {action.dest: action.choices for action in train._actions if action.choices}
    assert choices["task"] == TASKS and set(choices["format"]) == {"auto", *FORMATS} - {"raw"}
