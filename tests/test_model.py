"""Train -> save -> load, determinism, batching and losslessness on a tiny model."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from tagger.encode import Inputs
from tagger.model import BiLSTMTagger, ModelConfig, reverse_padded
from tagger.modelio import load_model, read_payload, save_model
from tagger.chunks import split_long

from .conftest import train_tiny


def test_reverse_padded_is_its_own_inverse():
    x = torch.arange(2 * 4 * 1, dtype=torch.float).view(2, 4, 1).transpose(0, 1).contiguous()  # (time, batch, 1)
    lengths = torch.tensor([3, 4])
    rev = reverse_padded(x, lengths)
    assert rev[:, 0, 0].tolist() == [2, 1, 0, 3] and rev[:, 1, 0].tolist() == [7, 6, 5, 4]
    assert torch.equal(reverse_padded(rev, lengths), x)


def test_padding_does_not_change_outputs():
    model = BiLSTMTagger(ModelConfig(char_dim=8, bigram_dim=4, hidden=8, layers=2, char_vocab=20,
                                     bigram_vocab=20)).eval()
    chars = torch.tensor([[3, 4, 5]])
    big = torch.tensor([[6, 7, 8]])
    alone = model(Inputs(chars, torch.tensor([3]), big))
    padded = model(Inputs(torch.tensor([[3, 4, 5, 0, 0]]), torch.tensor([3]), torch.tensor([[6, 7, 8, 0, 0]])))
    assert torch.allclose(alone, padded[:, :3], atol=1e-6)


def test_tiny_model_learns(tiny_model, tiny_corpus):
    from tagger.metrics import score
    _, _, dev = tiny_corpus
    predicted = tiny_model.segment_lines(["".join(s) for s in dev])
    assert score(dev, predicted).f1 > 0.8


def test_save_load_gives_identical_predictions(tiny_model, tiny_corpus, tmp_path):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev]
    path = tmp_path / "m.model"
    save_model(tiny_model, path)
    payload = read_payload(path)
    assert payload["vocab"]["chars"][:2] == ["<pad>", "<unk>"] and "state_dict" in payload
    loaded = load_model(path)
    assert loaded.segment_lines(lines) == tiny_model.segment_lines(lines)
    assert loaded.metadata["tagger_version"]


def test_same_seed_same_model(tiny_corpus):
    train_path, dev_path, _ = tiny_corpus
    first, _ = train_tiny(train_path, dev_path, seed=7, epochs=1)
    second, _ = train_tiny(train_path, dev_path, seed=7, epochs=1)
    for (name, a), (_, b) in zip(first.model.state_dict().items(), second.model.state_dict().items()):
        assert torch.equal(a, b), name


def test_history_has_one_row_per_epoch(tiny_corpus):
    train_path, dev_path, _ = tiny_corpus
    _, trainer = train_tiny(train_path, dev_path, epochs=2)
    csv_text = trainer.history_csv().splitlines()
    assert csv_text[0].startswith("epoch,train_loss,dev_loss,dev_precision,dev_recall,dev_f1")
    assert len(csv_text) == 3


def test_batched_equals_one_by_one(tiny_model, tiny_corpus):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev] + ["", "  ", "我们 喜欢\u3000苹果"]
    batched = tiny_model.segment_lines(lines)
    assert batched == [tiny_model.segment_lines([line])[0] for line in lines]
    assert batched[len(dev)] == []


def test_line_longer_than_training(tiny_model):
    line = "我们喜欢苹果和香蕉。" * 200  # 2000 chars, far beyond any training sentence
    words = tiny_model.segment(line)
    assert "".join(words) == line


def test_split_long_cuts_after_sentence_ends():
    text = "甲乙。" * 300
    pieces = split_long(text, limit=100)
    assert "".join(pieces) == text and all(len(p) <= 100 for p in pieces)
    assert all(p.endswith("。") for p in pieces)


def test_latin_digits_and_urls_stay_whole(tiny_model):
    words = tiny_model.segment("我们在https://example.com/x?y=1看了iPhone15和3.14")
    assert "https://example.com/x?y=1" in words
    assert any("iPhone15" in w for w in words) and any("3.14" in w for w in words)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("我们喜欢苹果香蕉。，ab1２ \u3000\t·😀\u0301")) | st.characters(),
               max_size=60))
def test_lossless(tiny_model, text):
    text = text.replace("\n", " ").replace("\r", " ")
    words = tiny_model.segment(text)
    assert "".join(words) == text
    assert all(words)


@pytest.mark.parametrize("ema", [0.0, 0.9])
def test_resume_after_interruption_gives_the_same_model(tiny_corpus, tmp_path, ema):
    """Stop after epoch 1 (as a kill would), resume to epoch 3: same weights as a straight run
    (with a moving average of the weights too: the checkpoint carries it)."""
    from tagger.corpora import read_part, training_parts
    from tagger.model import ModelConfig
    from tagger.train import Trainer, TrainConfig

    train_path, dev_path, _ = tiny_corpus
    parts = training_parts(str(train_path), str(dev_path))

    def trainer(epochs):
        return Trainer(ModelConfig(char_dim=8, bigram_dim=4, hidden=8, layers=1),
                       TrainConfig(epochs=epochs, batch_chars=400, lr=1e-2, seed=3, patience=10, ema=ema),
                       log=lambda m: None, progress=False)

    straight = trainer(3).fit(read_part(parts[0]), read_part(parts[1]))
    checkpoint = str(tmp_path / "m.ckpt")
    trainer(1).fit(read_part(parts[0]), read_part(parts[1]), checkpoint=checkpoint)
    resumed_trainer = trainer(3)
    resumed = resumed_trainer.fit(read_part(parts[0]), read_part(parts[1]), checkpoint=checkpoint, resume=True)
    assert [row["epoch"] for row in resumed_trainer.history] == [1, 2, 3]
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), name


def test_ema_keeps_the_average_not_the_last_weights(tiny_corpus):
    """The kept model is the moving average; the training path itself is unchanged by it, so a
    decay near 0 (average = last weights) gives the plain run's model and 0.9 another one."""
    from tagger.corpora import read_part, training_parts
    from tagger.train import Trainer, TrainConfig

    train_path, dev_path, _ = tiny_corpus
    train_part = training_parts(str(train_path), str(dev_path))[0]

    def final_model(ema):
        trainer = Trainer(ModelConfig(char_dim=8, bigram_dim=4, hidden=8, layers=1),
                          TrainConfig(epochs=2, batch_chars=400, lr=1e-2, seed=3, ema=ema),
                          log=lambda m: None, progress=False)
        return trainer.fit(read_part(train_part), None).model.state_dict()

    plain, near_zero, averaged = final_model(0.0), final_model(1e-9), final_model(0.9)
    assert all(torch.allclose(plain[k], near_zero[k], atol=1e-6) for k in plain)
    assert not all(torch.allclose(plain[k], averaged[k], atol=1e-4) for k in plain)


