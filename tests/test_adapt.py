"""Making a model the user's own: new words (`tagger words`), adaptation from raw text
(`tagger adapt`) and fine-tuning (`tagger train --init`)."""
from __future__ import annotations

import copy
import json
import time

import pytest

from tagger.cli import main
from tagger.modelio import load_model, save_model

from .conftest import make_corpus, write_segmented

NEW_WORD = "海研香"  # made of corpus characters, never a word of the corpus: the tiny model splits it
CONTEXTS = ["我们喜欢{}。", "{}是北京的学生。", "他在{}工作了。", "中国人民和{}，", "研究{}的起源！", "{}在上海。"]


@pytest.fixture(scope="module")
def dict_model(tmp_path_factory):
    """A tiny model with dictionary features (its training words, jackknifed), saved."""
    from tagger.corpora import read_part, training_parts
    from tagger.model import ModelConfig
    from tagger.train import Trainer, TrainConfig
    root = tmp_path_factory.mktemp("adapt")
    write_segmented(root / "train.seg", make_corpus(300, 1))
    write_segmented(root / "dev.seg", make_corpus(40, 2))
    train, dev = training_parts(str(root / "train.seg"), str(root / "dev.seg"))
    trainer = Trainer(ModelConfig(char_dim=16, bigram_dim=8, hidden=16, layers=1),
                      TrainConfig(epochs=4, batch_chars=400, lr=1e-2, seed=1, char_min_count=1,
                                  bigram_min_count=1, dictionary="train"),
                      log=lambda message: None, progress=False)
    model = trainer.fit(read_part(train), read_part(dev))
    save_model(model, root / "dict.model")
    return root / "dict.model"


@pytest.fixture
def raw_text(tmp_path):
    path = tmp_path / "raw.txt"
    path.write_text("".join(c.format(NEW_WORD) + "\n" for c in CONTEXTS * 5), encoding="utf-8")
    return path


def test_words_finds_the_repeated_new_word_and_its_output_is_a_user_dictionary(dict_model, raw_text, tmp_path,
                                                                                capsys):
    from tagger.userdict import UserDict
    assert main(["words", str(raw_text), "--model", str(dict_model)]) == 0
    listed = capsys.readouterr().out
    assert listed.splitlines()[0] == f"{NEW_WORD} 30"
    (tmp_path / "found.dict").write_text(listed, encoding="utf-8")
    user = UserDict()
    user.load(tmp_path / "found.dict")
    assert NEW_WORD in user and user.frequency(NEW_WORD) == 30
    assert main(["words", str(raw_text), "--model", str(dict_model), "--json", "--min-count", "31"]) == 0
    assert capsys.readouterr().out == ""  # seen 30 times: below the minimum
    assert main(["words", str(raw_text), "--model", str(dict_model), "--json"]) == 0
    found = json.loads(capsys.readouterr().out.splitlines()[0])
    assert found["word"] == NEW_WORD and NEW_WORD in found["context"] and 0 <= found["confidence"] <= 1


def test_words_leaves_out_what_the_model_knows(dict_model, tmp_path, capsys):
    raw = tmp_path / "known.txt"
    raw.write_text("".join("".join(s) + "\n" for s in make_corpus(60, 9)), encoding="utf-8")
    assert main(["words", str(raw), "--model", str(dict_model), "--top", "0"]) == 0
    known = load_model(dict_model).lexicon
    assert all(line.split()[0] not in known for line in capsys.readouterr().out.splitlines())


def test_adapt_makes_the_new_word_come_out_whole(dict_model, raw_text, tmp_path, capsys):
    out = tmp_path / "adapted.model"
    before = load_model(dict_model)
    sentence = f"我们喜欢{NEW_WORD}。"
    assert NEW_WORD not in before.segment(sentence)
    assert main(["adapt", str(dict_model), str(raw_text), "-o", str(out)]) == 0
    after = load_model(out)
    assert NEW_WORD in after.segment(sentence) and NEW_WORD in after.segment(f"{NEW_WORD}在北京工作。")
    assert after.segment("我们喜欢北京和上海。") == before.segment("我们喜欢北京和上海。")
    assert main(["info", str(out)]) == 0
    adapted = json.loads(capsys.readouterr().out)["metadata"]["adapted"]
    assert adapted["on"] == [str(raw_text)] and adapted["new_words"] == 1


def test_adapt_keeps_to_its_time_budget(dict_model, raw_text):
    from tagger.adapt import adapt
    tagger = load_model(dict_model)
    budget = 0.03  # minutes: the self-training alone would take longer
    start = time.monotonic()
    adapt(tagger, [str(raw_text)], max_minutes=budget, log=lambda message: None)
    assert time.monotonic() - start < budget * 60 + 1.0
    assert tagger.metadata["adapted"]["minutes"] <= budget + 0.02


