"""jieba compatibility: jieba's user-dictionary rule, full mode, set_dictionary, the module
aliases of install_as_jieba, and keyword extraction. The end-to-end tests do what jieba's own
test scripts do (test/jieba_test.py, test_userdict.py, test_multithread.py, test_tokenize.py,
test_pos.py, extract_tags.py), through `import jieba`, on the shipped models."""
from __future__ import annotations

import importlib
import subprocess
import sys
import threading
import types

import pytest

import tagger
from tagger.dictionary import Dictionary
from tagger.errors import CorpusError, TaggerError
from tagger.userdict import USER_DICT_LINE, Lexicon, UserDict, parse_line, read_entries

JIEBA_NAMES = ("jieba", "jieba.posseg", "jieba.analyse")
USER_DICT = "云计算 5\n李小福 2 nr\n创新办 3 i\neasy_install 3 eng\n台中\n凱特琳 nz\nEdu Trust认证 2000\n"


@pytest.fixture
def as_jieba():
    """`import jieba` gives tagger within the test; sys.modules and tagger.dt's user words and
    dictionary are put back afterwards."""
    saved_modules = {name: sys.modules.get(name) for name in JIEBA_NAMES}
    user_dict = tagger.dt.user_dict
    saved_words, saved_splits = dict(user_dict.entries), dict(user_dict.splits)
    saved_dictionary, saved_lexicon = tagger.dt.dictionary, tagger.dt._lexicon
    tagger.install_as_jieba()
    import jieba
    yield jieba
    for name, module in saved_modules.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module
    for word in [*user_dict.entries, *user_dict.splits]:
        user_dict.remove(word)
    for word, (freq, tag) in saved_words.items():
        user_dict.add(word, freq, tag)
    for parts in saved_splits.values():
        user_dict.add_split(parts)
    tagger.dt.dictionary, tagger.dt._lexicon = saved_dictionary, saved_lexicon


@pytest.fixture(scope="module")
def tiny_path(tiny_model, tmp_path_factory):
    from tagger.modelio import save_model
    path = tmp_path_factory.mktemp("jieba") / "tiny.model"
    save_model(tiny_model, path)
    return path


# -- the user-dictionary rule --------------------------------------------------------------
@pytest.mark.parametrize("line, entry", [
    ("Edu Trust认证 2000", ("Edu Trust认证", 2000, None)),   # spaces inside a word
    ("凱特琳 nz", ("凱特琳", None, "nz")),                    # a tag without a frequency
    ("李小福 2 nr", ("李小福", 2, "nr")),
    ("台中", ("台中", None, None)),
    ("坏词 x y", ("坏词 x", None, "y")),                      # what is not ` freq` / ` tag` is word
    ("词 5 NR", ("词 5 NR", None, None)),                     # tags are lowercase
    ("C++ 3", ("C++", 3, None)),
])
def test_lines_parse_as_jiebas_regex_reads_them(line, entry):
    from tagger.jieba_compat import real_jieba
    jieba = real_jieba()
    assert parse_line(line) == entry
    word, freq, tag = jieba.re_userdict.match(line).groups()
    assert (word, freq and int(freq), tag and tag.strip()) == entry


def test_the_rule_is_jiebas_own_regex():
    from tagger.jieba_compat import real_jieba
    jieba = real_jieba()
    assert USER_DICT_LINE.pattern == jieba.re_userdict.pattern and USER_DICT_LINE.flags == jieba.re_userdict.flags


def test_jiebas_example_user_dictionary_loads_whole(tmp_path):
    path = tmp_path / "userdict.txt"
    path.write_text(USER_DICT, encoding="utf-8")
    words = UserDict()
    words.load(path)
    assert len(words) == 7
    assert words.entries["Edu Trust认证"] == (2000, None) and words.entries["凱特琳"] == (None, "nz")
    with path.open("rb") as binary, path.open(encoding="utf-8") as text:
        assert list(read_entries(binary)) == list(read_entries(text)) == list(read_entries(path))


