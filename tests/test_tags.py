from hypothesis import given, strategies as st

from tagger.tags import SCHEMES, scheme_from_dict, scheme_to_dict, tags_to_words, transition_rules, words_to_tags
from tagger.tasks import Sample, Task

def is_valid(tags, scheme: str = "BMES") -> bool:
    """Can the tags be read back as they are, by the scheme's transition rules?"""
    s = SCHEMES[scheme]
    return not tags or (s.starts(tags[0]) and s.ends(tags[-1]) and all(map(s.follows, tags, tags[1:])))


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


spans_of = st.lists(st.tuples(st.integers(1, 4), st.sampled_from(["", "n", "PER"])), max_size=8)


@given(st.sampled_from(sorted(SCHEMES)), spans_of)
def test_every_scheme_reads_back_its_own_tags(name, pieces):
    """tags(spans) -> spans(tags) is the identity, and the tags obey the scheme's own rules."""
    scheme, spans, start = SCHEMES[name], [], 0
    for length, lab in pieces:
        if scheme.segments or lab:  # entities carry a label; words cover the text
            spans.append((start, start + length, lab if scheme.typed else ""))
        start += length + (0 if scheme.segments else 1)
    tags = scheme.tags(start, spans)
    assert len(tags) == start and scheme.spans(tags) == spans
    assert is_valid(tags, name)
    assert set(tags) <= set(scheme.tag_set(sorted({lab for *_, lab in spans})))


def test_transition_rules_take_a_scheme_or_its_name():
    tags = SCHEMES["BIOES"].tag_set(["PER"])
    assert transition_rules(tags, "BIOES") == transition_rules(tags, SCHEMES["BIOES"])
    allowed, start, end = transition_rules(tags, "BIOES")
    assert not allowed[tags.index("B-PER")][tags.index("O")] and not start[tags.index("I-PER")]


def test_scheme_saved_by_name_and_old_files_read_by_task():
    for task in ("seg", "pos", "ner"):
        scheme = Task(task).scheme
        assert scheme_from_dict(scheme_to_dict(scheme), "seg") is scheme
        assert scheme_from_dict(None, task) is scheme  # a file from before schemes were saved
    assert Task("seg").scheme.name == "BMES" and Task("pos").scheme.typed and not Task("ner").segments


def test_a_task_takes_another_scheme():
    """A task is a scheme plus a metric: NER with BIO tags needs no change to tasks.py."""
    task = Task("ner", scheme=SCHEMES["BIO"])
    sample = Sample("张三在北京", [(0, 2, "PER"), (3, 5, "LOC")])
    assert task.tags(sample) == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]
    assert task.tag_set([sample]) == ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")
    assert task.spans(sample.text, task.tags(sample)) == sample.spans
