from hypothesis import given, strategies as st

from tagger.tags import is_valid, tags_to_words, words_to_tags

words = st.lists(st.text(alphabet="一二三四五ab1，", min_size=1, max_size=5), max_size=12)


@given(words)
def test_bmes_round_trip(ws):
    tags = words_to_tags(ws)
    assert len(tags) == len("".join(ws))
    assert is_valid(tags)
    assert tags_to_words("".join(ws), tags) == ws


def test_known_tags():
    assert words_to_tags(["我们", "喜", "欢迎你"]) == ["B", "E", "S", "B", "M", "E"]


@given(st.lists(st.sampled_from("BMES"), min_size=1, max_size=10))
def test_invalid_sequences_lose_no_character(tags):
    chars = "".join(chr(0x4E00 + i) for i in range(len(tags)))
    assert "".join(tags_to_words(chars, tags)) == chars
