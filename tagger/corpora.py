"""Named corpora, looked up under the `TAGGER_CORPORA` directory (see corpora/README.md).

A name stands for a benchmark: where its training text is, how its dev split is carved, what
its test set and training word list are. A path works wherever a name does.

Dev splits carved from training text are deterministic: sentence number i (0-based, counting
the sentences the reader yields) goes to dev when i % 20 == 19, so 5% of the text, spread
evenly through the corpus. Everything else is training text. A corpus with no test set of its
own (PD 1998 as a POS benchmark, MSRA NER's missing dev aside) also has a test split carved the
same way: i % 20 == 9.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Sequence

from .errors import TaggerError
from .readers import Words, default_task, read_items, sniff_format
from .textlines import BadLines

ENV_VAR = "TAGGER_CORPORA"
DEV_EVERY = 20


@dataclass(frozen=True)
class Part:
    """One part of a corpus: a file, its format, and which slice of it (all, train or dev)."""

    path: str
    fmt: str
    slice: str = "all"  # all | train (carved dev removed) | dev | test | rest (dev and test removed)
                        # | no_test (test removed)
    align: Optional[str] = None  # a training word list whose word boundaries the text is brought to


@dataclass(frozen=True)
class Corpus:
    name: str
    train: Part
    dev: Part
    test: Part
    words: Optional[str] = None  # the bakeoff's training word list, for OOV figures
    task: str = "seg"            # what the benchmark measures (seg, pos, ner)
    units: str = "chars"         # "words" for English (word-level models)


def _carved(path: str, fmt: str, align: Optional[str] = None) -> tuple[Part, Part]:
    return Part(path, fmt, "train", align), Part(path, fmt, "dev", align)


def _carved_with_test(path: str, fmt: str) -> tuple[tuple[Part, Part], Part]:
    return (Part(path, fmt, "rest"), Part(path, fmt, "dev")), Part(path, fmt, "test")


def _registry() -> dict[str, dict]:
    return {
        "pku": dict(train=_carved("pd1998/199801.txt", "pd1998"),
                    test=Part("sighan2005/pku_test_gold.utf8", "segmented"),
                    words="sighan2005/pku_training_words.utf8"),
        # PD 1998-01 with its word boundaries brought to the bakeoff's training word list (tagger/align.py)
        "pku-aligned": dict(train=_carved("pd1998/199801.txt", "pd1998", "sighan2005/pku_training_words.utf8"),
                            test=Part("sighan2005/pku_test_gold.utf8", "segmented"),
                            words="sighan2005/pku_training_words.utf8"),
        "msr": dict(train=_carved("msra_ner/train.txt", "msra"),
                    test=Part("sighan2005/msr_test_gold.utf8", "segmented"),
                    words="sighan2005/msr_training_words.utf8"),
        "ctb6": dict(train=(Part("ctb6/ctb6.train.seg", "segmented"), Part("ctb6/ctb6.dev.seg", "segmented")),
                     test=Part("ctb6/ctb6.test.seg", "segmented")),
        "weibo": dict(train=_carved("nlpcc2016_weibo/nlpcc2016-word-seg-train.dat", "segmented"),
                      test=Part("nlpcc2016_weibo/nlpcc2016-wordseg-dev.dat", "segmented")),
        "ud": dict(train=(Part("ud_chinese/train.conll", "conll"), Part("ud_chinese/dev.conll", "conll")),
                   test=Part("ud_chinese/test.conll", "conll")),
        # tagging benchmarks
        "pd1998": dict(zip(("train", "test"), _carved_with_test("pd1998/199801.txt", "pd1998")), task="pos"),
        "ud-pos": dict(train=(Part("ud_chinese/train.conll", "conll"), Part("ud_chinese/dev.conll", "conll")),
                       test=Part("ud_chinese/test.conll", "conll"), task="pos"),
        "resume": dict(train=(Part("resume_ner/train.char.bmes", "columns"),
                              Part("resume_ner/dev.char.bmes", "columns")),
                       test=Part("resume_ner/test.char.bmes", "columns"), task="ner"),
        "msra-ner": dict(train=_carved("msra_ner/train.txt", "msra"), test=Part("msra_ner/test_with_label.txt", "msra"),
                         task="ner"),
        # PD 1998's own tags as entities (tagger/pdner.py); dev and test carved as for pd1998
        "pd1998-ner": dict(zip(("train", "test"), _carved_with_test("pd1998/199801.txt", "pd1998")), task="ner"),
        "conll2003": dict(train=(Part("conll2003_en/eng.train", "columns"), Part("conll2003_en/eng.testa", "columns")),
                          test=Part("conll2003_en/eng.testb", "columns"), task="ner", units="words"),
    }


NAMES = tuple(_registry())


def corpora_root() -> Path:
    root = os.environ.get(ENV_VAR)
    if not root:
        raise TaggerError(f"corpus names need the {ENV_VAR} environment variable "
                          "(the directory holding the corpora); or pass a file path")
    return Path(root)


def get_corpus(name: str) -> Corpus:
    """The named benchmark with its paths resolved under $TAGGER_CORPORA."""
    spec = _registry().get(name)
    if spec is None:
        raise TaggerError(f"unknown corpus {name!r}; known: {', '.join(NAMES)}")
    root = corpora_root()

    def resolve(part: Part) -> Part:
        full = root / part.path
        if not full.is_file():
            raise TaggerError(f"{full}: corpus file not found (is {ENV_VAR} right?)")
        return replace(part, path=str(full), align=str(root / part.align) if part.align else None)

    train, dev = spec["train"]
    words = str(root / spec["words"]) if spec.get("words") else None
    return Corpus(name, resolve(train), resolve(dev), resolve(spec["test"]), words, spec.get("task", "seg"),
                  spec.get("units", "chars"))


def is_dev_index(index: int) -> bool:
    """The carve-out rule: sentence number `index` (0-based) belongs to the dev split."""
    return index % DEV_EVERY == DEV_EVERY - 1


def is_test_index(index: int) -> bool:
    """Sentence `index` belongs to a carved test split (corpora without a test set of their own)."""
    return index % DEV_EVERY == DEV_EVERY // 2 - 1


_SLICES = {
    "all": lambda i: True,
    "train": lambda i: not is_dev_index(i),
    "dev": is_dev_index,
    "test": is_test_index,
    "rest": lambda i: not is_dev_index(i) and not is_test_index(i),
    "no_test": lambda i: not is_test_index(i),
}


def carve(sentences: Sequence[Words]) -> tuple[list[Words], list[Words]]:
    """(train, dev) of an in-memory list, by the same rule as carved corpus parts."""
    train = [s for i, s in enumerate(sentences) if not is_dev_index(i)]
    dev = [s for i, s in enumerate(sentences) if is_dev_index(i)]
    return train, dev


def read_part(part: Part, bad: BadLines | None = None, task: str = "seg") -> Iterator:
    """Sentences of one corpus part as the task reads them, applying the deterministic carve-outs.

    With `bad`, malformed lines are recorded there and skipped instead of raising.
    """
    keep = _SLICES[part.slice]
    align = _aligner(part.path, part.fmt, part.align, bad is not None) if part.align and task == "seg" else None
    for index, item in enumerate(read_items(part.path, part.fmt, task, bad)):
        if keep(index):
            yield align(item) if align else item


@lru_cache(maxsize=2)
def _aligner(path: str, fmt: str, word_list: str, skip_bad: bool):
    """The aligner of a whole corpus file (built once: it counts words over every slice). With
    `skip_bad`, malformed lines are skipped here too; the caller's BadLines reports them."""
    from .align import WordListAligner
    return WordListAligner(read_word_list(word_list), read_items(path, fmt, "seg", BadLines() if skip_bad else None))