def test_raw_vectors_give_the_new_bigrams_rows_of_their_own(dict_model):
    """--vectors: the raw text's new bigrams get rows mapped from its skip-gram vectors, not
    copies of <unk>, and the text still segments without losing a character."""
    pytest.importorskip("gensim")
    from tagger.adapt import add_raw_vectors
    tagger = load_model(dict_model)
    lines = ["".join(words) for words in make_corpus(200, 7)] + [c.format(NEW_WORD) for c in CONTEXTS * 5]
    bigram_count = len(tagger.encoder.bigrams)
    added = add_raw_vectors(tagger, lines, min_count=3, log=lambda message: None)
    assert added["bigrams"] > 0 and len(tagger.encoder.bigrams) == bigram_count + added["bigrams"]
    table = tagger.model.bigram_embed.weight.detach()
    assert table.shape[0] == len(tagger.encoder.bigrams)
    new_rows = table[bigram_count:]
    assert not (new_rows == table[1]).all(dim=1).any()  # none is the <unk> row
    assert "".join(tagger.segment(lines[-1])) == lines[-1]


def test_adapt_refuses_a_missing_file_before_loading(dict_model, tmp_path, capsys):
    assert main(["adapt", str(dict_model), str(tmp_path / "none.txt"), "-o", str(tmp_path / "x.model")]) == 1
    assert "none.txt: no such file" in capsys.readouterr().err


# -- fine-tuning ------------------------------------------------------------------------------
def test_extending_the_vocabularies_changes_no_output(tiny_model):
    from tagger.finetune import FineTuneConfig, FineTuner
    from tagger.tasks import Task
    tagger = copy.deepcopy(tiny_model)
    texts = ["我们喜欢氢氦锂。", "他是北京的学生。", "氦在上海工作了。"]
    before = tagger.segment_lines(texts)
    chars, bigrams = len(tagger.encoder.chars), len(tagger.encoder.bigrams)
    added = FineTuner(tagger, FineTuneConfig()).extend([Task("seg").sample(list(t)) for t in texts], None)
    assert added[0] == 3 and len(tagger.encoder.chars) == chars + 3 and len(tagger.encoder.bigrams) > bigrams
    assert tagger.model.char_embed.weight.shape[0] == chars + 3
    assert tagger.segment_lines(texts) == before


def _f1(tagger, gold, standard):
    from tagger.metrics import score
    return score(gold, tagger.segment_lines(["".join(words) for words in gold], standard=standard)).f1


@pytest.fixture(scope="module")
def two_standard_model():
    """(a model of two standards, "split" and "joined", plus the shared default "mixed"; its corpora)."""
    from tagger.model import ModelConfig
    from tagger.train import Trainer, TrainConfig
    from tests.test_multicriteria import two_standards
    split, joined = two_standards(150, 1)
    multi = Trainer(ModelConfig(char_dim=16, bigram_dim=8, hidden=24),
                    TrainConfig(epochs=6, batch_chars=600, lr=1e-2, seed=1, char_min_count=1, bigram_min_count=1),
                    log=lambda message: None, progress=False).fit({"split": split, "joined": joined},
                                                                  {"split": split[:20], "joined": joined[:20]})
    return multi, {"split": split, "joined": joined}


def test_fine_tuning_learns_the_corpus_and_keeps_the_old_standards(two_standard_model, tmp_path):
    from tagger.finetune import FineTuneConfig, fine_tune
    from tests.test_multicriteria import two_standards
    multi, corpora = two_standard_model
    split, joined = corpora["split"], corpora["joined"]
    dev = dict(zip(("split", "joined"), two_standards(30, 3)))
    before = {s: _f1(multi, gold, s) for s, gold in dev.items()}
    # the new corpus: a new word of new characters, the compounds written as in "joined"
    corpus = [words[:-1] + ["氢氦"] + words[-1:] for words in joined[:100]]
    save_model(multi, tmp_path / "multi.model")
    tuned = fine_tune(str(tmp_path / "multi.model"), corpus, corpus[:20], "new",
                      FineTuneConfig(epochs=4, replay=4, lr=2e-3, batch_chars=300), corpus="made up",
                      log=lambda message: None, replay_corpora={"split": split, "joined": joined})
    assert tuned.standards == ("split", "joined", "mixed", "new")
    assert "氢" in tuned.encoder.chars.stoi and tuned.model.char_embed.weight.shape[0] == len(tuned.encoder.chars)
    assert "氢氦" in tuned.segment("我们喜欢氢氦。", standard="new")
    assert tuned.metadata["fine_tuned"]["best_epoch"] > 0 and tuned.metadata["fine_tuned"]["dev_f1"] > 0.95
    for standard, gold in dev.items():  # the old standards still segment their own way
        assert _f1(tuned, gold, standard) >= before[standard] - 0.03, standard
    save_model(tuned, tmp_path / "tuned.model")
    again = load_model(tmp_path / "tuned.model")
    assert again.metadata["fine_tuned"]["standard"] == "new" and again.standards == tuned.standards


