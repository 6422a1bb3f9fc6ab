"""The labeling pipeline: one network interface for every engine, one sentence-end rule, the
jieba-style calls over a loaded `Tagger`."""
import pytest
from hypothesis import given, strategies as st

import tagger
from tagger.ensemble import MeanOfModels
from tagger.errors import TaggerError
from tagger.modelio import load_model, save_model
from tagger.chunks import split_long
from tagger.pipeline import Network
from tagger.spanviews import words_of
from tagger.sentences import CLOSERS, FINALS, SENTENCE_END, split_words


@pytest.fixture(scope="module")
def engines(tiny_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("pipeline") / "m.model"
    save_model(tiny_model, path)
    return {"torch": load_model(path), "numpy": load_model(path, engine="numpy")}


def test_every_engine_is_a_network_and_moves_without_probing(engines):
    networks = [t.model for t in engines.values()]
    for network in networks + [MeanOfModels(networks)]:
        assert isinstance(network, Network)
    assert engines["torch"].to("cpu").device == "cpu"
    with pytest.raises(TaggerError, match="CPU only"):
        engines["numpy"].to("cuda")
    with pytest.raises(TaggerError, match="CPU only"):
        MeanOfModels([engines["numpy"].model] * 2).to("cuda")


def test_segmentation_is_a_view_over_the_spans(engines):
    lines = ["我们喜欢苹果。  他是学生", "", "   ", "北京" * 150]
    model = engines["torch"]
    for line, spans, words in zip(lines, model.label_lines(lines), model.segment_lines(lines)):
        assert words == words_of(line, spans) and "".join(words) == line
        assert all(not line[s:e].isspace() for s, e, _ in spans)


def test_the_engines_agree(engines):
    lines = ["我们喜欢苹果。", "他是北京的学生，ABC12。"]
    assert engines["numpy"].segment_lines(lines) == engines["torch"].segment_lines(lines)


def test_lcut_is_segment_and_a_stream_of_file_lines_has_no_line_ends(tiny_model, tmp_path):
    text = "我们喜欢苹果香蕉"
    assert tiny_model.lcut(text) == tiny_model.segment(text) and "".join(tiny_model.lcut(text)) == text
    path = tmp_path / "in.txt"
    path.write_bytes("我们喜欢苹果\n\n他是学生 。\r\n北京\n".encode("utf-8"))
    with open(path, encoding="utf-8", newline="") as f:  # newline="": "\r\n" as the file has it
        streamed = list(tiny_model.iter_segment(f))
    assert streamed == tiny_model.segment_lines(["我们喜欢苹果", "", "他是学生 。", "北京"])
    assert streamed[1] == [] and all("\n" not in word and "\r" not in word for words in streamed for word in words)


def test_tokenizer_over_a_loaded_tagger_passes_the_standard_on(tiny_model):
    tokenizer = tagger.Tokenizer(tiny_model)
    assert tokenizer.lcut("我们喜欢苹果") == tiny_model.segment("我们喜欢苹果")
    with pytest.raises(TaggerError, match="unknown standard 'pku'"):
        tokenizer.lcut("我们喜欢苹果", standard="pku")
    with pytest.raises(TaggerError, match="unknown standard 'msr'"):
        tagger.Tokenizer(tiny_model, standard="msr").lcut("我们")


WORDS = st.lists(st.sampled_from(["我们", "喜欢", "苹果", "好！", "。", "！", "？", ";", "……", "”", "》", "）", "了"]),
                 max_size=30)


@given(WORDS)
def test_training_cuts_a_paragraph_where_inference_cuts_a_run(words):
    pieces = split_words(words)
    assert [w for piece in pieces for w in piece] == words and all(pieces)
    text = "".join(words)
    ends = {m.end() for m in SENTENCE_END.finditer(text)}
    cuts, at = set(), 0
    boundaries = set()
    for piece in pieces:
        at += len("".join(piece))
        cuts.add(at)
    for i in range(len(words) + 1):
        boundaries.add(len("".join(words[:i])))
    assert cuts - {len(text)} == (ends & boundaries) - {len(text)}


def test_one_rule_of_finals_and_closers():
    assert "》" in CLOSERS and ";" in FINALS and "…" in FINALS
    assert split_words(["他", "说", "：", "“", "好", "。", "”", "》", "我们"]) == \
        [["他", "说", "：", "“", "好", "。", "”", "》"], ["我们"]]
    text = "我们喜欢苹果" * 10 + "。”" + "他是学生" * 40
    assert split_long(text, limit=100)[0] == "我们喜欢苹果" * 10 + "。”"
