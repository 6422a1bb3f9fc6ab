"""A jieba-compatible front end: `Tokenizer` and the module-level functions built on it.

    import tagger as jieba          # the calls below keep working
    jieba.lcut("我来到北京清华大学")
    jieba.add_word("清华大学")
    jieba.tokenize("永和服装饰品有限公司")

(`tagger.install_as_jieba()` goes further: unchanged `import jieba` code runs on tagger.)

Each `Tokenizer` holds its own model, user dictionary and lexicon; the module functions use one
shared default `Tokenizer` (`tagger.dt`), whose model is loaded on first use.

The model decides the words of the default mode. The lexicon (the model's training words and
its feature dictionary, or a dictionary file given with `set_dictionary`, plus the user words)
serves what in jieba is a dictionary lookup: full mode (`cut_all=True`) lists the lexicon words
found in the text, and search mode adds the known 2- and 3-character parts of long words.
"""
from __future__ import annotations

import functools
import os
import threading
from typing import Iterable, Iterator

from .errors import TaggerError
from .metrics import spans
from .userdict import Lexicon, UserDict, dictionary_file_words, words_dictionary
from .vocab import normalize


class LazyModel:
    """A model file loaded on first use, once, even with several threads asking at once, with
    a user dictionary that can be filled before the model is loaded (and shared with another).

    Why: `import tagger` and jieba-style module functions must not pay for loading a model that
    a program may never use (jieba loads its dictionary lazily too)."""

    def __init__(self, model=None, user_dict: UserDict | None = None):
        """model: a model file (None: the shipped model), or a loaded `tagger.pipeline.Tagger`,
        which then shares this object's user dictionary."""
        loaded = not isinstance(model, (str, os.PathLike, type(None)))
        self.model_path = None if loaded else model
        self.user_dict = UserDict() if user_dict is None else user_dict
        self._tagger = None
        self._lock = threading.Lock()
        if loaded:
            if user_dict is None:
                self.user_dict = model.user_dict
            model.user_dict = self.user_dict
            self._tagger = model

    @property
    def tagger(self):
        """The loaded `Tagger` (of any task, not only segmentation), loaded on first use."""
        if self._tagger is None:
            with self._lock:
                if self._tagger is None:
                    tagger = self._load()
                    tagger.user_dict = self.user_dict
                    self._tagger = tagger
        return self._tagger

    segmenter = tagger  # the same property under the name older code used

    def _load(self):
        from .modelio import load
        return load(self.model_path)

    def initialize(self) -> None:
        """Load the model now rather than on first use (jieba.initialize)."""
        _ = self.tagger

    def load_userdict(self, f: str | os.PathLike | Iterable) -> None:
        """Add the words of a jieba-format file (`word [freq] [tag]` lines; path or open file)."""
        self.user_dict.load(f)

    def add_word(self, word: str, freq: int | str | None = None, tag: str | None = None) -> None:
        """Keep `word` whole wherever it occurs (the decoder is held to it)."""
        self.user_dict.add(as_text(word), freq, tag)

    def del_word(self, word: str) -> None:
        """Forget a user word (the model may still produce it on its own)."""
        self.user_dict.remove(as_text(word))


