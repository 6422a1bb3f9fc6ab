"""Tokens kept whole (tagger/tokens.py) whatever their length, found in linear time, and the
pipeline that keeps them whole across its chunks without dropping or altering a character."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.chunks import MAX_CHUNK, chunk_cuts, split_long
from tagger.tokens import atomic_spans, find_tokens


def words_of(text: str) -> list[str]:
    return [text[a:b] for a, b in find_tokens(text).words]


def test_the_kinds_of_words_of_their_own():
    assert words_of("见https://example.com/a?b=1&c=%E4。") == ["https://example.com/a?b=1&c=%E4"]
    assert words_of("visit https://x.org/p, or git+ssh://host/repo.git.") == ["https://x.org/p",
                                                                                "git+ssh://host/repo.git"]
    assert words_of("写信给a.b+c@mail.example.com吧") == ["a.b+c@mail.example.com"]
    assert words_of("配置在/etc/hosts和~/.bashrc及./run.sh、../data/x.txt里") == \
        ["/etc/hosts", "~/.bashrc", "./run.sh", "../data/x.txt"]
    assert words_of("@tagger_dev说#NLProc很好") == ["@tagger_dev", "#NLProc"]
    assert words_of("python train.py --epochs 10 -v --lr=0.001") == ["--epochs", "-v", "--lr=0.001"]


def test_chinese_mentions_and_hashtags_keep_the_weibo_convention():
    assert words_of("#成都美食#@头条新闻👍") == ["#", "#", "@", "👍"]
    assert words_of("ping@alice") == ["@"]  # a sign inside a word is not a mention


def test_runs_keep_their_edges_free():
    text = "升级到v2.1.0版本，C++和std::vector，中国-东盟"
    tokens = find_tokens(text)
    assert [text[a:b] for a, b in tokens.runs] == ["v2.1.0", "C++", "std::vector"] and tokens.words == []
    text = "访问https://example.com/a?b=1后在2024年买iPhone15和3.5公斤"
    found = [text[a:b] for a, b in atomic_spans(text)]
    assert found == ["https://example.com/a?b=1", "2024", "iPhone15", "3.5"]


ADVERSARIAL = ["a+" * 50_000, "%" * 100_000, "a@" * 50_000, "@a" * 50_000, "#a" * 50_000, "/" * 100_000,
               "http://" + "." * 100_000, "a.b@" + "c." * 50_000, "ab#" * 33_000, "-" * 100_000, "a:" * 50_000]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=[repr(t[:6]) for t in ADVERSARIAL])
def test_the_scan_is_linear_on_long_runs(text):
    started = time.perf_counter()
    find_tokens(text)
    assert time.perf_counter() - started < 2.0  # quadratic rescans took 29-48 s on the first two


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("中文，。！a1Ｚ９#@＃＠/~.-_:\\+%=&😂👍🏻\u200d\ufe0f★ \u3000【】")), max_size=30))
def test_the_quick_check_misses_no_token(text):
    """find_tokens skips the scan of a text without a letter, digit, sign, slash or emoji: the
    scan itself finds none in such a text either."""
    from tagger.tokens import _TOKENS, RUN
    runs = [m.span() for m in _TOKENS.finditer(text) if m.lastgroup == RUN and m.end() - m.start() > 1]
    words = [m.span() for m in _TOKENS.finditer(text) if m.lastgroup != RUN]
    assert find_tokens(text) == (runs, words)


def test_a_long_token_is_cut_inside_only_where_it_must():
    text = "好" * 100 + "https://x.org/" + "a" * 150 + "。" + "好" * 100
    url = find_tokens(text).words[0]
    cuts = chunk_cuts(text, MAX_CHUNK, [url])
    assert cuts and all(not url[0] < cut < url[1] for cut in cuts)  # moved back to the URL's start
    assert "".join(split_long(text, whole=[url])) == text
    assert chunk_cuts("a" * 1_000, 200, [(0, 1_000)]) == [200, 400, 600, 800]  # no way round it


def test_a_run_without_sentence_ends_is_cut_at_a_break_when_one_is_near():
    text = "好" * 500
    assert chunk_cuts(text) == [200, 400]
    assert chunk_cuts(text, breaks=[30, 120, 180, 250, 390]) == [180, 250, 390]  # the last in each window
    assert chunk_cuts("好" * 150 + "。" + "好" * 300, breaks=[170, 320]) == [151, 320]  # a sentence end first
    assert chunk_cuts(text, breaks=[10, 30]) == [200, 400]  # none past a quarter of the window


def test_a_long_line_of_spaced_runs_keeps_its_names_whole():
    import tagger
    line = " ".join(["江泽民在北京会见了世界银行行长"] * 30)  # 30 runs of 15, no sentence end
    found = tagger.ner(line)
    assert [e[3] for e in found] == ["江泽民", "北京", "世界银行"] * 30


@pytest.fixture(scope="module")
def segmenter():
    import tagger
    return tagger.load(threads=1)


@pytest.mark.parametrize("token", ["https://example.com/" + "path/" * 60 + "?q=" + "x" * 50,
                                   "user." + "n" * 300 + "@example.com", "/usr/" + "lib/" * 80 + "x.so",
                                   "--" + "option-" * 40 + "=1", "@" + "u" * 300, "#" + "Tag" * 100])
def test_long_tokens_come_out_whole(segmenter, token):
    texts = [f"请看 {token} 谢谢。", token, f"他说： {token}，好的。" * 2]
    if not token.startswith("-"):  # an option only starts a whitespace-separated piece
        texts += [f"请看{token}谢谢。", f"他说：{token}，好的。" * 2]
    for text in texts:
        words = segmenter.segment(text)
        assert "".join(words) == text and token in words, [w for w in words if len(w) > 30]
    spans = segmenter.label_lines([f"请看 {token}谢谢"])[0]
    assert (3, 3 + len(token), "") in spans


def test_a_100k_character_url_is_one_word_in_linear_time(segmenter):
    url = "https://example.com/" + "".join(f"seg{i}/" for i in range(20_000))[:100_000]
    text = f"链接：{url}。"
    started = time.perf_counter()
    words = segmenter.segment(text)
    seconds = time.perf_counter() - started
    assert words[words.index(url) - 1:] == ["：", url, "。"] and "".join(words) == text
    short = "https://example.com/" + "a" * 10_000
    started = time.perf_counter()
    segmenter.segment(f"链接：{short}。")
    assert seconds < 30 * max(time.perf_counter() - started, 0.05)  # ten times the text, not 100 times the time


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["好", "的", "。", "!", "?", "a", "1", ".", "/", "@", "#", "-", ":", "%", "~", "_",
                                 "https://", "www.", "x@y.com", "--", "😀", "\u200d", "\ud7ff", "\U0010ffff"]),
                max_size=200).map("".join))
def test_segmentation_never_drops_or_alters_a_character(segmenter, text):
    for line in [text, text * 3]:
        assert "".join(segmenter.segment(line)) == line
