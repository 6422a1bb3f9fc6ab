import pytest

from tagger.metrics import score


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
