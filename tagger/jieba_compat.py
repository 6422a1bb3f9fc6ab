"""jieba's module interface on tagger: what `tagger.install_as_jieba()` puts in jieba's place.

    import tagger
    tagger.install_as_jieba()
    import jieba, jieba.posseg, jieba.analyse      # tagger's, from here on
    jieba.lcut("我来到北京清华大学", cut_all=True)

As `pymysql.install_as_MySQLdb()` does for MySQLdb, `install_as_jieba` registers modules in
`sys.modules` under jieba's names: `jieba` is this module, `jieba.posseg` is `tagger.posseg` and
`jieba.analyse` is `tagger.analyse` (imported on first use: it reads jieba's IDF table). Code
that imported jieba before the call keeps jieba's own modules.

The default tokenizer `jieba.dt` is `tagger.dt`: user words added through either name count for
both, and for `jieba.posseg`, as in jieba. `importlib.reload(jieba)` runs this module again; it
does not reset the user words or the dictionary of `tagger.dt`.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys

from . import api, posseg  # noqa: F401 (posseg: `jieba.posseg` as an attribute)
from .api import (add_word, cut, cut_for_search, del_word, dt, get_DAG, get_FREQ, initialize, lcut,  # noqa: F401
                  lcut_for_search, load_userdict, set_dictionary, suggest_freq, tokenize)
from .jieba_aliases import LazyModule, displace_jieba, real_jieba, swapping  # noqa: F401 (real_jieba: jieba's own)

__version__ = "0.42.1"  # the jieba release whose interface this follows
DEFAULT_DICT = None
default_logger = logging.getLogger("tagger")


class Tokenizer(api.Tokenizer):
    """jieba.Tokenizer's signature: the dictionary comes first (see `tagger.Tokenizer` for what
    it does); the tagger model is the keyword `model`."""

    def __init__(self, dictionary: str | os.PathLike | None = DEFAULT_DICT, model: str | os.PathLike | None = None):
        super().__init__(model, dictionary)


def install_as_jieba() -> None:
    """Register tagger under jieba's module names, so that `import jieba` (and jieba.posseg,
    jieba.analyse) gives tagger: existing jieba code then runs on tagger's model unchanged."""
    with swapping:
        displace_jieba()
        sys.modules["jieba"] = sys.modules[__name__]
        sys.modules["jieba.posseg"] = posseg
        sys.modules["jieba.analyse"] = sys.modules.get("tagger.analyse") or LazyModule("jieba.analyse", "tagger.analyse")


def __getattr__(name: str):
    """`jieba.analyse` as an attribute, imported on first use."""
    if name == "analyse":
        return importlib.import_module("tagger.analyse")
    raise AttributeError(f"module 'jieba' (tagger) has no attribute {name!r}")


def setLogLevel(log_level: int | str) -> None:  # noqa: N802
    """jieba's: sets the level of tagger's logger (tagger logs nothing while segmenting)."""
    default_logger.setLevel(log_level)


def enable_parallel(processnum: int | None = None) -> None:
    """Accepted and ignored: tagger already segments in batches. For several processes over a
    file, `tagger segment --jobs N` (tagger.parallel) keeps the order and bounds the memory."""


def disable_parallel() -> None:
    """Accepted and ignored (see enable_parallel)."""