class Tokenizer(LazyModel):
    """jieba.Tokenizer's interface over a tagger model (the shipped one by default).

    model: the tagger model file that segments (None: the shipped model).
    dictionary: a jieba-format dictionary file (`word [freq] [tag]` lines, jieba's dict.txt
    included) that replaces the lexicon, as jieba's main dictionary is replaced: full mode and
    search mode then know exactly its words and the user words, not the model's. It does not
    force its words on the default mode: the model segments, as jieba's frequencies choose
    among readings there rather than dictate them. To force words, load them as a user
    dictionary (`load_userdict`). Its frequencies and tags are not used.
    """

    def __init__(self, model=None, dictionary: str | os.PathLike | None = None, standard: str | None = None):
        super().__init__(model)
        self.standard = standard  # the standard of a multi-criteria model that calls without one follow
        self.dictionary: str | None = None
        self._lexicon: Lexicon | None = None
        self._lexicon_lock = threading.Lock()
        self._full_mode = None
        if dictionary is not None:
            self.set_dictionary(dictionary)

    def set_dictionary(self, dictionary_path: str | os.PathLike) -> None:
        """Use this jieba-format dictionary file as the lexicon (see the class docstring). The
        file must exist now; it is read on the first use of full or search mode."""
        path = os.path.abspath(dictionary_path)
        if not os.path.isfile(path):
            raise TaggerError(f"{dictionary_path}: no such dictionary file")
        with self._lexicon_lock:
            self.dictionary = path
            self._lexicon = None

    def initialize(self, dictionary: str | os.PathLike | None = None) -> None:
        """Load the model now rather than on first use; with a dictionary, set it first."""
        if dictionary is not None:
            self.set_dictionary(dictionary)
        super().initialize()

    @property
    def lexicon(self) -> Lexicon:
        """The words of full and search mode, indexed on first use, once."""
        if self._lexicon is None:
            with self._lexicon_lock:
                if self._lexicon is None:
                    self._lexicon = self._build_lexicon()
        return self._lexicon

    def _build_lexicon(self) -> Lexicon:
        """The dictionary file's words, or the model's: its training words (but for runs of
        ASCII letters, digits and signs, which full mode keeps whole: a corpus's numbers, such
        as PKU's `１２`, would only cut them into pieces) and its feature dictionary's."""
        if self.dictionary is not None:
            return Lexicon.of_words(dictionary_file_words(self.dictionary), self.user_dict)
        tagger = self.tagger
        sources = [words_dictionary(word for word in tagger.lexicon if not normalize(word, False).isascii())]
        features = getattr(tagger.encoder, "dictionary", None)
        if features is not None:
            sources.append(features)  # stored normalized; Lexicon only counts exact matches
        return Lexicon(sources, self.user_dict)

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802
        """jieba's DAG over the lexicon: for each position k, the ends j (inclusive) of the
        lexicon words sentence[k:j + 1], k itself always among them."""
        return self.lexicon.dag(require_text(sentence))

    def cut(self, sentence: str | bytes, cut_all: bool = False, HMM: bool = True,  # noqa: N803
            use_paddle: bool = False, standard: str | None = None) -> Iterator[str]:
        """Words of `sentence`, as a generator: the model's, or with cut_all=True jieba's full
        mode, every lexicon word found in the text (overlapping), with runs of letters and digits
        kept whole. Bytes are decoded as jieba does. HMM and use_paddle are accepted and ignored:
        the model finds new words, which is what jieba's HMM is for. `standard`: the
        segmentation standard a multi-criteria model follows (default: the Tokenizer's, else
        the model's own default)."""
        sentence = as_text(sentence)
        if cut_all:
            return self._full_mode_tokenizer().cut(require_text(sentence), cut_all=True)
        return (word for word in self._words(sentence, standard))

    def _words(self, text: str, standard: str | None) -> list[str]:
        return self.tagger.segment(text, standard if standard is not None else self.standard)

    def _full_mode_tokenizer(self):
        if self._full_mode is None:
            self._full_mode = full_mode_class()(self)
        return self._full_mode

    def lcut(self, sentence: str | bytes, cut_all: bool = False, HMM: bool = True,  # noqa: N803
             use_paddle: bool = False, standard: str | None = None) -> list[str]:
        return list(self.cut(sentence, cut_all, standard=standard))

    def cut_for_search(self, sentence: str | bytes, HMM: bool = True,  # noqa: N803
                       standard: str | None = None) -> Iterator[str]:
        """Like jieba's: each word, preceded, when longer, by its 2- and then 3-character parts
        that are lexicon words."""
        return (word for word, _, _ in self._tokens(require_text(as_text(sentence)), True, standard))

    def lcut_for_search(self, sentence: str | bytes, HMM: bool = True,  # noqa: N803
                        standard: str | None = None) -> list[str]:
        return list(self.cut_for_search(sentence, standard=standard))

    def tokenize(self, unicode_sentence: str, mode: str = "default", HMM: bool = True,  # noqa: N803
                 standard: str | None = None) -> Iterator[tuple[str, int, int]]:
        """(word, start, end) tuples, as a generator; mode="search" also gives the lexicon's
        2- and 3-character parts of long words, before the word, as jieba's does."""
        if mode not in ("default", "search"):
            raise TaggerError(f"tokenize mode must be 'default' or 'search', not {mode!r}")
        return self._tokens(require_text(unicode_sentence), mode == "search", standard)

    def _tokens(self, text: str, search: bool, standard: str | None) -> Iterator[tuple[str, int, int]]:
        words = self._words(text, standard)
        tokens = [(word, start, end) for word, (start, end) in zip(words, spans(words))]
        dag = self.lexicon.dag(text) if search and any(end - start > 2 for _, start, end in tokens) else None
        for word, start, end in tokens:
            if dag is not None:
                yield from known_parts(text, dag, start, end)
            yield word, start, end

    def suggest_freq(self, segment: str | tuple[str, ...], tune: bool = False) -> int:
        """jieba's frequency tuning, as a rule: a str is a word to keep whole, a tuple the parts
        to cut its joined text into (wherever it occurs). tune=True adds the rule (a user word
        or a split). The model weighs no frequencies, so there is none to suggest: the number
        returned says what the rule does, 1 for kept whole and 0 for cut."""
        if isinstance(segment, (str, bytes)):
            word = as_text(segment)
            if tune and word not in self.user_dict:
                self.user_dict.add(word)
            return 1
        if tune:
            self.user_dict.add_split([as_text(part) for part in segment])
        return 0

    def get_FREQ(self, word: str, default: int | None = None) -> int | None:  # noqa: N802
        """The frequency a user dictionary gave `word` (0 for a split), else `default`."""
        freq = self.user_dict.frequency(word)
        return default if freq is None else freq

    def cut_series(self, series, standard: str | None = None):
        """pandas: a Series of texts -> a Series of word lists (same index)."""
        return segment_series(self.tagger, series, standard if standard is not None else self.standard)