def is_name(spec: str) -> bool:
    return spec in NAMES and not os.path.exists(spec)


def training_parts(spec: str, dev: Optional[str] = None, fmt: str = "auto") -> tuple[Part, Part]:
    """(train, dev) parts for `tagger train SPEC [--dev DEV]`.

    A name gives its benchmark's parts; a path with no --dev has 5% carved off as dev.
    """
    if is_name(spec):
        corpus = get_corpus(spec)
        train, dev_part = corpus.train, corpus.dev
    else:
        train, dev_part = _carved(spec, fmt)
    if dev is not None:  # an explicit dev set: the whole corpus trains
        train = whole(train)
        dev_part = get_corpus(dev).dev if is_name(dev) else Part(dev, "auto", "all")
    return train, dev_part


def corpus_list(spec: str) -> list[str] | None:
    """The corpora of `tagger train A,B,C` (names or paths), or None for one corpus. A path
    holding a comma is one corpus when it exists."""
    if "," not in spec or os.path.exists(spec):
        return None
    specs = [s.strip() for s in spec.split(",") if s.strip()]
    if len(specs) < 2:
        return None
    if len(set(specs)) < len(specs):
        raise TaggerError(f"{spec}: a corpus is listed twice")
    return specs


def standard_name(spec: str) -> str:
    """The segmentation standard a corpus stands for in a multi-criteria model: its name, or
    its file name without the extension."""
    return spec if is_name(spec) else Path(spec).stem


