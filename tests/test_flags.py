"""One output rule for words with flags (tagger.spanviews.flagged_words), and every front end on it:
tagger.posseg, `tagger segment --pos` (with --user-dict and --jobs), spaCy and serve."""
import pytest
from hypothesis import given, strategies as st

from tagger.cli import main
from tagger.spanviews import WHITESPACE_FLAG, flagged_words
from tagger.userdict import UserDict

TEXT = "我们喜欢北京大学。  他在上海工作"
USER_WORD, USER_TAG = "欢北京", "nz"  # a word no model makes on its own, with a tag no model gives it


@given(st.text(max_size=30), st.lists(st.integers(0, 30), max_size=12))
def test_flagged_words_join_back_and_flag_every_gap(text, cuts):
    """Whatever spans a model gives (sorted, not overlapping): the words are the whole text, each
    span keeps its label, and each gap between spans is one token with the whitespace flag."""
    points = sorted({min(c, len(text)) for c in cuts})
    spans = [(a, b, "n") for a, b in zip(points[::2], points[1::2]) if a < b]
    pairs = flagged_words(text, spans)
    assert "".join(word for word, _ in pairs) == text
    assert [(w, f) for w, f in pairs if f == "n"] == [(text[a:b], "n") for a, b, _ in spans]
    assert all(f == WHITESPACE_FLAG for w, f in pairs if f != "n")


def test_a_user_words_own_tag_wins_and_untagged_user_words_keep_the_models():
    user_dict = UserDict()
    user_dict.add("北京", tag="ns2")
    user_dict.add("喜欢")
    spans = [(0, 2, "r"), (2, 4, "v"), (4, 6, "ns"), (7, 9, "n")]
    assert flagged_words("我们喜欢北京 上海", spans, user_dict, whitespace="_SP") == \
        [("我们", "r"), ("喜欢", "v"), ("北京", "ns2"), (" ", "_SP"), ("上海", "n")]


@pytest.fixture(scope="module")
def user_dict_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("flags") / "user.txt"
    path.write_text(f"{USER_WORD} 5 {USER_TAG}\n", encoding="utf-8")
    return path


def segment_pos(tmp_path, capsys, *options: str) -> list[str]:
    source = tmp_path / "in.txt"
    source.write_text(TEXT + "\n\n" + TEXT + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["segment", str(source), "--pos", "--threads", "1", *options]) == 0
    return capsys.readouterr().out.splitlines()


def test_segment_pos_follows_posseg_and_honours_the_user_dictionary(tmp_path, capsys, user_dict_file):
    import tagger.posseg as pseg
    plain = segment_pos(tmp_path, capsys)
    assert plain[0] == " ".join(w if w.isspace() else f"{w}/{f}" for w, f in pseg.lcut(TEXT)) and plain[1] == ""
    assert f"{USER_WORD}/" not in plain[0]
    with_words = segment_pos(tmp_path, capsys, "--user-dict", str(user_dict_file))
    assert f" {USER_WORD}/{USER_TAG} " in f" {with_words[0]} " and with_words[0] == with_words[2]
    tokenizer = pseg.POSTokenizer()
    tokenizer.load_userdict(str(user_dict_file))
    assert (USER_WORD, USER_TAG) in [tuple(p) for p in tokenizer.lcut(TEXT)]


def test_segment_pos_uses_the_jobs(tmp_path, capsys, user_dict_file, monkeypatch):
    import tagger.parallel
    calls = []
    original = tagger.parallel.segment_parallel

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)
    monkeypatch.setattr(tagger.parallel, "segment_parallel", counted)
    alone = segment_pos(tmp_path, capsys, "--user-dict", str(user_dict_file))
    assert not calls
    assert segment_pos(tmp_path, capsys, "--user-dict", str(user_dict_file), "--jobs", "2") == alone
    assert len(calls) == 1 and calls[0]["pos"] is True


def test_spacy_takes_the_same_rule(user_dict_file):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tagger.Tokenizer.v1", "pos": True,
                                                          "user_dict": str(user_dict_file)}}})
    doc = nlp(TEXT)
    assert doc.text == TEXT
    assert (USER_WORD, USER_TAG) in [(t.text, t.tag_) for t in doc]
    assert [t.tag_ for t in doc if t.is_space] == ["_SP"]
