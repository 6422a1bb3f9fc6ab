"""Keyword extraction, jieba.analyse's, on tagger's words and POS tags.

    import tagger.analyse
    tagger.analyse.extract_tags(text, topK=10)                 # TF-IDF with jieba's IDF table
    tagger.analyse.extract_tags(text, allowPOS=("ns", "n"))    # filtered by tagger.posseg's tags
    tagger.analyse.textrank(text, topK=10)                     # TextRank over n, ns, vn, v

These are jieba's own extractors (jieba.analyse.TFIDF and TextRank, unchanged), given tagger's
tokenizers where jieba's take `jieba.dt` and `jieba.posseg.dt`: words come from `tagger.dt`
(its user words included) and POS tags from `tagger.posseg.dt`, whose PKU tags are the ones
jieba's `allowPOS` names. Importing this module imports jieba.analyse, which reads jieba's IDF
table (about a second).
"""
from __future__ import annotations

import copy
import os

from . import api, posseg
from .errors import TaggerError
from .jieba_aliases import real_jieba

_jieba_analyse = real_jieba("jieba.analyse")
_jieba_tfidf = real_jieba("jieba.analyse.tfidf")  # the module: jieba.analyse.tfidf names a function


def _existing_file(path: str | os.PathLike, what: str) -> str:
    """The absolute path, or a one-line error (jieba raises a bare Exception)."""
    absolute = os.path.abspath(path)
    if not os.path.isfile(absolute):
        raise TaggerError(f"{path}: no such {what} file")
    return absolute


class TFIDF(_jieba_analyse.TFIDF):
    """jieba's TF-IDF keyword extractor over tagger's tokenizers (the defaults: tagger.dt and
    tagger.posseg.dt; any `Tokenizer` / `POSTokenizer` may be given)."""

    def __init__(self, idf_path: str | os.PathLike | None = None, tokenizer: api.Tokenizer | None = None,
                 postokenizer: posseg.POSTokenizer | None = None):
        if idf_path is None:
            self._share_default_idf()
        else:
            super().__init__(_existing_file(idf_path, "IDF"))
        self.tokenizer = api.dt if tokenizer is None else tokenizer
        self.postokenizer = posseg.dt if postokenizer is None else postokenizer

    def _share_default_idf(self) -> None:
        """jieba's own __init__, but with the IDF table jieba.analyse read on import rather than
        a second reading of it (half a second and some 40 MB each)."""
        self.stop_words = self.STOP_WORDS.copy()
        self.idf_loader = copy.copy(_jieba_analyse.default_tfidf.idf_loader)  # a new path replaces its table
        self.idf_freq, self.median_idf = self.idf_loader.get_idf()

    def set_idf_path(self, idf_path: str | os.PathLike) -> None:
        """Use another IDF table (`word idf` lines, UTF-8); a bad file leaves the current one."""
        path = _existing_file(idf_path, "IDF")
        try:
            loader = _jieba_tfidf.IDFLoader(path)
        except (UnicodeDecodeError, ValueError):
            raise TaggerError(f"{idf_path}: not an IDF table (UTF-8 lines of `word idf`)") from None
        self.idf_loader = loader
        self.idf_freq, self.median_idf = loader.get_idf()

    def set_stop_words(self, stop_words_path: str | os.PathLike) -> None:
        """Add the words of a file, one a line, UTF-8, to the stop words."""
        _add_stop_words(super(), stop_words_path)


class TextRank(_jieba_analyse.TextRank):
    """jieba's TextRank keyword extractor over a tagger POS tokenizer (tagger.posseg.dt by
    default)."""

    def __init__(self, postokenizer: posseg.POSTokenizer | None = None):
        super().__init__()
        self.tokenizer = self.postokenizer = posseg.dt if postokenizer is None else postokenizer

    def set_stop_words(self, stop_words_path: str | os.PathLike) -> None:
        """Add the words of a file, one a line, UTF-8, to the stop words."""
        _add_stop_words(super(), stop_words_path)


def _add_stop_words(extractor, path: str | os.PathLike) -> None:
    """jieba's set_stop_words with one-line errors for a missing or non-UTF-8 file."""
    absolute = _existing_file(path, "stop words")
    try:
        extractor.set_stop_words(absolute)
    except UnicodeDecodeError:
        raise TaggerError(f"{path}: stop words must be UTF-8") from None


default_tfidf = TFIDF()
default_textrank = TextRank()

extract_tags = tfidf = default_tfidf.extract_tags
set_idf_path = default_tfidf.set_idf_path
textrank = default_textrank.extract_tags


def set_stop_words(stop_words_path: str | os.PathLike) -> None:
    """Add stop words for both extractors, as jieba.analyse.set_stop_words does."""
    default_tfidf.set_stop_words(stop_words_path)
    default_textrank.set_stop_words(stop_words_path)
