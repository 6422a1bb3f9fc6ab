"""Pretrained vectors: the word2vec text reader, row initialization, and training with them."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from tagger.cli import main
from tagger.corpora import read_part, training_parts
from tagger.embeddings import copy_rows, initialize, pretrain, read_vectors
from tagger.errors import CorpusError, TaggerError
from tagger.modelio import load_model
from tagger.vocab import Vocab, normalize

TINY = ["--epochs", "1", "--hidden", "8", "--char-dim", "4", "--bigram-dim", "3", "--batch-chars", "400",
        "--lr", "0.01", "--quiet", "--no-plot"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_vectors_with_header_and_normalized_tokens(tmp_path):
    path = write(tmp_path / "v.vec", "3 2\n我 1 2\n１ 3 4\n7 5 6\n")  # full-width 1, then ASCII 7: both are "0"
    vectors = read_vectors(path)
    assert set(vectors) == {"我", "0"}
    assert vectors["0"].tolist() == [3.0, 4.0]  # the first of equal keys wins
    assert read_vectors(path, classes=False)["7"].tolist() == [5.0, 6.0]
    assert set(read_vectors(path, keep={"我"})) == {"我"}  # only the vocabulary's tokens are parsed
    ends = read_vectors(write(tmp_path / "e.vec", "。</s> 1 2\nＡ</s> 3 4\n"))
    assert set(ends) == {"。</s>", "a</s>"}  # the EOS marker of end bigrams is not normalized


def test_read_vectors_errors_name_file_and_line(tmp_path):
    with pytest.raises(CorpusError, match=r"bad\.vec:3: 1 numbers after the token, expected 2"):
        read_vectors(write(tmp_path / "bad.vec", "2 2\n我 1 2\n你 1\n"))
    with pytest.raises(CorpusError, match=r"nan\.vec:2: a value is not a number"):
        read_vectors(write(tmp_path / "nan.vec", "我 1 2\n你 x 2\n"))
    with pytest.raises(TaggerError, match="no such vectors file"):
        read_vectors(tmp_path / "missing.vec")


def test_initialize_copies_known_rows_rescaled(tmp_path):
    vocab = Vocab(["我", "你", "他"])
    embedding = nn.Embedding(len(vocab), 2, padding_idx=0)
    before = embedding.weight.detach().clone()
    path = write(tmp_path / "v.vec", "我 1 2\n他 -3 4\n外 9 9\n")
    share = initialize(embedding, vocab, path)
    assert share == pytest.approx(2 / 3)
    after = embedding.weight.detach()
    for token, values in (("我", [1.0, 2.0]), ("他", [-3.0, 4.0])):  # direction kept, one common scale
        row = after[vocab.stoi[token]]
        assert torch.allclose(row / row.norm(), torch.tensor(values) / np.linalg.norm(values), atol=1e-6)
    for token in ("<pad>", "<unk>", "你"):
        assert torch.equal(after[vocab.stoi[token]], before[vocab.stoi[token]])
    with pytest.raises(TaggerError, match="3 dimensions, the embedding has 2"):
        initialize(embedding, vocab, write(tmp_path / "w.vec", "我 1 2 3\n"))


def test_train_with_pretrained_vectors(tiny_corpus, tmp_path, capsys):
    train_path, dev_path, _ = tiny_corpus
    chars = write(tmp_path / "c.vec", "".join(f"{c} {' '.join(['0.5'] * 4)}\n" for c in "我们喜欢苹果"))
    bigram = write(tmp_path / "b.vec", "我们 1 1 1\n喜欢 2 2 2\n")
    out = tmp_path / "m.model"
    assert main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), *TINY,
                 "--char-vectors", str(chars), "--bigram-vectors", str(bigram)]) == 0
    assert load_model(out).segment("我们喜欢苹果。") and "".join(load_model(out).segment("我们喜欢苹果。")) == "我们喜欢苹果。"
    assert main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), *TINY,
                 "--char-vectors", str(bigram)]) == 1
    assert "3 dimensions, the embedding has 4" in capsys.readouterr().err


def test_pretrain_script_writes_vectors_tagger_reads(tiny_corpus, tmp_path):
    train_path, _, _ = tiny_corpus
    prefix = tmp_path / "tiny"
    script = Path(__file__).resolve().parents[1] / "scripts" / "data" / "pretrain_embeddings.py"
    done = subprocess.run([sys.executable, str(script), str(train_path), "-o", str(prefix), "--char-dim", "6",
                           "--bigram-dim", "4", "--threads", "1", "--epochs", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    chars, bigram = read_vectors(f"{prefix}.chars.vec"), read_vectors(f"{prefix}.bigrams.vec")
    assert "我" in chars and len(chars["我"]) == 6
    assert "我们" in bigram and len(bigram["我们"]) == 4


def test_pretrain_script_is_reproducible(tiny_corpus, tmp_path):
    train_path, _, _ = tiny_corpus
    script = Path(__file__).resolve().parents[1] / "scripts" / "data" / "pretrain_embeddings.py"
    outputs = []
    for name in ("a", "b"):
        subprocess.run([sys.executable, str(script), str(train_path), "-o", str(tmp_path / name), "--char-dim", "4",
                        "--bigram-dim", "0", "--threads", "1", "--epochs", "1"], check=True, capture_output=True)
        outputs.append((tmp_path / f"{name}.chars.vec").read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]


def test_skipgram_vectors_start_the_embeddings_up_to_one_scale(tiny_corpus):
    """Trained with vectors on, the embedding rows are the skip-gram vectors of the training
    text, each table rescaled by one factor (so directions, the part that carries meaning, are kept)."""
    train_path, _, _ = tiny_corpus
    texts = ["".join(words) for words in read_part(training_parts(str(train_path))[0])]
    encoder_texts = [normalize(t) for t in texts]
    chars, pairs = pretrain(encoder_texts, 6, 4, seed=3)
    assert pretrain(encoder_texts, 6, 4, seed=3)[0]["我"].tolist() == chars["我"].tolist()  # reproducible
    assert set(chars) <= set("".join(encoder_texts)) and all(len(v) == 4 for v in pairs.values())

    vocab = Vocab.build([list(t) for t in encoder_texts])
    embedding = torch.nn.Embedding(len(vocab), 6)
    assert copy_rows(embedding, vocab, chars) == pytest.approx(len([c for c in vocab.itos[2:] if c in chars]) / (len(vocab) - 2))
    rows = [(vocab.stoi[c], chars[c]) for c in vocab.itos[2:] if c in chars]
    scales = [embedding.weight[i].detach().numpy() / vector for i, vector in rows]
    first = scales[0][0]
    assert all(np.allclose(scale, first, rtol=1e-4) for scale in scales)


def test_train_pretrains_vectors_when_asked_or_chosen(tiny_corpus, tmp_path, capsys):
    """--vectors pretrains on the training text; the tiny corpus is below the recipe's size for
    them, so by default it trains without; --no-vectors always does."""
    train_path, dev_path, _ = tiny_corpus
    out = tmp_path / "m.model"
    loud = [option for option in TINY if option != "--quiet"]
    assert main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), *loud, "--vectors"]) == 0
    assert "skip-gram vectors pretrained on the training text for 100.0% of the characters" in capsys.readouterr().err
    assert load_model(out).metadata["train_config"]["vectors"] is True
    for options in ([], ["--no-vectors"]):
        assert main(["train", str(train_path), "--dev", str(dev_path), "-o", str(out), *loud, *options]) == 0
        assert "skip-gram vectors pretrained" not in capsys.readouterr().err
        assert load_model(out).metadata["train_config"]["vectors"] is False
