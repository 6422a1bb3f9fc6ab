"""The recipe chosen from the corpus (tagger/recipe.py), and the stopping rule that cannot collapse."""
import argparse
import json
from types import SimpleNamespace

import pytest

from tagger import recipe
from tagger.cli import build_parser, main
from tagger.commands.training import _configs, _final_epochs
from tagger.corpora import read_part, training_parts
from tagger.model import ModelConfig
from tagger.modelio import read_payload
from tagger.train import Trainer, TrainConfig

TINY_NET = ["--hidden", "8", "--layers", "1", "--char-dim", "8", "--bigram-dim", "4", "--threads", "1", "--no-plot"]


def dev_scores(monkeypatch, f1s):
    """Make the trainer's dev F1 follow `f1s`, one value an epoch (an all-"O" start scores 0)."""
    values = iter(f1s)

    def fake(*args, **kwargs):
        f1 = next(values)
        return SimpleNamespace(precision=f1, recall=f1, f1=f1, per_corpus={})
    monkeypatch.setattr(Trainer, "_dev_score", staticmethod(fake))


def test_no_decay_and_no_stall_before_the_first_dev_f1_above_zero(tiny_corpus, monkeypatch):
    train_path, dev_path, _ = tiny_corpus
    dev_scores(monkeypatch, [0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5])
    train_part, dev_part = training_parts(str(train_path), str(dev_path))
    trainer = Trainer(ModelConfig(char_dim=8, bigram_dim=4, hidden=8),
                      TrainConfig(epochs=7, batch_chars=2000, lr=1e-2, lr_patience=0, patience=2, seed=1),
                      log=lambda message: None, progress=False)
    segmenter = trainer.fit(read_part(train_part), read_part(dev_part))
    rates = [row["lr"] for row in trainer.history]
    # three epochs at F1 0 neither halve the rate nor count towards patience 2 ...
    assert rates[:5] == [1e-2] * 5
    # ... while stalls after the first real score do both: halved after epoch 5, stopped after 6
    assert rates[5] == pytest.approx(5e-3)
    assert len(trainer.history) == 6 and segmenter.metadata["best_epoch"] == 4


def test_the_recipe_line_is_printed_recorded_and_shown_by_info(tiny_corpus, tmp_path, capsys):
    train_path, dev_path, _ = tiny_corpus
    out = tmp_path / "m.model"
    assert main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), "--epochs", "1", *TINY_NET]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("recipe: ")]
    assert len(lines) == 1 and lines[0].startswith("recipe: small corpus (300 sentences, ")
    small = recipe.choose("seg", 300, 3000).settings
    assert f"patience {small['patience']}" in lines[0] and "epochs" not in lines[0]  # --epochs was given

    meta = read_payload(out)["metadata"]
    assert "recipe: " + meta["recipe"]["line"] == lines[0]
    assert meta["recipe"]["settings"]["patience"] == meta["train_config"]["patience"] == small["patience"]
    assert meta["train_config"]["epochs"] == 1 and "epochs" not in meta["recipe"]["settings"]

    assert main(["info", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["recipe"] == meta["recipe"]


def test_options_given_explicitly_win_over_the_recipe(tiny_corpus, tmp_path):
    train_path, dev_path, _ = tiny_corpus
    out = tmp_path / "m.model"
    assert main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), "--epochs", "1", "--quiet",
                 "--patience", "3", "--lr-patience", "1", "--batch-chars", "800", "--dropout", "0.1",
                 "--no-crf", "--max-minutes", "0", "--dictionary", "none", "--no-vectors", *TINY_NET]) == 0
    payload = read_payload(out)
    train_config, meta = payload["metadata"]["train_config"], payload["metadata"]
    assert (train_config["patience"], train_config["lr_patience"], train_config["batch_chars"],
            train_config["max_minutes"]) == (3, 1, 800, 0)
    assert (payload["config"]["crf"], payload["config"]["embed_dropout"], payload["config"]["lstm_dropout"]) == \
        (False, 0.1, 0.1)
    assert train_config["dictionary"] == "" and payload["config"]["dictionary_bits"] == 0
    assert train_config["vectors"] is False
    assert "recipe" not in meta  # nothing was left to choose


def test_a_final_model_runs_a_fixed_count_of_epochs_not_the_recipes_cap():
    args = build_parser().parse_args(["train", "corpus.txt", "-o", "m.model", "--final"])
    _, train_config = _configs(args)
    assert train_config.epochs == TrainConfig.epochs and "epochs" not in train_config.auto
    assert _final_epochs(args) == TrainConfig.epochs
    args = build_parser().parse_args(["train", "corpus.txt", "-o", "m.model"])
    assert "epochs" in _configs(args)[1].auto