def format_of(part: Part) -> str:
    """The part's format, sniffed from its file when "auto": what the task and units follow."""
    return sniff_format(part.path) if part.fmt == "auto" else part.fmt


def task_of(spec: str, train: Part, task: Optional[str] = None) -> str:
    """The task a model of corpus `spec` learns: `task` when given (--task), else the named
    corpus's, else what the training part's format implies (tag columns: ner, otherwise seg)."""
    if task:
        return task
    if is_name(spec):
        return get_corpus(spec).task
    return default_task(format_of(train))


def units_of(spec: str, train: Part, task: str, units: Optional[str] = None) -> str:
    """What one input unit is, "chars" or "words": `units` when given (--units), else the named
    corpus's, else "words" for NER columns where over a quarter of the units (in the first 200
    sentences) are multi-letter ASCII, as English words are; a word model reads each with a char CNN."""
    if units:
        return units
    if is_name(spec):
        return get_corpus(spec).units
    if task != "ner" or format_of(train) != "columns":
        return "chars"
    sentences = read_part(train, BadLines(), task="ner")  # malformed lines: stopped or reported by the real read
    found = [u for sentence, _ in itertools.islice(sentences, 200) for u in sentence]
    wordy = sum(len(u) > 1 and u.isascii() for u in found)
    return "words" if found and wordy > len(found) / 4 else "chars"


def read_word_list(path: str) -> set[str]:
    """A word list, one word a line (a bakeoff's training words, `evaluate --words`)."""
    from .textlines import read_lines
    return {line.strip() for _, line in read_lines(path) if line.strip()}


def training_words(spec: str) -> Optional[set[str]]:
    """The words OOV recall is measured against for a named benchmark: its bakeoff word list
    where it has one (PKU, MSR), else the words of its training part (CTB6, Weibo, UD), as the
    bakeoff lists were made. `NAME:dev` always takes the training part's words: PD 1998-01's dev
    paragraphs are in the bakeoff's training text, so its list would call no dev word OOV. None
    for a path or a task without words."""
    name, split = _name_and_split(spec)
    if name is None:
        return None
    corpus = get_corpus(name)
    if corpus.words and split == "test":
        return read_word_list(corpus.words)
    if corpus.task != "seg":
        return None
    return {word for words in read_part(corpus.train) for word in words}


def whole(part: Part) -> Part:
    """A carved training part with its dev slice given back (for --dev and --final)."""
    given_back = {"train": "all", "rest": "no_test"}
    return replace(part, slice=given_back[part.slice]) if part.slice in given_back else part


def test_part(spec: str, fmt: str = "auto") -> tuple[Part, Optional[str]]:
    """(gold part, training word list or None) for `tagger evaluate ... GOLD`: a file, a corpus
    name (its test set), or `NAME:dev` (its dev split: the place to read errors and tune, as a
    test set is read once, at the end)."""
    name, split = _name_and_split(spec)
    if name is None:
        return Part(spec, fmt, "all"), None
    corpus = get_corpus(name)
    return (corpus.test, corpus.words) if split == "test" else (corpus.dev, None)


def _name_and_split(spec: str) -> tuple[Optional[str], str]:
    """("pku", "dev") for "pku:dev", ("pku", "test") for "pku", (None, "test") for a file path."""
    if is_name(spec):
        return spec, "test"
    name, colon, split = spec.rpartition(":")
    if colon and split == "dev" and is_name(name):
        return name, "dev"
    return None, "test"
