import pytest
from hypothesis import given, strategies as st

from tagger.metrics import error_regions, format_errors, score


def test_hand_computed_scores():
    gold = [["我们", "喜欢", "苹果"], ["他", "是", "学生"]]
    pred = [["我们", "喜", "欢", "苹果"], ["他是", "学生"]]
    result = score(gold, pred)
    # correct: 我们, 苹果, 学生 = 3; predicted words 6; gold words 6
    assert result.correct == 3 and result.pred_words == 6 and result.gold_words == 6
    assert result.precision == pytest.approx(0.5)
    assert result.recall == pytest.approx(0.5)
    assert result.f1 == pytest.approx(0.5)


def test_oov_and_iv_recall():
    gold = [["研究", "生命", "起源"]]
    pred = [["研究生", "命", "起源"]]
    result = score(gold, pred, train_words={"研究", "生命"})
    assert result.oov_words == 1 and result.oov_rate == pytest.approx(1 / 3)
    assert result.oov_recall == pytest.approx(1.0)   # 起源 found
    assert result.iv_recall == pytest.approx(0.0)    # 研究 and 生命 missed
    assert result.precision == pytest.approx(1 / 3) and result.recall == pytest.approx(1 / 3)
    assert result.f1 == pytest.approx(1 / 3)


def test_span_match_not_string_match():
    # the word 的 appears twice; only the one at the same position counts
    result = score([["的", "的确"]], [["的的", "确"]])
    assert result.correct == 0


def test_mismatched_lines_are_reported():
    gold = [["好", "的"], ["我们", "走"]]
    pred = [["好", "的"], ["我们", "跑"]]
    result = score(gold, pred)
    assert result.mismatched_lines == [2]
    assert result.correct == 3  # 好, 的, 我们 (aligned by words)


def test_line_count_mismatch_is_an_error():
    with pytest.raises(ValueError, match="lines"):
        score([["a"]], [])


def test_perfect_and_empty():
    assert score([["一", "二"]], [["一", "二"]]).f1 == 1.0
    assert score([[]], [[]]).f1 == 0.0


def test_error_regions_by_hand():
    gold = [["提", "出", "建议"], ["乡", "政府", "罢免", "了"], ["好"]]
    pred = [["提出", "建议"], ["乡政府", "罢", "免", "了"], ["好"]]
    regions = error_regions(gold, pred)
    assert regions == {("提 出", "提出"): 1, ("乡 政府", "乡政府"): 1, ("罢免", "罢 免"): 1}
    # a crossing disagreement is one region, not two
    assert error_regions([["研究", "生命"]], [["研究生", "命"]]) == {("研究 生命", "研究生 命"): 1}


def test_error_regions_skip_lines_whose_characters_differ():
    assert error_regions([["好", "的"]], [["好的的"]]) == {}


def test_format_errors_counts_kinds_and_marks_oov():
    regions = error_regions([["提", "出"], ["罢免"], ["研究", "生命"]], [["提出"], ["罢", "免"], ["研究生", "命"]])
    text = format_errors(regions, 10, train_words={"提", "出", "研究", "提出"})
    assert text.splitlines()[0] == ("error regions: 3 (output joins a gold split: 1, 1 of them into a word "
                                    "the list has; output splits a gold word: 1; other: 1)")
    assert format_errors(regions, 10).startswith("error regions: 3 (output joins a gold split: 1; ")
    assert "0 of them" in format_errors(regions, 10, train_words={"提", "出"})
    assert "罢免*  ->  罢 免" in text and "研究 生命*  ->  研究生 命" in text
    assert len(format_errors(regions, 1).splitlines()) == 2


def _segmentations(text: str):
    """Word lists of `text`, cut wherever a drawn boolean says so."""
    return st.lists(st.booleans(), min_size=len(text) - 1, max_size=len(text) - 1).map(
        lambda cuts: "".join(c + (" " if cut else "") for c, cut in zip(text, cuts + [False])).split())


@given(st.text(alphabet="甲乙丙丁", min_size=1, max_size=12).flatmap(
    lambda text: st.tuples(_segmentations(text), _segmentations(text))))
def test_error_regions_account_for_every_wrong_word(pair):
    gold, pred = pair
    result, regions = score([gold], [pred]), error_regions([gold], [pred])
    assert sum(c * len(g.split()) for (g, _), c in regions.items()) == result.gold_words - result.correct
    assert sum(c * len(p.split()) for (_, p), c in regions.items()) == result.pred_words - result.correct