def test_ema_out_of_range_is_a_clear_error(tiny_corpus):
    from tagger.corpora import read_part, training_parts
    from tagger.errors import TaggerError
    from tagger.train import Trainer, TrainConfig

    train_path, dev_path, _ = tiny_corpus
    train_part = training_parts(str(train_path), str(dev_path))[0]
    trainer = Trainer(ModelConfig(char_dim=8, bigram_dim=4, hidden=8), TrainConfig(epochs=1, ema=1.5),
                      log=lambda m: None, progress=False)
    with pytest.raises(TaggerError, match="--ema"):
        trainer.fit(read_part(train_part), None)


SPECIALS = ["👨‍👩‍👧‍👦", "e\u0301", "\u200b", "\u200d", "\ufeff", "\u2028", "\x00", "\x1b", "\r", "\x0b",
            "\x85", "𠀀", "𪚥", "한국어", "https://例子.cn/a?q=1", "3.14", "１２３", "\u3000", " "]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SPECIALS) | st.text(alphabet="我们喜欢苹果北京", max_size=6)
                | st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_lossless_on_troublemakers(tiny_model, pieces):
    text = "".join(pieces).replace("\n", "")
    words = tiny_model.segment(text)
    assert "".join(words) == text and all(words)


def test_very_long_line_without_punctuation(tiny_model):
    line = "我们喜欢苹果和香蕉" * 20_000  # 180,000 characters, no sentence end anywhere
    words = tiny_model.segment_lines([line])[0]
    assert "".join(words) == line


def test_unk_dropout_only_touches_real_bigrams():
    from tagger.train import Trainer, TrainConfig
    trainer = Trainer(ModelConfig(), TrainConfig(unk_dropout=1.0))
    ids = torch.tensor([[5, 6, 7, 0, 0]])
    assert trainer._unk_dropout(ids).tolist() == [[1, 1, 1, 0, 0]]
    assert Trainer(ModelConfig(), TrainConfig())._unk_dropout(ids) is ids


def test_reverse_padded_matches_a_python_reversal():
    x = torch.arange(4 * 2 * 3, dtype=torch.float32).reshape(4, 2, 3)  # (time, batch, features)
    lengths = torch.tensor([3, 4])
    out = reverse_padded(x, lengths)
    for row, n in enumerate(lengths.tolist()):
        assert torch.equal(out[:n, row], x[:n, row].flip(0)) and torch.equal(out[n:, row], x[n:, row])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("的一是在不了有和人１２ＡBc，。😀\u3000ﾀ𠀀xyz", min_size=1, max_size=25), min_size=1, max_size=6))
def test_vectorized_batch_encoding_equals_one_by_one(tiny_model, texts):
    from tagger.encode import pad_arrays
    encoder = tiny_model.encoder
    fast, slow = encoder.encode_batch(texts), pad_arrays([encoder.encode(t) for t in texts])
    assert [a is None for a in fast] == [a is None for a in slow]
    assert all(a.dtype == b.dtype and (a == b).all() for a, b in zip(fast, slow) if a is not None)
