"""NER building blocks: scheme round trips, transition rules, entity F1 and error regions on hand cases."""

from hypothesis import given, strategies as st

from tagger.entities import ErrorRegion, entity_errors, entity_score, format_entity_errors
from tagger.tags import allowed, spans_to_tags, tags_to_spans


@st.composite
def span_sets(draw):
    length = draw(st.integers(0, 12))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)))
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        if draw(st.booleans()):
            spans.append((a, b, draw(st.sampled_from(["PER", "LOC", "ORG"]))))
    return length, spans


@given(span_sets(), st.sampled_from(["BIO", "BIOES"]))
def test_scheme_round_trip(case, scheme):
    length, spans = case
    tags = spans_to_tags(length, spans, scheme)
    assert tags_to_spans(tags) == spans
    path = ["<s>"] + tags + ["</s>"]
    assert all(allowed(a, b, scheme) for a, b in zip(path, path[1:]))


def test_known_tags_and_iob1():
    assert spans_to_tags(5, [(0, 2, "PER"), (3, 4, "LOC")]) == ["B-PER", "E-PER", "O", "S-LOC", "O"]
    assert tags_to_spans(["I-ORG", "I-ORG", "O", "I-PER"]) == [(0, 2, "ORG"), (3, 4, "PER")]  # IOB1
    assert tags_to_spans(["B-LOC", "M-LOC", "E-LOC"]) == [(0, 3, "LOC")]  # Resume's BMES


def test_transition_rules():
    assert not allowed("O", "I-PER", "BIOES") and not allowed("B-PER", "I-LOC", "BIOES")
    assert not allowed("B-PER", "O", "BIOES") and not allowed("I-PER", "</s>", "BIOES")
    assert allowed("B-PER", "E-PER", "BIOES") and allowed("E-PER", "B-LOC", "BIOES")
    assert not allowed("O", "I-PER", "BIO") and allowed("B-PER", "O", "BIO")


def test_entity_f1_hand_case():
    gold = [[(0, 2, "PER"), (3, 5, "LOC")], [(1, 2, "ORG")]]
    pred = [[(0, 2, "PER"), (3, 4, "LOC")], [(1, 2, "ORG"), (4, 6, "PER")]]
    result = entity_score(gold, pred)
    # correct 2 (PER, ORG) of 4 predicted and 3 gold: P 0.5, R 2/3, F1 4/7
    assert abs(result.f1 - 4 / 7) < 1e-9
    assert result.by_type()["LOC"] == (0.0, 0.0, 0.0)
    assert result.by_type()["ORG"] == (1.0, 1.0, 1.0)


def test_ner_readers(tmp_path):
    from tagger.tags import tags_to_spans
    from tagger.readers import read_msra_ner
    from tagger.rowreaders import read_columns
    resume = tmp_path / "r.bmes"
    resume.write_text("高 B-NAME\n勇 E-NAME\n： O\n\n中 S-LOC\n", encoding="utf-8")
    rows = list(read_columns(resume))
    assert rows[0] == (["高", "勇", "："], ["B-NAME", "E-NAME", "O"])
    assert tags_to_spans(rows[0][1]) == [(0, 2, "NAME")]
    conll = tmp_path / "eng.train"
    conll.write_text("-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n", encoding="utf-8")
    assert list(read_columns(conll)) == [(["EU", "rejects"], ["I-ORG", "O"])]
    msra = tmp_path / "m.txt"
    msra.write_text("我/o 在/o 北京/ns 见到/o 江泽民/nr\n", encoding="utf-8")
    chars, spans = next(read_msra_ner(msra))
    assert "".join(chars) == "我在北京见到江泽民" and spans == [(2, 4, "LOC"), (6, 9, "PER")]


def test_error_regions_have_one_kind_each():
    text = "江泽民李鹏在北京会见世界银行行长"
    gold = [(0, 3, "PER"), (3, 5, "PER"), (6, 8, "LOC"), (10, 14, "ORG")]
    output = [(0, 5, "PER"), (6, 8, "ORG"), (8, 10, "PER"), (10, 12, "LOC")]
    regions = entity_errors([text], [gold], [output])
    assert regions == {
        ErrorRegion("boundary", "江泽民/PER 李鹏/PER", "江泽民李鹏/PER"): 1,
        ErrorRegion("type", "北京/LOC", "北京/ORG"): 1,
        ErrorRegion("spurious", "", "会见/PER"): 1,
        ErrorRegion("boundary and type", "世界银行/ORG", "世界/LOC"): 1}
    assert format_entity_errors(regions, 1).splitlines()[0] == (
        "error regions: 4 (missed: 0; spurious: 1; type: 1; boundary: 1; boundary and type: 1)")


@given(span_sets(), span_sets())
def test_every_error_is_in_one_region(gold_case, output_case):
    (_, gold), (_, output) = gold_case, output_case
    text = "x" * 12
    regions = entity_errors([text], [gold], [output])
    missed_gold = sum(c * len(r.gold.split()) for r, c in regions.items())
    false_output = sum(c * len(r.output.split()) for r, c in regions.items())
    assert missed_gold == len(set(gold) - set(output))
    assert false_output == len(set(output) - set(gold))
    assert all((r.kind == "missed") == (not r.output) and (r.kind == "spurious") == (not r.gold) for r in regions)