def _subparser(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("command", ["train", "cv"])
def test_help_lists_every_default(command):
    parser = _subparser(command)
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or action.default is argparse.SUPPRESS or action.required:
            continue
        text = action.help and formatter._get_help_string(action)
        assert text and "default" in text, action.option_strings
        if action.dest in ("epochs", "batch_chars", "patience", "lr_patience", "dropout", "crf", "max_minutes",
                           "dictionary", "vectors"):
            assert "chosen from the corpus" in text, action.option_strings
    shown = " ".join(parser.format_help().split())
    assert "Adam's learning rate (default: 0.002)" in shown and "--no-crf" in shown and "--no-vectors" in shown


def test_small_corpora_get_more_patience_and_smaller_batches_than_large_ones():
    small, large = recipe.choose("seg", 500, 20_000), recipe.choose("seg", 50_000, 2_000_000)
    assert (small.size, large.size) == ("small", "large")
    assert small.settings["patience"] > large.settings["patience"]
    assert small.settings["epochs"] > large.settings["epochs"]
    assert small.settings["batch_chars"] < large.settings["batch_chars"] == 3000
    assert large.settings["max_minutes"] == 120 and small.settings["max_minutes"] == 60
    assert "500 sentences, 20,000 characters" in small.line()


def test_large_segmentation_corpora_get_two_narrower_layers_and_the_rest_one_wide_layer():
    net = ("char_dim", "bigram_dim", "hidden", "layers", "embed_dropout", "lstm_dropout")
    large_seg = recipe.choose("seg", 50_000, 2_000_000).settings
    assert tuple(large_seg[k] for k in net) == (64, 32, 128, 2, 0.35, 0.35)
    for task, chars in (("seg", 20_000), ("ner", 2_000_000), ("pos", 2_000_000)):
        assert tuple(recipe.choose(task, 500, chars).settings[k] for k in net[:4]) == (100, 50, 200, 1)
    assert "2 BiLSTM layers of 128 units" in recipe.choose("seg", 50_000, 2_000_000).line()
    train, model = recipe.apply(recipe.choose("seg", 50_000, 2_000_000), TrainConfig(), ModelConfig(hidden=300),
                                ["char_dim", "layers"])
    assert (model.char_dim, model.layers, model.hidden) == (64, 2, 300)  # a setting given stays


def test_segmentation_gets_the_training_words_as_dictionary_features_and_small_ner_none():
    assert recipe.choose("seg", 500, 20_000).settings["dictionary"] == "jieba,train"  # small: jieba's words too
    assert recipe.choose("seg", 50_000, 2_000_000).settings["dictionary"] == "train"
    assert recipe.choose("ner", 500, 20_000).settings["dictionary"] == ""
    large_ner = recipe.choose("ner", 50_000, 2_000_000).settings  # a large NER corpus: jieba's words
    assert (large_ner["dictionary"], large_ner["embed_dropout"], large_ner["lstm_dropout"]) == ("jieba", 0.3, 0.3)


def test_apply_sets_only_the_open_settings():
    chosen = recipe.choose("ner", 500, 20_000)
    train, model = recipe.apply(chosen, TrainConfig(patience=7), ModelConfig(embed_dropout=0.05), ["batch_chars"])
    assert train.patience == 7 and model.embed_dropout == 0.05
    assert train.batch_chars == chosen.settings["batch_chars"] != TrainConfig.batch_chars
    with pytest.raises(ValueError, match="not a recipe setting: lr"):
        recipe.apply(chosen, TrainConfig(), ModelConfig(), ["lr"])


def test_a_crf_for_ner_on_a_large_corpus_only():
    assert recipe.choose("ner", 50_000, 2_000_000).settings["crf"] is True
    assert recipe.choose("ner", 500, 20_000).settings["crf"] is False
    assert recipe.choose("seg", 50_000, 2_000_000).settings["crf"] is False
    assert "CRF" in recipe.choose("ner", 50_000, 2_000_000).line() and "no CRF" in recipe.choose("seg", 5, 50).line()


def test_vectors_are_pretrained_by_default_where_gensim_is_installed_and_the_text_is_not_tiny(monkeypatch):
    for task, size in (("seg", 60_000), ("seg", 2_000_000), ("ner", 124_000), ("pos", 2_000_000)):
        chosen = recipe.choose(task, 500, size)
        assert chosen.settings["vectors"] is True
        assert "skip-gram vectors pretrained on the training text" in chosen.line()
    assert recipe.choose("ner", 500, 16_000).settings["vectors"] is False  # too little text for skip-gram
    assert recipe.choose("ner", 500, 2_000_000, units="words").settings["vectors"] is False  # no character vectors
    assert "no pretrained vectors" in recipe.choose("ner", 500, 16_000).line()
    monkeypatch.setattr("tagger.embeddings.gensim_available", lambda: False)
    assert recipe.choose("seg", 500, 200_000).settings["vectors"] is False  # trains without, rather than fails
