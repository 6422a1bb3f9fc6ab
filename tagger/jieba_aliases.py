"""jieba's module names in `sys.modules`: which of them tagger stands in for, jieba's own modules
that tagger displaced, and how to reach those while tagger stands in their place.

The lowest layer of the jieba shim: `tagger.api` (full mode, byte decoding) and `tagger.analyse`
(jieba's extractors) build on jieba's own code through `real_jieba`, and `tagger.jieba_compat`
registers tagger under jieba's names (`install_as_jieba`). Nothing here imports those modules,
so the shim has no import circle.
"""
from __future__ import annotations

import importlib
import sys
import threading
import types

ALIASES = {"jieba": "tagger.jieba_compat", "jieba.posseg": "tagger.posseg", "jieba.analyse": "tagger.analyse"}

# jieba's own modules that the aliases displaced from sys.modules. A module of its own, so that
# reload(jieba), which runs tagger.jieba_compat again, keeps them: losing them would import a
# second copy of jieba.
displaced: dict[str, types.ModuleType] = {}
swapping = threading.RLock()


def is_alias(module) -> bool:
    """Whether a sys.modules entry is tagger standing in for jieba."""
    return getattr(module, "__name__", None) in ALIASES.values() or isinstance(module, LazyModule)


def displace_jieba() -> None:
    """Keep jieba's own modules that are in sys.modules now, before tagger takes their names."""
    for name in ALIASES:
        module = sys.modules.get(name)
        if module is not None and not is_alias(module):
            displaced[name] = module


def real_jieba(name: str = "jieba") -> types.ModuleType:
    """jieba's own module `name` ("jieba", "jieba.posseg", "jieba.analyse"), even while tagger
    stands in sys.modules in its place: for the parts of jieba that tagger builds on."""
    with swapping:
        aliases = {alias: sys.modules.pop(alias) for alias in ALIASES
                   if alias in sys.modules and is_alias(sys.modules[alias])}
        sys.modules.update({alias: displaced[alias] for alias in aliases if alias in displaced})
        try:
            return importlib.import_module(name)
        finally:
            for alias in aliases:
                if alias in sys.modules:
                    displaced[alias] = sys.modules[alias]
            sys.modules.update(aliases)


class LazyModule(types.ModuleType):
    """A stand-in in sys.modules that imports its target on first attribute use and passes
    every attribute through: `import jieba.analyse` must not pay for reading jieba's IDF table
    in a program that never extracts keywords."""

    def __init__(self, name: str, target: str):
        super().__init__(name)
        self._target = target

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._target), attribute)

    def __dir__(self):
        return dir(importlib.import_module(self._target))
