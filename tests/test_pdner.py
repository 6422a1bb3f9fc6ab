"""People's Daily 1998's own tags read as entities, and NER trained on two corpora as two standards."""
from __future__ import annotations

import pytest

from tagger.pdner import pd1998_entities
from tagger.readers import read_items, read_pd1998

from .ner_corpora import tiny_ner_corpora

LINE = ("19980101-01-001-006/m  １９９８年/t  １月/t  １日/t  ，/w  江/nr  泽民/nr  在/p  "
        "[中央/n  电视台/n]nt  、/w  [香港/ns  特别/a  行政区/n]ns  和/c  [中国/ns  国际/n  航空/n]nz  "
        "、/w  北京/ns  上海/ns  讲话/v  。/w")


def entities(line: str) -> list[tuple[str, str]]:
    from tagger.readers import _parse_pd1998_ner_line
    chars, spans = _parse_pd1998_ner_line(line)
    text = "".join(chars)
    return [(text[s:e], kind) for s, e, kind in spans]


def test_pd1998_tags_become_entities_by_the_documented_rules():
    assert entities(LINE) == [
        ("１９９８年１月１日", "TIME"),   # adjacent time words join
        ("江泽民", "PER"),               # surname and given name join
        ("中央电视台", "ORG"),           # a compound tagged nt is one organization
        ("香港特别行政区", "LOC"),       # a compound tagged ns is one place
        ("中国", "LOC"),                 # a compound of another tag keeps its words' own tags
        ("北京", "LOC"), ("上海", "LOC"),  # adjacent places stay two
    ]


def test_entities_lie_on_the_text_and_never_overlap():
    chars, spans = pd1998_entities([("张", "nr"), ("三", "nr"), ("与", "c"), ("李四", "nr"), ("今天", "t")])
    assert "".join(chars) == "张三与李四今天"
    assert spans == [(0, 2, "PER"), (3, 5, "PER"), (5, 7, "TIME")]
    ends = [0] + [e for _, e, _ in spans]
    assert all(start >= previous for (start, _, _), previous in zip(spans, ends))


def test_the_ner_reading_yields_one_item_per_paragraph_as_segmentation_does(tmp_path):
    """The carved dev and test splits count paragraphs: both readings must count the same ones."""
    path = tmp_path / "pd.txt"
    path.write_text(LINE + "\n\n19980101-01-001-007/m  好/a  。/w\n", encoding="utf-8")
    ner = list(read_items(path, "pd1998", "ner"))
    assert len(ner) == len(list(read_pd1998(path))) == 2
    assert "".join(ner[1][0]) == "好。" and ner[1][1] == []


def test_a_list_of_names_without_separators_stays_a_list_of_names():
    pairs = [("江", "nr"), ("泽民", "nr"), ("李", "nr"), ("鹏", "nr"), ("克林顿", "nr"), ("叶利钦", "nr"),
             ("欧阳", "nr"), ("修", "nr"), ("泽民", "nr"), ("同志", "n")]
    chars, spans = pd1998_entities(pairs)
    text = "".join(chars)
    assert [text[s:e] for s, e, _ in spans] == ["江泽民", "李鹏", "克林顿", "叶利钦", "欧阳修", "泽民"]


def test_a_malformed_paragraph_names_file_and_line(tmp_path):
    path = tmp_path / "pd.txt"
    path.write_text("19980101-01-001-001/m  [中央/n  电视台/n\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"pd\.txt.*1"):
        list(read_items(path, "pd1998", "ner"))


def test_two_entity_corpora_train_one_model_with_a_standard_each(tmp_path):
    """MSRA NER has no TIME and PD 1998 has: as two standards, the model tags times under PD's."""
    from tagger.cli import main
    from tagger.modelio import load_model
    msra, pd = tiny_ner_corpora(tmp_path)
    model = tmp_path / "ner.model"
    assert main(["train", f"{msra},{pd}", "-o", str(model), "--hidden", "24", "--char-dim", "16",
                 "--bigram-dim", "8", "--lr", "0.02", "--epochs", "10", "--batch-chars", "600",
                 "--task", "ner", "--quiet", "--no-plot", "--threads", "1", "--no-test"]) == 0
    loaded = load_model(model)
    assert loaded.task.name == "ner" and set(loaded.standards) >= {"msra", "pd"}
    text = "１９９８年１月，张三在北京人民银行工作。"
    labels = {standard: {s["label"] for s in loaded.tag(text, standard=standard)} for standard in ("msra", "pd")}
    assert labels["pd"] == {"TIME", "PER", "LOC", "ORG"}
    assert labels["msra"] == {"PER", "LOC", "ORG"}


def test_keeping_the_most_frequent_bigrams_leaves_a_model_that_loads_and_labels(tiny_model, tmp_path):
    """The rarest bigrams read as unknown: the file shrinks, the output stays lossless."""
    from scripts.data.keep_bigrams import keep_bigrams
    from tagger.modelio import load_model, read_payload, save_model, write_payload
    full = tmp_path / "full.model"
    save_model(tiny_model, full)
    payload = read_payload(full)
    count = len(payload["vocab"]["bigrams"]) // 2
    write_payload(keep_bigrams(payload, count), tmp_path / "kept.model")
    kept = load_model(tmp_path / "kept.model")
    assert len(kept.encoder.bigrams) == count and (tmp_path / "kept.model").stat().st_size < full.stat().st_size
    text = "我们在北京研究生命的起源。"
    assert "".join(kept.segment(text)) == text
    with pytest.raises(Exception, match="keep between 3"):
        keep_bigrams(read_payload(full), 2)


def test_the_shared_standard_learns_times_only_from_the_corpus_that_tags_them(tmp_path, capsys):
    """MSRA NER tags no times: where its sentences train `mixed`, their O characters stay open
    (tagger/partial.py), so four MSRA sentences to one PD sentence do not teach `mixed` that a
    date is O. Read as gold O, they did: `mixed` then found no time here."""
    from tagger.cli import main
    from tagger.modelio import load_model
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    msra, _ = tiny_ner_corpora(tmp_path / "a", n=600, seed=1)
    _, pd = tiny_ner_corpora(tmp_path / "b", n=150, seed=2)
    model = tmp_path / "ner.model"
    assert main(["train", f"{msra},{pd}", "-o", str(model), "--hidden", "24", "--char-dim", "16",
                 "--bigram-dim", "8", "--lr", "0.02", "--epochs", "10", "--batch-chars", "600",
                 "--task", "ner", "--no-plot", "--threads", "1", "--no-test"]) == 0
    assert "partial labels: msra tags no TIME" in capsys.readouterr().err
    loaded = load_model(model)
    for text in ("１９９８年１月，张三在北京人民银行工作。", "２００１年５月，李四在上海中央电视台学习。"):
        labels = {standard: {s["label"] for s in loaded.tag(text, standard=standard)} for standard in ("msra", "mixed")}
        assert labels == {"msra": {"PER", "LOC", "ORG"}, "mixed": {"TIME", "PER", "LOC", "ORG"}}
