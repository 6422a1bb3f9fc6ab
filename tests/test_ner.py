"""The shipped NER model where users reach it: `tagger tag`, `tagger.ner`, `load("ner")`, spaCy's
doc.ents and the service's /tag; Traditional text, URLs and mentions; lossless spans."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tagger
from tagger.cli import main
from tagger.entity_guard import outside_spans, sign_edges
from tagger.tokens import find_tokens
from tagger.spacy_tokenizer import split_at

from .conftest import cli_in_fresh_process

SENTENCE = "１９９８年１月５日，江泽民在北京会见了世界银行行长。"
TRADITIONAL = "１９９８年１月５日，江澤民在北京會見了世界銀行行長。"
ENTITIES = [(0, 9, "TIME", "１９９８年１月５日"), (10, 13, "PER", "江泽民"), (14, 16, "LOC", "北京"),
            (19, 23, "ORG", "世界银行")]


@pytest.fixture(scope="module")
def model():
    return tagger.load("ner")


def test_tag_without_a_model_finds_a_person_a_place_an_organization_and_a_time(tmp_path, capsys):
    path = tmp_path / "in.txt"
    path.write_text(SENTENCE + "\n", encoding="utf-8")
    assert main(["tag", str(path), "--threads", "1"]) == 0
    spans = json.loads(capsys.readouterr().out)["spans"]
    assert {s["label"] for s in spans} == {"PER", "LOC", "ORG", "TIME"}
    assert [(s["start"], s["end"], s["label"], s["text"]) for s in spans] == tagger.ner(SENTENCE)


def test_tag_of_a_small_file_runs_without_torch_and_as_torch_does(tmp_path, capsys):
    """A sentence should not pay torch's import (about a second and 200 MB): a small file runs
    on the numpy engine, with the entities the torch engine gives in float32."""
    path = tmp_path / "in.txt"
    path.write_text(SENTENCE + "\n" + TRADITIONAL + "\n", encoding="utf-8")
    lines, imported_torch = cli_in_fresh_process(["tag", str(path), "--threads", "1"])
    assert not imported_torch
    assert main(["tag", str(path), "--threads", "1", "--engine", "torch", "--precision", "float32"]) == 0
    assert capsys.readouterr().out.splitlines() == lines


def test_ner_gives_start_end_type_text(model):
    assert model.task.name == "ner"
    assert tagger.ner(SENTENCE) == ENTITIES == model.entities(SENTENCE)


def test_a_traditional_sentence_gets_the_entities_of_its_simplified_twin():
    assert len(TRADITIONAL) == len(SENTENCE)
    assert [e[:3] for e in tagger.ner(TRADITIONAL)] == [e[:3] for e in ENTITIES]


@pytest.mark.parametrize("opening, closing", ["【】", "〔〕", "「」", "[]", "〖〗"])
def test_brackets_the_model_never_saw_give_the_entities_of_ones_it_knows(model, opening, closing):
    """A bracket missing from the model's characters reads as one it knows (Encoder.known_marks):
    an unknown character reads as <unk>, like the rare characters of names, and `【转】` was
    tagged a person."""
    known = "（转）" + SENTENCE
    unknown = opening + "转" + closing + SENTENCE
    assert model.entities(unknown) == model.entities(known)
    assert [e[:3] for e in model.entities(unknown)] == [(s + 3, e + 3, label) for s, e, label, _ in ENTITIES]


def test_no_entity_cuts_into_a_url_an_address_a_mention_or_a_hashtag():
    text = "@北京日报 报道：#上海# 世界银行 https://www.beijing.gov.cn/北京 li@beijing.edu.cn"
    kept = [span for span in outside_spans(text, find_tokens(text)) if span[1] - span[0] > 1]
    assert [text[s:e] for s, e in kept] == ["@北京日报", "#上海#", "https://www.beijing.gov.cn/", "li@beijing.edu.cn"]
    found = tagger.ner(text)
    assert ("世界银行", "ORG") in [(e[3], e[2]) for e in found]
    assert not [e for e in found for s, t in kept if e[0] < t and s < e[1]]


def test_words_between_spaces_are_read_together_and_no_entity_crosses_a_space(model):
    """Read run by run, each name lost the words around it (MSRA NER dev with a space after
    every word: 0.850, against 0.931 as it is)."""
    spaced = "１９９８年１月５日， 江泽民 在 北京 会见 了 世界银行 行长 。"
    found = model.entities(spaced)
    assert [e[2:] for e in found] == [e[2:] for e in ENTITIES]
    assert all(spaced[s:e] == text for s, e, _, text in found)
    assert all(" " not in text for *_, text in model.entities("李 明在 北 京工作，世界 银行"))


def test_no_entity_begins_or_ends_on_punctuation_or_a_symbol(model):
    """Signs the model rarely saw read as names (`~~` alone was tagged a person 570 times on
    MSRA NER's dev text with `~~` after each comma); brackets may still hold an entity's edge."""
    text = SENTENCE.replace("，", "，~~").replace("。", "~~。→★")
    assert [e[2:] for e in model.entities(text)] == [e[2:] for e in ENTITIES]
    assert sign_edges("~~北京《人民日报》二○○二年”") == ([0, 1, 9, 15], [0, 1, 4])


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("江泽民北京世界银行在年月日张三的~～→★—…、·%￥《》（）“”○×")), max_size=40))
def test_entity_edges_are_never_signs(text):
    for start, stop, _, piece in tagger.ner(text):
        assert piece[0] not in "~～→★—…、·%￥》）”" and piece[-1] not in "~～→★—…、·%￥《（“"


TEXT = st.text(alphabet=st.sampled_from(list("江泽民北京上海世界银行在年月日１９８张三的。，@#: \nhttps/.comab") + ["\u3000"]),
               max_size=60)


@settings(max_examples=60, deadline=None)
@given(TEXT)
def test_spans_lie_on_the_text_inside_their_line_and_never_overlap(text):
    found = tagger.ner(text)
    end = 0
    for start, stop, _, piece in found:
        assert end <= start < stop <= len(text) and text[start:stop] == piece
        assert "\n" not in piece and not piece[0].isspace() and not piece[-1].isspace()
        end = stop


@pytest.mark.parametrize("at", [198, 199])
def test_a_name_across_a_cut_in_text_without_sentence_ends_is_found_whole(model, at):
    """A run of over 200 characters with no sentence end is cut mid-sentence (tagger/chunks.py);
    an entity model's chunks overlap there, so a name at the cut is read whole."""
    filler = "大家认真学习文件精神并且积极参加各项活动" * 20
    text = filler[:at] + "江泽民在北京会见了世界银行行长" + filler[:120]
    assert [e[2:] for e in model.entities(text) if e[0] >= at - 1] == [e[2:] for e in ENTITIES[1:]]


def test_overlapping_chunks_answer_for_their_own_part_only():
    from tagger.chunks import owned_spans, windows
    text = "甲" * 450 + "。" + "乙" * 100  # cuts at 200 and 400 are blind, the one after 。 is not
    assert windows(text, [200, 400, 451], context=50) == [
        (0, 250, 0, 200), (150, 450, 200, 400), (350, 451, 400, 451), (451, 551, 451, 551)]
    # the first chunk saw 张三 whole across 200; the second saw it cut ("三" at its own start)
    assert owned_spans([((0, 200), [(199, 201, "PER")]), ((200, 400), [(200, 201, "PER"), (230, 232, "LOC")]),
                        ((400, 451), [(380, 382, "ORG")]), (None, [(460, 462, "LOC")])]) == [
        (199, 201, "PER"), (230, 232, "LOC"), (460, 462, "LOC")]


LONG_TEXT = st.text(alphabet=st.sampled_from(list("江泽民北京上海世界银行在年月日张三的，a1") + [" ", "。"]),
                    min_size=150, max_size=700)


@settings(max_examples=25, deadline=None)
@given(LONG_TEXT)
def test_spans_of_long_lines_cut_into_overlapping_chunks_stay_lossless(text):
    end = 0
    for start, stop, _, piece in tagger.ner(text):
        assert end <= start < stop <= len(text) and text[start:stop] == piece and " " not in piece
        end = stop


def test_split_at_cuts_tokens_at_entity_edges_and_keeps_every_character():
    pairs = [("我们", "r"), ("北京大学", "nt"), (" ", None), ("好", "a")]
    assert list(split_at(pairs, {2, 4, 9})) == [("我们", "r"), ("北京", "nt"), ("大学", "nt"), (" ", None),
                                               ("好", "a")]


def test_spacy_ents_equal_tagger_ner(tmp_path):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tagger.Tokenizer.v1", "ner": True}}})
    for text in (SENTENCE, TRADITIONAL, "他说 Hello  world，１９９８年 北京大学。"):
        doc = nlp(text)
        assert doc.text == text
        assert [(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents] == tagger.ner(text)
    nlp.to_disk(tmp_path / "pipeline")
    again = spacy.load(tmp_path / "pipeline")
    assert [(e.start_char, e.end_char, e.label_, e.text) for e in again(SENTENCE).ents] == tagger.ner(SENTENCE)


def test_the_service_tags_entities_by_default():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from tagger.serve import create_app
    with TestClient(create_app(pos_model=False, threads=1, allowed_hosts=("testserver",))) as client:
        assert client.get("/health").json()["tag_model"] == "ner.model"
        spans = client.post("/tag", json={"texts": [SENTENCE]}).json()["spans"][0]
    assert [(s["start"], s["end"], s["label"], s["text"]) for s in spans] == ENTITIES


def _msra_gold(path):
    """The test sentence in MSRA NER's own format, which tags no times."""
    path.write_text("１９９８年１月５日，/o 江泽民/nr 在/o 北京/ns 会见/o 了/o 世界银行/nt 行长/o 。/o\n",
                    encoding="utf-8")
    return str(path)


def test_evaluate_types_leaves_out_the_types_a_gold_does_not_tag(tmp_path, capsys):
    gold = _msra_gold(tmp_path / "msra.txt")
    every, some = tmp_path / "every.json", tmp_path / "some.json"
    assert main(["evaluate", "ner", gold, "--format", "msra", "--threads", "1", "--json", str(every)]) == 0
    assert main(["evaluate", "ner", gold, "--format", "msra", "--threads", "1", "--json", str(some),
                 "--types", "PER,LOC,ORG"]) == 0
    every, some = (json.loads(p.read_text(encoding="utf-8")) for p in (every, some))
    assert every["precision"] == pytest.approx(3 / 4)  # the time counts against it
    assert some["f1"] == 1.0 and some["types"] == ["PER", "LOC", "ORG"]


def test_evaluate_top_errors_counts_a_ner_model_s_error_regions_by_kind(tmp_path, capsys):
    gold = tmp_path / "msra.txt"  # 北京 called an organization, 世界银行 left untagged
    gold.write_text("江泽民/nr 在/o 北京/nt 会见/o 了/o 世界银行/o 行长/o 。/o\n", encoding="utf-8")
    report = tmp_path / "report.json"
    assert main(["evaluate", "ner", str(gold), "--format", "msra", "--threads", "1", "--top-errors", "5",
                 "--json", str(report)]) == 0
    assert "error regions: 2 (missed: 0; spurious: 1; type: 1;" in capsys.readouterr().out
    scores = json.loads(report.read_text(encoding="utf-8"))
    assert scores["error_kinds"]["type"] == 1 and scores["error_kinds"]["spurious"] == 1
    assert {"kind": "type", "gold": "北京/ORG", "output": "北京/LOC", "count": 1} in scores["errors"]


def test_compare_of_ner_models_takes_types(tmp_path):
    from tagger.significance import compare
    gold = _msra_gold(tmp_path / "msra.txt")
    report = compare("ner", "ner", gold, "msra", threads=1, draws=100, types=["PER", "LOC", "ORG"])
    assert report.scores["f1_a"] == report.scores["f1_b"] == 1.0


@pytest.mark.parametrize("args, message", [
    (["ner", "--types", "PER,DATE"], "--types DATE: the model tags LOC, ORG, PER, TIME"),
    (["default", "--types", "PER"], "--types scores some entity types only: it needs a NER model"),
])
def test_evaluate_types_refuses_a_type_the_model_lacks_or_a_segmenter(tmp_path, capsys, args, message):
    gold = _msra_gold(tmp_path / "msra.txt")
    assert main(["evaluate", args[0], gold, "--format", "msra", *args[1:]]) == 1
    assert capsys.readouterr().err.strip().endswith(message)
