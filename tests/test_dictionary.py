"""Dictionary features: bit masks, jackknifed training dictionaries, and a model that uses them."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from tagger.cli import main
from tagger.dictionary import Dictionary, file_words, jackknife
from tagger.encode import collate
from tagger.errors import TaggerError
from tagger.modelio import load_model, save_model
from tagger.vocab import normalize

from .conftest import write_segmented, make_corpus


def test_features_mark_word_starts_and_ends():
    d = Dictionary(["北京", "北京大学", "大学", "x"], max_len=4)  # one-character entries are ignored
    bits = d.features("在北京大学")
    start = lambda n: 1 << (n - 2)               # noqa: E731
    end = lambda n: 1 << (d.max_len - 1 + n - 2)  # noqa: E731
    assert bits == [0, start(2) | start(4), end(2), start(2), end(2) | end(4)]
    assert d.bits == 6 and len(d) == 3


def test_matching_is_on_normalized_text():
    d = Dictionary(["１９９８年"])  # full-width digits fold to ASCII, digits to the class 0
    assert d.features(normalize("2024年"))[0] == 1 << 3  # features() reads the normalized text


def test_round_trip_through_a_dict():
    d = Dictionary(["北京", "上海市"], max_len=5, classes=False)
    again = Dictionary.from_dict(d.to_dict())
    assert again.words == d.words and again.max_len == 5 and again.classes is False


def test_jackknife_leaves_each_folds_own_words_out():
    sentences = [["甲乙", "丙"], ["丁戊"], ["己庚"], ["甲乙"]]
    folds = jackknife(sentences, external=["辛壬"], folds=2)
    # fold 0 holds sentences 0 and 2; its dictionary has only the other fold's words
    assert folds[0].words == {"丁戊", "甲乙", "辛壬"}   # 甲乙 is also in sentence 3 (fold 1)
    assert folds[1].words == {"甲乙", "己庚", "辛壬"}


def test_unreadable_word_list_is_a_one_line_error(tmp_path):
    bad = tmp_path / "words.txt"
    bad.write_bytes("北京\n".encode("gbk"))
    try:
        file_words(str(bad))
    except TaggerError as error:
        assert "words.txt" in str(error) and "UTF-8" in str(error)
    else:
        raise AssertionError("no error for a GBK word list")


@pytest.fixture(scope="module")
def dict_model(tmp_path_factory):
    from tagger.corpora import read_part, training_parts
    from tagger.model import ModelConfig
    from tagger.train import Trainer, TrainConfig

    tmp_path = tmp_path_factory.mktemp("dict")
    write_segmented(tmp_path / "train.seg", make_corpus(150, 3))
    write_segmented(tmp_path / "dev.seg", make_corpus(20, 4))
    (tmp_path / "words.txt").write_text("苹果\n研究生\n", encoding="utf-8")
    train_part, dev_part = training_parts(str(tmp_path / "train.seg"), str(tmp_path / "dev.seg"))
    trainer = Trainer(ModelConfig(char_dim=8, bigram_dim=4, hidden=8),
                      TrainConfig(epochs=1, batch_chars=400, char_min_count=1, bigram_min_count=1,
                                  dictionary=f"train,{tmp_path / 'words.txt'}"),
                      log=lambda message: None, progress=False)
    return trainer.fit(read_part(train_part), read_part(dev_part))


def test_model_with_dictionary_features_trains_saves_and_loads(dict_model, tmp_path):
    segmenter = dict_model
    assert segmenter.model.config.dictionary_bits == 10
    assert {"苹果", "研究生", "北京"} <= segmenter.encoder.dictionary.words  # file + training words

    text = "我们研究苹果"
    batch = collate([segmenter.encoder.encode(text)])
    assert batch.inputs.word_edges is not None and int(batch.inputs.word_edges[0, 2]) != 0
    # the features change what the model computes
    with torch.no_grad():
        with_features = segmenter.model(batch.inputs)
        without = segmenter.model(batch.inputs._replace(word_edges=torch.zeros_like(batch.inputs.word_edges)))
    assert not torch.allclose(with_features, without)

    path = tmp_path / "d.model"
    save_model(segmenter, path)
    loaded = load_model(path)
    assert loaded.encoder.dictionary.words == segmenter.encoder.dictionary.words
    lines = ["我们研究苹果", "他在上海工作了。"]
    assert loaded.segment_lines(lines) == segmenter.segment_lines(lines)


def test_export_takes_the_dictionary_input(dict_model, tmp_path):
    import onnxruntime
    model_path = tmp_path / "d.model"
    save_model(dict_model, model_path)
    batch = collate([dict_model.encoder.encode(t) for t in ["我们研究苹果", "他在上海工作了。"]])
    with torch.no_grad():
        expected = torch.log_softmax(dict_model.model(batch.inputs), -1)
    ts, onnx_path = str(tmp_path / "d.pt"), str(tmp_path / "d.onnx")
    assert main(["export", str(model_path), "--format", "torchscript", "-o", ts]) == 0
    assert torch.allclose(torch.jit.load(ts)(*exported_inputs(batch.inputs)), expected, atol=1e-5)
    assert main(["export", str(model_path), "--format", "onnx", "-o", onnx_path]) == 0
    session = onnxruntime.InferenceSession(onnx_path)
    names = [i.name for i in session.get_inputs()]
    assert names == ["chars", "bigrams", "lengths", "dictionary"]
    out = session.run(None, {n: t.numpy() for n, t in zip(names, exported_inputs(batch.inputs))})[0]
    mask = np.arange(out.shape[1])[None, :] < batch.inputs.lengths.numpy()[:, None]
    assert np.abs(out - expected.numpy())[mask].max() < 1e-4


def test_numpy_engine_reads_dictionary_features(dict_model, tmp_path):
    path = tmp_path / "d.model"
    save_model(dict_model, path, half=True)
    lines = ["我们研究苹果", "他在上海工作了。", "研究生命起源"]
    assert load_model(path, engine="numpy").segment_lines(lines) == load_model(path).segment_lines(lines)


def brute_force_features(dictionary: Dictionary, seen: str) -> list[int]:
    """Every substring of 2..max_len characters looked up: the definition features() speeds up."""
    masks = [0] * len(seen)
    for i in range(len(seen)):
        for n in range(2, min(dictionary.max_len, len(seen) - i) + 1):
            if seen[i:i + n] in dictionary.words:
                masks[i] |= 1 << (n - 2)
                masks[i + n - 1] |= 1 << (dictionary.max_len - 1 + n - 2)
    return masks


@given(st.text("甲乙丙丁戊", max_size=16), st.integers(2, 6))
def test_pruned_features_equal_the_brute_force_definition(text, max_len):
    dictionary = Dictionary(["甲乙", "甲乙丙", "乙丙丁戊甲乙", "丙丁", "丁戊甲", "甲甲甲甲甲", "戊戊"], max_len=max_len)
    assert dictionary.features(text) == brute_force_features(dictionary, text)


def test_vectorized_batch_encoding_carries_dictionary_features(dict_model):
    from tagger.encode import pad_arrays
    texts = ["我们研究生命起源", "北京", "他是苹果的学生。"]
    fast, slow = dict_model.encoder.encode_batch(texts), pad_arrays([dict_model.encoder.encode(t) for t in texts])
    assert fast.subchars is None and all((a == b).all() for a, b in zip(fast, slow) if a is not None)
    assert [a is None for a in fast] == [a is None for a in slow]
    assert fast.word_edges.any()  # some dictionary word was found


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**62), max_size=300, unique=True), st.lists(st.integers(0, 2**62), max_size=50),
       st.integers(0, 2**16))
def test_key_table_finds_exactly_the_keys_it_holds(keys, others, clustered):
    """KeyTable.find against np.isin: every key is found at its own row, nothing else is found,
    also when many keys share home slots (the clustered run of consecutive keys)."""
    from tagger.dictionary import KeyTable
    keys = np.array(sorted(set(keys) | set(range(clustered, clustered + 40))), dtype=np.int64)
    table = KeyTable(keys)
    needles = np.concatenate([keys, np.array(others, dtype=np.int64)])
    rows, found = table.find(needles)
    assert (found == np.isin(needles, keys)).all()
    assert (keys[rows[found]] == needles[found]).all()


def exported_inputs(inputs) -> tuple:
    """The exported graph's positional inputs: (chars, bigrams, lengths[, dictionary])."""
    return tuple(x for x in (inputs.chars, inputs.bigrams, inputs.lengths, inputs.word_edges) if x is not None)
