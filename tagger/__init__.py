"""tagger: sequence labeling for Chinese: word segmentation, POS tagging and named entities.

    import tagger
    tagger.lcut("我喜欢苹果")          # default model, shipped in the package, loaded lazily
    seg = tagger.load("my.model")      # load once, segment many
    seg.segment_lines(lines)

The module-level functions follow jieba's (cut, lcut, cut_for_search, tokenize, add_word,
load_userdict, ...); see tagger/api.py. `tagger.posseg` follows jieba.posseg with the shipped
joint segmentation + POS model, `tagger.analyse` jieba.analyse's keyword extraction. For code
written against jieba, `tagger.install_as_jieba()` makes `import jieba` give tagger.
`tagger.ner(text)` gives the named entities (PER, LOC, ORG, TIME) of the shipped NER model.
"""
from __future__ import annotations

from .version import __version__

_SHIPPED_NAMES = {"DEFAULT_MODEL": "default", "POS_MODEL": "pos", "FAST_MODEL": "fast", "NER_MODEL": "ner"}

from .api import (Tokenizer, add_word, cut, cut_for_search, cut_series, del_word, dt,  # noqa: E402
                  initialize, lcut, lcut_for_search, load_userdict, tokenize)
from .named import ner  # noqa: E402


def __getattr__(name: str):
    """Heavier entry points load on first use, so `import tagger` stays fast: `load` and the
    shipped models' paths (DEFAULT_MODEL, ...) come from tagger/modelio.py."""
    if name == "load":
        from .modelio import load
        return load
    if name in _SHIPPED_NAMES:
        from .modelio import SHIPPED
        return SHIPPED[_SHIPPED_NAMES[name]]
    if name == "cross_validate":
        from .cv import cross_validate
        return cross_validate
    if name == "install_as_jieba":
        from .jieba_compat import install_as_jieba
        return install_as_jieba
    if name == "analyse":
        import importlib
        return importlib.import_module(".analyse", __name__)  # `from . import` would recurse here
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")


__all__ = ["cross_validate", "install_as_jieba", "analyse", "__version__", "DEFAULT_MODEL", "POS_MODEL", "FAST_MODEL",
           "NER_MODEL", "load", "ner",
           "Tokenizer", "dt", "cut", "lcut", "cut_for_search",
           "lcut_for_search", "tokenize", "load_userdict", "add_word", "del_word", "initialize", "cut_series"]