def test_a_line_that_is_not_utf8_is_a_one_line_error(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_bytes("好用 300\n\n".encode() + "台中 ns\n".encode("big5"))
    with pytest.raises(CorpusError, match=r"dict\.txt:3: not UTF-8 \(byte 0 of the line\)"):
        UserDict().load(path)
    with pytest.raises(CorpusError, match=r"dict\.txt:3: not UTF-8"), path.open("rb") as handle:
        UserDict().load(handle)
    with pytest.raises(TaggerError, match="no-such.txt: cannot read dictionary"):
        UserDict().load(tmp_path / "no-such.txt")


def test_adding_a_word_again_keeps_its_tag():
    words = UserDict()
    words.add("凱特琳", None, "nz")
    words.add("凱特琳")
    assert words.tag("凱特琳") == "nz"
    with pytest.raises(TaggerError, match="not a whole number"):
        words.add("好用", "many")


def test_a_split_rule_gives_the_parts_as_spans():
    words = UserDict(["北京大学"])
    words.add_split(["中", "将"])
    assert words.find("北京大学中将") == [(0, 4), (4, 5), (5, 6)]
    assert "中将" not in words and words.frequency("中将") == 0
    words.add("中将")
    assert words.find("中将") == [(0, 2)]


# -- the lexicon ---------------------------------------------------------------------------
def test_lexicon_dag_is_jiebas_shape():
    lexicon = Lexicon.of_words(["北京", "北京大学", "大学", "大学生"], UserDict())
    assert lexicon.dag("北京大学生") == {0: [0, 1, 3], 1: [1], 2: [2, 3, 4], 3: [3], 4: [4]}
    assert "北京大学" in lexicon and "京大" not in lexicon and "京" in lexicon


def test_lexicon_counts_user_words_added_later():
    user = UserDict()
    lexicon = Lexicon.of_words(["北京"], user)
    assert lexicon.dag("北京大学")[1] == [1]
    user.add("京大学")
    assert lexicon.dag("北京大学")[1] == [1, 3]


def test_a_normalized_dictionary_matches_only_text_that_reads_as_stored():
    features = Dictionary(["1998年", "北京", "AT&T"], classes=True)  # stored as 0000年, aa&a
    lexicon = Lexicon([features], UserDict())
    assert lexicon.dag("2001年北京") == {0: [0], 1: [1], 2: [2], 3: [3], 4: [4], 5: [5, 6], 6: [6]}
    assert "AT&T" not in lexicon and "北京" in lexicon


# -- Tokenizer: full mode, set_dictionary, search mode --------------------------------------
def test_full_mode_gives_every_lexicon_word(tiny_path):
    tokenizer = tagger.Tokenizer(tiny_path)  # training words: 我们 喜欢 苹果 北京 学生 ...
    result = tokenizer.cut("北京学生喜欢苹果", cut_all=True)
    assert isinstance(result, types.GeneratorType)
    assert list(result) == ["北京", "学生", "喜欢", "苹果"]
    tokenizer.add_word("京学")
    assert tokenizer.lcut("北京学生", cut_all=True) == ["北京", "京学", "学生"]
    assert tokenizer.lcut("他在iPhone15上工作", cut_all=True) == ["他", "在", "iPhone15", "上", "工作"]
    assert tokenizer.lcut("", cut_all=True) == []


def test_set_dictionary_replaces_the_lexicon_not_the_model(tiny_path, tmp_path):
    path = tmp_path / "main.txt"
    path.write_text("北京 3 ns\n北京大学 5\n大学\n", encoding="utf-8")
    plain, given = tagger.Tokenizer(tiny_path), tagger.Tokenizer(tiny_path, dictionary=path)
    assert given.lcut("北京大学", cut_all=True) == ["北京", "北京大学", "大学"]
    assert "学生" not in given.lcut("北京学生", cut_all=True)  # a training word, not in the file
    assert given.lcut("北京大学生") == plain.lcut("北京大学生")    # the model still segments
    plain.set_dictionary(str(path))
    assert plain.lcut("北京大学", cut_all=True) == ["北京", "北京大学", "大学"]
    with pytest.raises(TaggerError, match="no-such.txt: no such dictionary file"):
        plain.set_dictionary(tmp_path / "no-such.txt")


def test_search_mode_uses_the_lexicon(tiny_path, tmp_path):
    tokenizer = tagger.Tokenizer(tiny_path)
    tokenizer.add_word("我们喜欢")
    assert tokenizer.lcut_for_search("我们喜欢苹果")[:3] == ["我们", "喜欢", "我们喜欢"]
    tokens = list(tokenizer.tokenize("我们喜欢苹果", mode="search"))
    assert tokens[:3] == [("我们", 0, 2), ("喜欢", 2, 4), ("我们喜欢", 0, 4)]
    path = tmp_path / "main.txt"
    path.write_text("们喜\n", encoding="utf-8")
    tokenizer.set_dictionary(path)
    assert tokenizer.lcut_for_search("我们喜欢苹果")[:2] == ["们喜", "我们喜欢"]
    with pytest.raises(TaggerError, match="mode must be"):
        tokenizer.tokenize("我们", mode="fast")


def test_bytes_are_decoded_as_jieba_does(tiny_path):
    tokenizer = tagger.Tokenizer(tiny_path)
    text = "北京学生喜欢苹果"
    assert tokenizer.lcut(text.encode()) == tokenizer.lcut(text)
    assert tokenizer.lcut(text.encode("gbk"), cut_all=True) == tokenizer.lcut(text, cut_all=True)


def test_suggest_freq_becomes_a_rule(tiny_path):
    tokenizer = tagger.Tokenizer(tiny_path)
    assert tokenizer.suggest_freq("果香", tune=False) == 1 and "果香" not in tokenizer.lcut("苹果香蕉")
    assert tokenizer.suggest_freq("果香", tune=True) == 1 and "果香" in tokenizer.lcut("苹果香蕉")
    before = tokenizer.lcut("我们喜欢北京")
    assert "喜欢" in before
    assert tokenizer.suggest_freq(("喜", "欢"), tune=True) == 0
    assert tokenizer.lcut("我们喜欢北京") == ["我们", "喜", "欢", "北京"]
    assert tokenizer.get_FREQ("喜欢") == 0 and tokenizer.get_FREQ("苹果", "none") == "none"


def test_threads_share_one_lexicon(tiny_path, tiny_corpus):
    lines = ["".join(s) for s in tiny_corpus[2]]
    tokenizer = tagger.Tokenizer(tiny_path)
    results: dict[int, list] = {}

    def work(k: int) -> None:
        results[k] = [(tokenizer.lcut(line, cut_all=True), tokenizer.lcut_for_search(line)) for line in lines]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    serial = tagger.Tokenizer(tiny_path)
    expected = [(serial.lcut(line, cut_all=True), serial.lcut_for_search(line)) for line in lines]
    assert all(results[k] == expected for k in range(6))


# -- install_as_jieba --------------------------------------------------------------------
def test_install_registers_the_aliases(as_jieba, tiny_path):
    import jieba.posseg as pseg
    from jieba import analyse
    assert as_jieba is tagger.jieba_compat and pseg is tagger.posseg and analyse is tagger.analyse
    assert as_jieba.dt is tagger.dt and pseg.dt.user_dict is tagger.dt.user_dict
    assert importlib.reload(as_jieba) is as_jieba and as_jieba.dt is tagger.dt
    real = tagger.jieba_compat.real_jieba()
    assert real is not as_jieba and real.__name__ == "jieba" and hasattr(real, "re_userdict")
    assert sys.modules["jieba"] is as_jieba  # put back after reaching the real one
    custom = as_jieba.Tokenizer(None, model=tiny_path)  # jieba's signature: dictionary first
    assert custom.model_path == tiny_path and custom.dictionary is None


def test_jieba_analyse_is_imported_on_first_use():
    """A fresh interpreter: `import jieba.analyse` costs nothing until an attribute is used."""
    script = ("import sys, tagger; tagger.install_as_jieba(); import jieba.analyse; "
              "assert 'tagger.analyse' not in sys.modules; from jieba.analyse import extract_tags; "
              "assert 'tagger.analyse' in sys.modules; import jieba.analyse as a; "
              "assert a is sys.modules['tagger.analyse'] and a.default_tfidf.tokenizer is tagger.dt; print('ok')")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr


CONTENTS = ["这是一个伸手不见五指的黑夜。我叫孙悟空，我爱北京，我爱Python和C++。", "我不喜欢日本和服。",
            "", "abc", "PS: 我觉得开源有一个好处，就是能够敦促自己不断改进，避免敞帚自珍", "大",
            "RT @laoshipukong : 27日，全国人大常委会第三次审议侵权责任法草案 "]


def test_jieba_unit_tests_run_on_tagger(as_jieba):
    """What test/jieba_test.py checks: every mode gives a generator, HMM=False is accepted,
    set_dictionary works, posseg pairs have word and flag; and here also that the pieces add up."""
    jieba = as_jieba
    import jieba.posseg as pseg
    jieba.initialize()
    for content in CONTENTS:
        for result in (jieba.cut(content), jieba.cut(content, HMM=False), jieba.cut(content, cut_all=True),
                       jieba.cut_for_search(content), jieba.tokenize(content), pseg.cut(content, HMM=False)):
            assert isinstance(result, types.GeneratorType)
        assert "".join(jieba.cut(content)) == content
        assert "".join(w.word for w in pseg.cut(content)) == content
        tokens = list(jieba.tokenize(content, HMM=False))
        assert all(content[start:end] == word for word, start, end in tokens)
        assert set(jieba.lcut(content)) <= set(jieba.lcut_for_search(content))
    full = jieba.lcut("我来到北京清华大学", cut_all=True)  # every lexicon word in the text, jieba's walk
    assert {"我", "来到", "北京", "清华", "清华大学", "华大", "大学"} <= set(full)
    assert full[:3] == ["我", "来到", "北京"] and all(word in "我来到北京清华大学" for word in full)
    assert jieba.lcut("我爱Python和C++", cut_all=True)[:3] == ["我", "爱", "Python"]
    text = "小明硕士毕业于中国科学院计算所"
    assert "科学院" in jieba.lcut(text) and "学院" not in jieba.lcut(text)
    search = jieba.lcut_for_search(text)
    assert search.index("学院") < search.index("科学院")  # parts come before their word


def test_jieba_set_dictionary_runs_on_tagger(as_jieba, tmp_path):
    path = tmp_path / "foobar.txt"
    path.write_text("好人 12 n", encoding="utf-8")
    as_jieba.set_dictionary(str(path))
    assert as_jieba.lcut("好人使用了它", cut_all=True) == ["好人", "使", "用", "了", "它"]
    assert "".join(as_jieba.cut("好人使用了它")) == "好人使用了它"


def test_jieba_user_dict_script_runs_on_tagger(as_jieba, tmp_path):
    """What test/test_userdict.py does: load jieba's kind of user dictionary, add and delete
    words, cut with jieba and jieba.posseg, tune frequencies."""
    jieba = as_jieba
    path = tmp_path / "userdict.txt"
    path.write_text(USER_DICT, encoding="utf-8")
    jieba.load_userdict(str(path))
    import jieba.posseg as pseg
    jieba.add_word("石墨烯")
    jieba.add_word("凱特琳")
    jieba.del_word("自定义词")
    text = ("李小福是创新办主任也是云计算方面的专家; 什么是八一双鹿\n"
            "「台中」正確應該不會被切開。mac上可分出「石墨烯」；此時又可以分出來凱特琳了。")
    words = jieba.lcut(text)
    assert {"李小福", "创新办", "云计算", "台中", "石墨烯", "凱特琳"} <= set(words)
    pairs = pseg.lcut(text)
    assert {("李小福", "nr"), ("创新办", "i"), ("凱特琳", "nz")} <= set(pairs)
    assert "easy_install" in jieba.lcut("easy_install is great")
    assert jieba.get_FREQ("云计算") == 5 and jieba.get_FREQ("中将") is None
    assert jieba.suggest_freq("中将", True) == 1
    assert "中将" in jieba.lcut("如果放到post中将出错。", HMM=False)
    assert jieba.suggest_freq(("中", "将"), True) == 0
    assert jieba.lcut("如果放到post中将出错。", HMM=False)[-4:] == ["中", "将", "出错", "。"]
    assert jieba.suggest_freq("台中", True) == 1 and jieba.get_FREQ("中将") == 0


def test_jieba_keyword_extraction_runs_on_tagger(as_jieba, tmp_path):
    """What test/extract_tags.py does (bytes in, as it reads the file in binary), and TextRank,
    stop words and IDF tables."""
    import jieba.analyse
    text = ("西三旗硅谷先锋小区半地下室出租，便宜可合租硅谷\n"
            "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作")
    tags = jieba.analyse.extract_tags(text.encode(), topK=5)
    assert tags[0] == "硅谷" and len(tags) == 5 and all(tag in text for tag in tags)
    assert jieba.analyse.extract_tags(text, topK=5) == tags
    ranked = jieba.analyse.textrank(text, topK=5, withFlag=True)
    assert ranked and all(flag in ("ns", "n", "vn", "v") and word in text for word, flag in ranked)
    stop = tmp_path / "stop.txt"
    stop.write_text("硅谷\n", encoding="utf-8")
    extractor = tagger.analyse.TFIDF()
    extractor.set_stop_words(stop)
    assert "硅谷" not in extractor.extract_tags(text, topK=5) and "硅谷" in jieba.analyse.extract_tags(text, topK=5)
    idf = tmp_path / "idf.txt"
    idf.write_text("硅谷 0.001\n地下室 0.002\n出租 0.003\n科室 50\n交换机 40\n", encoding="utf-8")  # median 0.003
    extractor.set_idf_path(idf)
    assert extractor.extract_tags(text, topK=2) == ["科室", "交换机"]
    broken = tmp_path / "broken.txt"
    broken.write_text("no idf here\n", encoding="utf-8")
    with pytest.raises(TaggerError, match="broken.txt: not an IDF table"):
        extractor.set_idf_path(broken)
    assert extractor.extract_tags(text, topK=2) == ["科室", "交换机"]  # the table in use stays
    with pytest.raises(TaggerError, match="no-such.txt: no such stop words file"):
        jieba.analyse.set_stop_words(tmp_path / "no-such.txt")


def test_a_pos_tokenizer_takes_a_tokenizer_first_as_jiebas(tiny_path):
    from tagger.posseg import POSTokenizer
    tokenizer = tagger.Tokenizer(tiny_path)
    pos = POSTokenizer(tokenizer)
    assert pos.tokenizer is tokenizer and pos.user_dict is tokenizer.user_dict and pos.model_path is None
    tokenizer.add_word("果香", tag="nz")
    assert pos.user_dict.tag("果香") == "nz"
