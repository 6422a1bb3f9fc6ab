"""jieba-compatible API and user dictionaries."""
import io
import threading

import pandas as pd
import pytest

import tagger
from tagger.errors import CorpusError
from tagger.userdict import UserDict


def test_user_dict_words_are_kept_whole_by_decoding(tiny_model):
    text = "我们喜欢苹果香蕉和北京学生"
    before = tiny_model.segment(text)
    assert "果香" not in before and "京学" not in before
    tiny_model.user_dict.add("果香")
    tiny_model.user_dict.add("京学", 10, "n")
    try:
        words = tiny_model.segment(text)
        assert "果香" in words and "京学" in words
        assert "".join(words) == text
    finally:
        tiny_model.user_dict.remove("果香")
        tiny_model.user_dict.remove("京学")
    assert tiny_model.segment(text) == before


def test_user_dict_never_splits_an_atomic_run(tiny_model):
    tiny_model.user_dict.add("Phone")
    try:
        assert "iPhone15" in "".join(w if w != " " else "|" for w in tiny_model.segment("我们iPhone15"))
        assert all("Phone" != w for w in tiny_model.segment("我们iPhone15"))
    finally:
        tiny_model.user_dict.remove("Phone")


def test_userdict_file_format(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("\ufeff云计算 5 n\n创新办 3\n台中 ns\n\n", encoding="utf-8")
    d = UserDict()
    d.load(path)
    assert d.entries == {"云计算": (5, "n"), "创新办": (3, None), "台中": (None, "ns")}
    assert d.find("我在台中做云计算") == [(2, 4), (5, 8)]
    bad = tmp_path / "bad.txt"
    bad.write_bytes("好词 1\n".encode() + "坏词 2\n".encode("gbk"))
    with pytest.raises(CorpusError, match=r"bad\.txt:2: not UTF-8"):
        UserDict().load(bad)
    d2 = UserDict()
    d2.load(io.StringIO("北京大学\n"))
    assert "北京大学" in d2


def test_find_is_longest_first_and_non_overlapping():
    d = UserDict(["北京", "北京大学", "大学生"])
    assert d.find("北京大学生") == [(0, 4)]


def test_tokenize_offsets(tiny_model):
    text = "我们 喜欢苹果"
    tokens = list(tagger.Tokenizer(tiny_model).tokenize(text))
    assert all(text[s:e] == w for w, s, e in tokens)
    assert tokens[-1][2] == len(text)


def test_cut_for_search_yields_known_parts(tiny_model):
    tiny_model.user_dict.add("我们喜欢")
    try:
        words = tagger.Tokenizer(tiny_model).lcut_for_search("我们喜欢苹果")
        assert words[:3] == ["我们", "喜欢", "我们喜欢"]
    finally:
        tiny_model.user_dict.remove("我们喜欢")


def test_tokenizer_has_its_own_dictionary(tiny_model, tmp_path):
    from tagger.modelio import save_model
    path = tmp_path / "t.model"
    save_model(tiny_model, path)
    first, second = tagger.Tokenizer(path), tagger.Tokenizer(path)
    first.add_word("果香")
    assert "果香" in first.lcut("苹果香蕉") and "果香" not in second.lcut("苹果香蕉")
    assert [w for w, _, _ in first.tokenize("苹果香蕉", mode="search")][-1] == first.lcut("苹果香蕉")[-1]
    assert "果香" in first.lcut("苹果香蕉", cut_all=True) and "果香" not in second.lcut("苹果香蕉", cut_all=True)


def test_pandas_series(tiny_model):
    series = pd.Series(["我们喜欢苹果", "他是学生"], index=[10, 20], name="text")
    out = tagger.Tokenizer(tiny_model).cut_series(series)
    assert list(out.index) == [10, 20] and out.name == "text"
    assert "".join(out[20]) == "他是学生"


def test_pandas_series_keeps_missing_values_missing(tiny_model):
    series = pd.Series(["我们喜欢苹果", None, float("nan"), "他是学生"], name="text")
    out = tagger.Tokenizer(tiny_model).cut_series(series)
    assert pd.isna(out[1]) and pd.isna(out[2])  # not the word "nan"
    assert "".join(out[0]) == "我们喜欢苹果" and "".join(out[3]) == "他是学生"


@pytest.mark.parametrize("value, hint", [(123, "got int"), (b"abc", "decode bytes"), (float("nan"), "missing value")])
def test_only_text_is_segmented(tiny_model, value, hint):
    with pytest.raises(TypeError, match=hint):
        tiny_model.segment_lines(["我们", value])
    with pytest.raises(TypeError, match=hint):
        tiny_model.segment(value)


def test_threads_give_serial_results(tiny_model, tiny_corpus):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev]
    expected = [tiny_model.segment(line) for line in lines]
    results: dict[int, list] = {}

    def work(k: int) -> None:
        results[k] = [tiny_model.segment(line) for line in lines]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[k] == expected for k in range(8))