def test_fine_tuning_a_new_standard_holds_the_default_standard(two_standard_model, tmp_path):
    """The anchor (FineTuneConfig.anchor) keeps the default standard's outputs closer to the
    model's own than fine-tuning without it, while the new standard learns its corpus."""
    from tagger.finetune import FineTuneConfig, fine_tune
    from tagger.metrics import score
    from tests.test_multicriteria import two_standards
    multi, corpora = two_standard_model
    save_model(multi, tmp_path / "multi.model")
    texts = ["".join(words) for words in two_standards(60, 5)[0]]
    default = multi.encoder.default_standard
    before = multi.segment_lines(texts)
    # a standard neither of the model's follows: each clause one word, so training must move the network
    corpus = [["".join(words[:-1]) + "氢氦", words[-1]] for words in corpora["joined"][:100]]
    agreement = {}
    for anchor in (0.0, 1.0):
        tuned = fine_tune(str(tmp_path / "multi.model"), corpus, corpus[:20], "new",
                          FineTuneConfig(epochs=4, replay=1, lr=5e-3, batch_chars=300, anchor=anchor),
                          log=lambda message: None, replay_corpora=corpora)
        assert tuned.segment("我们喜欢氢氦。", standard="new") == ["我们喜欢氢氦", "。"]  # learned
        after = tuned.segment_lines(texts, standard=default)
        agreement[anchor] = score(before, after).f1
    assert agreement[1.0] > agreement[0.0], agreement


def test_a_new_standard_starts_from_the_standard_closest_to_the_corpus(two_standard_model):
    from tagger.finetune import FineTuneConfig, FineTuner
    multi, corpora = two_standard_model
    for name in ("split", "joined"):
        tuner = FineTuner(copy.deepcopy(multi), FineTuneConfig(), log=lambda message: None)
        tuner.standard_for("new", [multi.task.sample(words) for words in corpora[name][:40]])
        assert tuner.started_from == name
        encoder, table = tuner.tagger.encoder, tuner.tagger.model.char_embed.weight
        assert table[encoder.chars.stoi[encoder.marker("new")]].equal(table[encoder.chars.stoi[encoder.marker(name)]])


def test_no_epoch_that_harms_the_default_standard_on_its_dev_is_kept(two_standard_model):
    """The guard: with a bound no epoch can meet, fine-tuning keeps the model as it was (epoch
    0); with a loose one, it keeps a trained epoch."""
    from tagger.finetune import FineTuneConfig, FineTuner
    multi, corpora = two_standard_model
    corpus = [words[:-1] + ["氢氦"] + words[-1:] for words in corpora["joined"][:60]]
    samples = [multi.task.sample(words) for words in corpus]
    guard = {"split": [multi.task.sample(words) for words in corpora["split"][:30]]}
    kept = {}
    for bound in (-1.0, 1.0):
        for dev in (samples[:15], []):  # without dev text (self-training): the latest epoch within the bound
            tuner = FineTuner(copy.deepcopy(multi), FineTuneConfig(epochs=3, lr=5e-3, batch_chars=300, max_harm=bound))
            tuner.standard_for("new")
            tuner.extend(samples, "new")
            kept[bound, len(dev)] = tuner.fit(samples, dev, "new", guard=guard)["best_epoch"]
    assert kept[-1.0, 15] == 0 and kept[1.0, 15] > 0 and kept[-1.0, 0] == 0 and kept[1.0, 0] == 3, kept


def test_the_anchor_is_the_default_standard_when_another_one_trains(two_standard_model, tiny_model):
    from tagger.finetune import FineTuneConfig, FineTuner
    multi, _ = two_standard_model
    tuner = FineTuner(copy.deepcopy(multi), FineTuneConfig())
    default = multi.encoder.default_standard
    other = next(s for s in multi.standards if s != default)
    assert tuner.anchor_standard("new") == default and tuner.anchor_standard(other) == default
    assert tuner.anchor_standard(default) is None
    assert FineTuner(copy.deepcopy(tiny_model), FineTuneConfig()).anchor_standard(None) is None


