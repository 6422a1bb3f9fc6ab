"""Tokens kept whole, whatever the model says: one rule for every text the pipeline segments.

Two kinds, found in one left-to-right scan of a whitespace-free run:

- **words of their own** (never split inside, a word boundary at each end): URLs (any
  `scheme://` and `www.`), e-mail addresses, command-line options at the start of a run
  (`--epochs`, `-v`, `--lr=0.1`), paths from `/`, `./`, `../` or `~/`, @mentions and #hashtags
  of Latin letters, digits and `_` (`@tagger_dev`, `#NLProc`); and `#`, `@` (ASCII or full
  width) and each emoji with its modifiers, zero-width joins and flags. A Chinese mention or
  hashtag keeps the NLPCC 2016 Weibo corpus's convention, the sign a word of its own and the
  name segmented (`# 成都 美食 #`, `@ 头条 新闻`): where `@张三你好` ends its name, the
  characters alone cannot tell.
- **runs kept whole** (never split inside, their edges free, so the model may still join them
  with a neighbour: `B超`, `卡拉OK`): Latin letters and digits (ASCII or full width) joined by
  `.`, `,`, `:`, `_`, `-`, `/` or `\\`, which keeps numbers (`3.14`, `1,000`), versions
  (`v2.1.0`), relative paths (`src/train.py`) and identifiers (`snake_case`, `std::vector`,
  `C++`) whole.

The scan costs time linear in the text, however long a token is: every pattern that could
rescan a run from each of its characters starts only where a run starts (a look-behind), or
reads a bounded number of characters (a URL scheme).
The decoder applies these as constraints (tagger/decode.py's masks), not as post-editing.
"""
from __future__ import annotations

import re
from typing import NamedTuple

ALNUM = r"A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"  # ASCII and full-width letters and digits
_CJK_STOPS = r"\u3000-\u303f\uff01-\uff0c\uff1a-\uff20\u4e00-\u9fff"  # CJK text and punctuation end a URL
_URL_END = r".,;:!?)\]}'"  # ASCII punctuation that ends a sentence, not a URL, when it comes last
_PATH = r"A-Za-z0-9._~+%@=\-"  # characters of a path segment
_EMOJI = r"[\U0001F000-\U0001FAFF\u2600-\u27BF]"

_TOKENS = re.compile(
    rf"(?P<url>(?<![A-Za-z0-9+.\-])(?:[A-Za-z][A-Za-z0-9+.\-]{{0,30}}://|www\.)"
    rf"[^\s<>\"{_CJK_STOPS}]*[^\s<>\"{_CJK_STOPS}{_URL_END}])"
    r"|(?P<email>(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
    rf"|(?P<option>(?<!\S)--?[A-Za-z][A-Za-z0-9_\-]*+(?:=[{ALNUM}._/:\-]+)?)"
    rf"|(?P<path>(?<![{_PATH}/\\])(?:~|\.\.?)?/[{_PATH}]+(?:/[{_PATH}]*)*(?<!\.))"
    r"|(?P<mention>(?<![A-Za-z0-9_.@])@[A-Za-z0-9_][A-Za-z0-9_\-]*+)"
    r"|(?P<hashtag>(?<![A-Za-z0-9_&#])#[A-Za-z_][A-Za-z0-9_]*+)"
    rf"|(?P<run>[{ALNUM}]++(?:[.,:_\-/\\\uff0e\uff0c\uff1a]++[{ALNUM}]++)*+(?:\+\+)?)"
    r"|(?P<sign>[#@\uff03\uff20])"
    rf"|(?P<emoji>[\U0001F1E6-\U0001F1FF]{{2}}|{_EMOJI}(?:[\uFE0F\U0001F3FB-\U0001F3FF]|\u200D{_EMOJI}\uFE0F?)*)"
)
RUN = "run"  # the one kind whose edges stay free
# Every token above holds one of these (a letter or digit, a sign, a slash or an emoji); most
# lines of Chinese text hold none, and a search for one is 30 times faster than the scan.
_TOKEN_SEEDS = re.compile(rf"[{ALNUM}#@\uff03\uff20/]|{_EMOJI}")


class Tokens(NamedTuple):
    """(start, end) spans of one text, in order and never overlapping."""
    runs: list[tuple[int, int]]    # kept whole, edges free (two or more characters)
    words: list[tuple[int, int]]   # words of their own


def find_tokens(text: str) -> Tokens:
    """The tokens of `text` that the decoder keeps whole (see the module's docstring)."""
    runs, words = [], []
    if not _TOKEN_SEEDS.search(text):
        return Tokens(runs, words)
    for match in _TOKENS.finditer(text):
        if match.lastgroup != RUN:
            words.append(match.span())
        elif match.end() - match.start() > 1:
            runs.append(match.span())
    return Tokens(runs, words)


def atomic_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each token of two or more characters that must not be split inside."""
    tokens = find_tokens(text)
    return sorted(span for span in [*tokens.runs, *tokens.words] if span[1] - span[0] > 1)


def standalone_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each token that must be a word of its own."""
    return find_tokens(text).words
