"""The spaCy tokenizer: found through the entry point, text kept exactly, POS in tag_, saved
pipelines that load without the original model file."""
from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

spacy = pytest.importorskip("spacy")

import tagger  # noqa: E402
import tagger.modelio  # noqa: E402
from tagger.errors import TaggerError  # noqa: E402
from tagger.spacy_tokenizer import TaggerTokenizer, words_and_spaces  # noqa: E402

TEXTS = ["我们在北京大学研究生命的起源。", "  他说 Hello  world\t你好 \n", "", " ", "中文 English 混合。 ",
         "２０２４年，北京。" * 40]


def blank(**options):
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tagger.Tokenizer.v1", **options}}})


@pytest.fixture(scope="module")
def nlp():
    return blank()


@pytest.fixture(scope="module")
def pos_nlp():
    return blank(pos=True)


def test_the_config_route_finds_the_tokenizer_and_gives_taggers_words(nlp):
    assert isinstance(nlp.tokenizer, TaggerTokenizer)
    assert nlp.config["nlp"]["tokenizer"]["@tokenizers"] == "tagger.Tokenizer.v1"
    for text in TEXTS:
        doc = nlp(text)
        assert [t.text for t in doc if not t.is_space] == [w for w in tagger.lcut(text) if not w.isspace()]


def test_doc_text_is_the_input_with_spaces_as_spacy_keeps_them(nlp):
    for text in TEXTS:
        doc = nlp(text)
        assert doc.text == text
        assert "".join(t.text_with_ws for t in doc) == text
    doc = nlp("他说 Hello  world")
    assert [(t.text, t.whitespace_) for t in doc][-4:] == [("说", " "), ("Hello", " "), (" ", ""), ("world", "")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text("ab中", min_size=1, max_size=3), st.text(" \t\n\u3000", min_size=1, max_size=3)),
                max_size=12))
def test_words_and_spaces_is_spacys_own_alignment(pieces):
    """Tokens as tagger gives them (maximal whitespace runs between non-space words) map to the
    words and spaces `spacy.util.get_words_and_spaces` finds by searching the text."""
    tokens: list[str] = []
    for piece in pieces:  # merge neighbours of one kind, as tagger's whitespace runs are maximal
        if tokens and tokens[-1].isspace() and piece.isspace():
            tokens[-1] += piece
        else:
            tokens.append(piece)
    text = "".join(tokens)
    words, spaces, origins = words_and_spaces(tokens)
    assert (words, spaces) == tuple(spacy.util.get_words_and_spaces(tokens, text))
    assert all(tokens[i].endswith(w) for i, w in zip(origins, words))


def test_pipe_batches_and_gives_the_same_docs(nlp):
    one_by_one = [[t.text for t in nlp(text)] for text in TEXTS]
    assert [[t.text for t in doc] for doc in nlp.tokenizer.pipe(TEXTS, batch_size=2)] == one_by_one


def test_pos_fills_tag_from_the_pos_model(pos_nlp):
    text = "我们在北京大学研究生命的起源。 他说  你好"
    doc = pos_nlp(text)
    assert doc.text == text
    segmenter = tagger.load(tagger.POS_MODEL)
    spans = segmenter.label_lines([text])[0]
    assert [(t.text, t.tag_) for t in doc if not t.is_space] == [(text[s:e], label) for s, e, label in spans]
    assert {t.tag_ for t in doc if t.is_space} == {"_SP"}
    assert "ns" in {t.tag_ for t in doc} or "nt" in {t.tag_ for t in doc}


def test_user_dictionary_words_stay_whole_and_their_tags_win(tmp_path):
    words = tmp_path / "user.txt"
    words.write_text("起源的 5 nz\n", encoding="utf-8")
    text = "研究生命的起源的故事"
    assert "起源的" not in [t.text for t in blank()(text)]
    assert "起源的" in [t.text for t in blank(user_dict=str(words))(text)]
    tagged = blank(user_dict=str(words), pos=True)(text)
    assert ("起源的", "nz") in [(t.text, t.tag_) for t in tagged]


def test_round_trip_through_disk_carries_the_model_and_user_words(tmp_path, pos_nlp):
    model = tmp_path / "my.model"
    shutil.copyfile(tagger.POS_MODEL, model)
    nlp = blank(model=str(model), pos=True)
    nlp.tokenizer.tagger.user_dict.add("生命的起源", tag="nz")
    text = "我们研究生命的起源。  你好"
    before = [(t.text, t.tag_, t.whitespace_) for t in nlp(text)]
    assert ("生命的起源", "nz", "") in before
    nlp.to_disk(tmp_path / "pipeline")
    model.unlink()  # the saved pipeline must not need the original file
    assert (tmp_path / "pipeline" / "tokenizer" / "tagger.model").is_file()
    loaded = spacy.load(tmp_path / "pipeline")
    assert isinstance(loaded.tokenizer, TaggerTokenizer)
    assert [(t.text, t.tag_, t.whitespace_) for t in loaded(text)] == before
    loaded.to_disk(tmp_path / "pipeline")  # saving over itself keeps the model it reads
    assert [(t.text, t.tag_) for t in spacy.load(tmp_path / "pipeline")(text)] == [b[:2] for b in before]


def test_round_trip_through_bytes(nlp):
    data = nlp.to_bytes()
    other = blank(model="/no/such/file.model").from_bytes(data)
    assert [t.text for t in other(TEXTS[1])] == [t.text for t in nlp(TEXTS[1])]


def test_standard_option_reaches_the_segmenter_and_unknown_ones_fail_in_one_line(nlp):
    segmenter = nlp.tokenizer.tagger
    assert nlp.tokenizer.segmenter is segmenter  # the older name of the same property
    for standard in segmenter.standards[:2]:  # each pipeline loads the model: two show it reaches it
        doc = blank(standard=standard)(TEXTS[0])
        assert [t.text for t in doc] == segmenter.segment_lines([TEXTS[0]], standard=standard)[0]
    with pytest.raises(TaggerError, match="unknown standard 'nope'"):
        blank(standard="nope")("你好")


def test_a_model_that_does_not_segment_is_refused(monkeypatch):
    from tagger.tasks import Task
    entities = tagger.load()
    entities.task = Task("ner")  # what an NER model file loads as
    monkeypatch.setattr(tagger.modelio, "load", lambda path=None, **options: entities)
    with pytest.raises(TaggerError, match="a ner model; the spaCy tokenizer needs one that segments"):
        blank()("你好")
    with pytest.raises(TaggerError, match="word/POS output needs a joint"):
        blank(pos=True)("你好")