def test_fine_tuning_adds_the_corpus_words_to_the_dictionary_features_jackknifed(dict_model):
    """A model whose dictionary held its training words gets the corpus's words the same way:
    in the file's dictionary, and, while training, only from the other folds' sentences."""
    from tagger.finetune import FineTuneConfig, FineTuner
    from tagger.tasks import Task
    tagger = load_model(dict_model)
    corpus = [Task("seg").sample(["我们", "喜欢", NEW_WORD, "。"]), Task("seg").sample(["他", "研究", "钼钨", "。"])]
    assert NEW_WORD not in tagger.encoder.dictionary.words
    folds = FineTuner(tagger, FineTuneConfig()).extend_dictionary(corpus, folds=2)
    assert {NEW_WORD, "钼钨"} <= tagger.encoder.dictionary.words and NEW_WORD in tagger.lexicon
    assert NEW_WORD not in folds[0].words and NEW_WORD in folds[1].words  # sentence 0 is in fold 0
    assert "钼钨" in folds[0].words and "钼钨" not in folds[1].words


@pytest.mark.parametrize("name, items", [
    ("ner", [(list("钼钨公司的张三去了北京。"), [(0, 4, "ORG"), (5, 7, "PER"), (9, 11, "LOC")])] * 6),
    ("pos", [[("钼钨", "n"), ("是", "v"), ("新", "a"), ("材料", "n"), ("。", "w")]] * 6),
])
def test_the_shipped_ner_and_pos_models_fine_tune(name, items):
    """`tagger train --init ner|pos` from Python: the new characters get rows, the task and its
    tags are kept, and the output still covers every character."""
    from tagger.finetune import FineTuneConfig, fine_tune
    tuned = fine_tune(name, items, items[:2], config=FineTuneConfig(epochs=1, replay=0, threads=1),
                      log=lambda message: None)
    assert tuned.task.name == name and "钼" in tuned.encoder.chars.stoi
    assert tuned.model.char_embed.weight.shape[0] == len(tuned.encoder.chars)
    assert tuned.metadata["fine_tuned"]["sentences"] == 6 and tuned.metadata["fine_tuned"]["new_chars"] >= 2
    text = "钼钨公司在北京。"
    spans = tuned.label_lines([text])[0]
    assert all(0 <= start < end <= len(text) for start, end, _ in spans)
    if name == "pos":
        assert "".join(text[start:end] for start, end, _ in spans) == text


def test_train_init_from_the_command_line(tiny_model, tiny_corpus, tmp_path, capsys):
    train_path, dev_path, _ = tiny_corpus
    save_model(tiny_model, tmp_path / "base.model")
    out = tmp_path / "tuned.model"
    assert main(["train", str(train_path), "--dev", str(dev_path), "--init", str(tmp_path / "base.model"),
                 "--epochs", "1", "-o", str(out), "--threads", "1"]) == 0
    err = capsys.readouterr().err
    assert "fine-tuning recipe: lr 0.001, at most 1 epochs" in err
    assert load_model(out).metadata["fine_tuned"]["from"] == str(tmp_path / "base.model")
    assert main(["train", str(train_path), "--init", str(tmp_path / "base.model"), "--standard", "x",
                 "-o", str(out)]) == 1
    assert "has no standards" in capsys.readouterr().err
    for option, value in (("--swap-names", "0.5"), ("--unpunctuated", "0.5"), ("--ema", "0.99"), ("--unk-dropout", "0.1")):
        assert main(["train", str(train_path), "--init", str(tmp_path / "base.model"), option, value,
                     "-o", str(tmp_path / "other.model")]) == 1
        assert f"{option}: not with --init" in capsys.readouterr().err
    assert not (tmp_path / "other.model").exists()


def test_adapt_without_dictionary_features_self_trains_only(tiny_model, raw_text):
    from tagger.adapt import adapt
    tagger = copy.deepcopy(tiny_model)
    found = adapt(tagger, [str(raw_text)], log=lambda message: None)
    adapted = tagger.metadata["adapted"]
    assert tagger.encoder.dictionary is None and adapted["new_words"] == 0
    assert adapted["self_training"].get("sentences", 0) == (30 if found else 0)


def test_the_ceiling_lists_hold_only_words_the_model_lacks():
    from scripts.bench.adapt_ceiling import word_lists
    train = [["我们", "喜欢", "苹果手机"], ["新词", "很", "好"]]
    scored = [["我们", "喜欢", "新词"], ["别的", "词"]]
    lists = word_lists({"我们"}, train, scored)
    assert lists["train"] == {"喜欢", "苹果手机", "新词"}  # one-character words and known words left out
    assert lists["useful"] == {"喜欢", "新词"}
    assert lists["scored"] == {"喜欢", "新词", "别的"}


def test_the_ceiling_script_asks_for_the_pku_model_before_any_work(capsys):
    from scripts.bench.adapt_ceiling import main as ceiling
    with pytest.raises(SystemExit) as exit_:
        ceiling(["--protocols", "B"])
    assert exit_.value.code == 2 and "--pku-model" in capsys.readouterr().err