def segment_series(tagger, series, standard: str | None = None):
    """A pandas Series of texts -> a Series of word lists with the same index, segmented by a
    loaded `Tagger` in one batch.

    Missing values (None, NaN) stay missing, as with pandas' own `.str` methods, rather than
    becoming the word "nan". Any other value that is not text is a TypeError."""
    import pandas as pd
    missing = series.isna().tolist()
    words = iter(tagger.segment_lines([text for text, gap in zip(series, missing) if not gap], standard=standard))
    return pd.Series([text if gap else next(words) for text, gap in zip(series, missing)],
                     index=series.index, name=series.name, dtype=object)


def known_parts(text: str, dag: dict[int, list[int]], start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """(part, start, end) of the lexicon words of 2 and then 3 characters inside the word
    text[start:end] when it is longer, in jieba's search-mode order."""
    for n in (2, 3):
        if end - start > n:
            for i in range(start, end - n + 1):
                if i + n - 1 in dag[i]:
                    yield text[i:i + n], i, i + n


@functools.lru_cache(maxsize=None)
def full_mode_class():
    """jieba.Tokenizer with its DAG taken from a tagger Tokenizer's lexicon: jieba's own
    cut(cut_all=True) over it is jieba's full mode (its block splitting and its walk over the
    DAG, letter and digit runs included) on tagger's words. Made on first use, so that jieba is
    imported only by programs that use full mode."""
    from .jieba_aliases import real_jieba

    class FullMode(real_jieba().Tokenizer):
        def __init__(self, tokenizer: Tokenizer):
            super().__init__()
            self.tagger_tokenizer = tokenizer

        def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802
            return self.tagger_tokenizer.get_DAG(sentence)

    return FullMode


def as_text(sentence):
    """Bytes decoded as jieba decodes them (UTF-8, else GBK); anything else as it is."""
    if isinstance(sentence, (bytes, bytearray)):
        from .jieba_aliases import real_jieba
        return real_jieba().strdecode(bytes(sentence))
    return sentence


def require_text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value


dt = Tokenizer()

cut = dt.cut
lcut = dt.lcut
cut_for_search = dt.cut_for_search
lcut_for_search = dt.lcut_for_search
tokenize = dt.tokenize
load_userdict = dt.load_userdict
add_word = dt.add_word
del_word = dt.del_word
initialize = dt.initialize
set_dictionary = dt.set_dictionary
suggest_freq = dt.suggest_freq
get_FREQ = dt.get_FREQ  # noqa: N816
get_DAG = dt.get_DAG  # noqa: N816
cut_series = dt.cut_series
