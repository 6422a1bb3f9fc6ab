"""NER building blocks: scheme round trips, transition rules, entity F1 on hand cases."""
import itertools

from hypothesis import given, strategies as st

from tagger.entities import allowed, entity_score, spans_to_tags, tags_to_spans


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
