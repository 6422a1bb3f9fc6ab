"""Aligning a corpus to a training word list (tagger/align.py, the `pku-aligned` benchmark)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tagger.align import WordListAligner
from tagger.corpora import Part, get_corpus, read_part
from tagger.errors import TaggerError
from tagger.textlines import BadLines

LIST = ["我们", "放", "在", "桌", "上", "狰狞面目", "狰狞", "面目", "露出", "1998年", "书"]


def test_a_word_missing_from_the_list_is_cut_into_list_words():
    corpus = [["我们", "放在", "桌", "上"]]
    assert WordListAligner(LIST, corpus)(["我们", "放在", "桌", "上"]) == ["我们", "放", "在", "桌", "上"]


def test_a_list_word_written_once_as_a_run_is_joined():
    corpus = [["露出", "狰狞", "面目"], ["我们", "放", "书"]]
    assert WordListAligner(LIST, corpus)(["露出", "狰狞", "面目"]) == ["露出", "狰狞面目"]


def test_a_run_seen_twice_is_left_alone():
    """The list says some occurrence was joined, not which one."""
    corpus = [["露出", "狰狞", "面目"], ["狰狞", "面目"]]
    assert WordListAligner(LIST, corpus)(["露出", "狰狞", "面目"]) == ["露出", "狰狞", "面目"]


def test_numbers_and_words_without_a_cut_stay_whole():
    corpus = [["１６５９", "年"], ["１９９８年"], ["苏门答腊"]]
    aligner = WordListAligner(LIST + ["1", "659"], corpus)
    assert aligner(["１６５９", "年"]) == ["１６５９", "年"]     # '1659' is not listed, yet not cut
    assert aligner(["１９９８年"]) == ["１９９８年"]              # listed in half width
    assert aligner(["苏门答腊"]) == ["苏门答腊"]                  # no cut into listed words


def test_the_cut_follows_the_corpus_word_counts():
    """Two 2-piece cuts of 种子公司: the one whose pieces the corpus uses more often wins."""
    words = ["种", "子公司", "种子", "公司"]
    corpus = [["种子公司"], ["种子"], ["种子"], ["公司"], ["公司"], ["种"]]
    assert WordListAligner(words, corpus)(["种子公司"]) == ["种子", "公司"]


@given(st.lists(st.lists(st.sampled_from(["放在", "我们", "狰狞", "面目", "书", "１６５９", "放", "，"]),
                         min_size=1, max_size=8), min_size=1, max_size=5))
def test_alignment_keeps_every_character_in_order(corpus):
    aligner = WordListAligner(LIST, corpus)
    for words in corpus:
        aligned = aligner(words)
        assert "".join(aligned) == "".join(words)
        assert all(aligned)


def test_read_part_aligns_a_carved_corpus(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("我们 放在 桌 上\n露出 狰狞 面目\n", encoding="utf-8")
    word_list = tmp_path / "words.txt"
    word_list.write_text("\n".join(LIST) + "\n", encoding="utf-8")
    plain = list(read_part(Part(str(corpus), "segmented")))
    aligned = list(read_part(Part(str(corpus), "segmented", align=str(word_list))))
    assert plain[0] == ["我们", "放在", "桌", "上"]
    assert aligned == [["我们", "放", "在", "桌", "上"], ["露出", "狰狞面目"]]


def test_pku_aligned_is_pku_with_its_word_list(tmp_path, monkeypatch):
    for name in ("pd1998/199801.txt", "sighan2005/pku_test_gold.utf8", "sighan2005/pku_training_words.utf8"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    monkeypatch.setenv("TAGGER_CORPORA", str(tmp_path))
    pku, aligned = get_corpus("pku"), get_corpus("pku-aligned")
    assert aligned.train.path == pku.train.path and aligned.test == pku.test
    assert aligned.train.align == aligned.dev.align == aligned.words
    assert pku.train.align is None


def test_skip_bad_lines_skips_them_in_the_aligner_too(tmp_path):
    corpus = tmp_path / "pd.txt"
    corpus.write_text("19980101-01-001-001/m  我们/r  放在/v\n19980101-01-001-002/m  坏词\n"
                      "19980101-01-001-003/m  狰狞/a  面目/n\n", encoding="utf-8")
    word_list = tmp_path / "words.txt"
    word_list.write_text("\n".join(LIST) + "\n", encoding="utf-8")
    part = Part(str(corpus), "pd1998", align=str(word_list))
    bad = BadLines()
    assert list(read_part(part, bad)) == [["我们", "放", "在"], ["狰狞面目"]]
    assert len(bad) == 1
    with pytest.raises(TaggerError, match="pd.txt"):
        list(read_part(part))
