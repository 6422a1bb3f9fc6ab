"""Traditional script folded to Simplified as the model sees it, and the tokens that social
media and technical text must keep whole."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tagger.tokens import atomic_spans, standalone_spans
from tagger.dictionary import Dictionary
from tagger.vocab import normalize, traditional_to_simplified


def test_the_table_is_one_character_to_one_and_has_the_common_pairs():
    table = traditional_to_simplified()
    assert len(table) > 4000
    assert all(len(t) == 1 and len(s) == 1 and t != s for t, s in table.items())
    assert [table[c] for c in "臺灣們將調漲運"] == list("台湾们将调涨运")


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=40))
def test_folding_keeps_the_length_and_is_deterministic(text):
    folded = normalize(text, classes=False)
    assert len(folded) == len(text)
    assert normalize(text, classes=False) == folded
    assert normalize(folded, classes=False) == folded  # Simplified stays as it is


def test_a_traditional_sentence_is_seen_as_its_simplified_twin():
    assert normalize("我們在臺灣大學研究生命的起源") == normalize("我们在台湾大学研究生命的起源")


def test_traditional_text_gets_its_simplified_twins_boundaries(tiny_model):
    simplified, traditional = "我们在北京研究生命的起源。", "我們在北京研究生命的起源。"
    words = tiny_model.segment(traditional)
    assert "".join(words) == traditional  # cut from the original text: nothing altered
    assert [len(w) for w in words] == [len(w) for w in tiny_model.segment(simplified)]


def test_dictionary_words_match_in_either_script():
    dictionary = Dictionary(["臺灣大學"])
    assert dictionary.features(normalize("台湾大学")) == dictionary.features(normalize("臺灣大學"))
    assert any(dictionary.features(normalize("台湾大学")))


def pieces(text: str) -> list[str]:
    return [text[a:b] for a, b in atomic_spans(text)]


def test_command_line_options_versions_and_file_names_stay_whole():
    assert pieces("python train.py --epochs 10 -v") == ["python", "train.py", "--epochs", "10", "-v"]
    assert pieces("升级到v2.1.0版本") == ["v2.1.0"]
    assert pieces("见src/tagger/cli.py和std::vector") == ["src/tagger/cli.py", "std::vector"]
    assert pieces("--lr=0.001") == ["--lr=0.001"]
    assert pieces("中国-东盟") == []  # a dash between Chinese words is not an option


def test_hashtags_mentions_and_emoji_are_tokens_of_their_own(tiny_model):
    text = "#成都美食#@头条新闻👍"
    spans = standalone_spans(text)
    assert [text[a:b] for a, b in spans] == ["#", "#", "@", "👍"]
    words = tiny_model.segment(text)
    assert "".join(words) == text
    assert words[0] == "#" and "#" in words[1:] and "@" in words and words[-1] == "👍"
    assert tiny_model.segment("看 --epochs 和 v2.1.0")[2] == "--epochs"
    assert "v2.1.0" in tiny_model.segment("看 --epochs 和 v2.1.0")


def test_an_email_address_keeps_its_at_sign():
    text = "写信给a.b@example.com"
    assert standalone_spans(text) == [(3, len(text))]  # the address is a word of its own, its @ inside it


def test_user_words_match_in_either_script():
    from tagger.userdict import UserDict
    words = UserDict(["臺灣大學"])
    assert words.find("我在台湾大学读书") == [(2, 6)]
    assert UserDict(["台湾大学"]).find("我在臺灣大學讀書") == [(2, 6)]


def test_a_bracket_or_quote_the_model_never_saw_reads_as_a_known_one_of_its_kind():
    from tagger.encode import Encoder
    from tagger.vocab import Vocab, stand_ins
    known = set("()“”《》")
    table = stand_ins(known.__contains__)
    assert (table["【"], table["】"], table["「"], table["«"], table["»"]) == ("(", ")", "(", "“", "”")
    assert not known & set(table)                      # a known mark stays itself
    assert stand_ins({"《", "》"}.__contains__)["【"] == "《"  # the first stand-in the model knows
    assert stand_ins(set().__contains__) == {}         # none known: nothing is replaced
    encoder = Encoder(Vocab(["(", ")", "转"]), None)
    assert encoder.seen("【转】") == "(转)" and encoder.seen("[转]") == "(转)"
    assert encoder.encode("【转】").chars == encoder.encode("(转)").chars
    batch = encoder.encode_batch(["【转】x", "(转)x"])
    assert (batch.chars[0] == batch.chars[1]).all()
