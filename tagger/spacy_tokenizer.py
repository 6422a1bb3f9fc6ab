"""A spaCy tokenizer that segments with a tagger model (`pip install "tagger-zh[spacy]"`).

    import spacy
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tagger.Tokenizer.v1"}}})
    [token.text for token in nlp("我们在北京大学研究生命的起源。")]

spaCy finds `tagger.Tokenizer.v1` through the `spacy_tokenizers` entry point in setup.cfg, so
the tokenizer needs no import of its own. Options, set in the same config block:

- `model`: a tagger model file (null: the shipped segmentation model, or the shipped POS model
  when `pos` is true);
- `standard`: the segmentation standard of a multi-criteria model (null: its default);
- `user_dict`: a jieba-format dictionary file whose words are kept whole;
- `pos`: fill `token.tag_` with the model's POS tags (a joint segmentation + POS model then
  gives both the words and the tags, as `tagger segment --pos` does);
- `ner`: fill `doc.ents` with named entities: true for the shipped NER model (PER, LOC, ORG,
  TIME), or an NER model file. A word that an entity edge falls inside is split there, so every
  entity is whole tokens and `doc.ents` gives exactly the spans of `tagger.ner`.

The model is loaded on first use, not when the pipeline is built: `spacy.load` builds the
tokenizer from the saved config first and only then reads the pipeline directory, where
`to_disk` keeps a copy of the model file (and the user words), as spaCy's pkuseg option keeps
its own model. A saved pipeline thus works on a machine without the original model file.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .errors import TaggerError

CONFIG_FILE = "cfg.json"
MODEL_FILE = "tagger.model"
NER_FILE = "tagger-ner.model"
USER_DICT_FILE = "user_dict.json"
WHITESPACE_TAG = "_SP"  # spaCy's own tag for whitespace tokens


def create_tokenizer(model: str | None = None, standard: str | None = None, user_dict: str | None = None,
                     pos: bool = False, ner: bool | str = False) -> Callable:
    """The factory spaCy's registry calls with the config's options; it gets the `nlp` object."""
    def tokenizer_factory(nlp) -> TaggerTokenizer:
        return TaggerTokenizer(nlp.vocab, model=model, standard=standard, user_dict=user_dict, pos=pos, ner=ner)
    return tokenizer_factory


def words_and_spaces(tokens: Sequence[str]) -> tuple[list[str], list[bool], list[int]]:
    """spaCy's words and spaces from tokens that join back to the text (tagger's words, with
    whitespace runs as tokens, never two in a row), and which token each word came from: one
    space after a word becomes that word's trailing space, and any other whitespace stays a
    token of its own (what `spacy.util.get_words_and_spaces` gives, without searching the text)."""
    words: list[str] = []
    spaces: list[bool] = []
    origins: list[int] = []
    for number, token in enumerate(tokens):
        if token.isspace() and token[0] == " " and words and not spaces[-1]:
            spaces[-1] = True
            token = token[1:]
            if not token:
                continue
        words.append(token)
        spaces.append(False)
        origins.append(number)
    return words, spaces, origins


def split_at(pairs: Iterable[tuple[str, str | None]], edges: set[int]) -> Iterator[tuple[str, str | None]]:
    """The (token, label) pairs with each token cut at the text offsets in `edges` that fall
    inside it (entity edges, so that each entity is whole tokens); the pieces keep the label."""
    offset = 0
    for token, label in pairs:
        cuts = sorted(e - offset for e in edges if offset < e < offset + len(token))
        for start, end in zip([0, *cuts], [*cuts, len(token)]):
            yield token[start:end], label
        offset += len(token)


class TaggerTokenizer:
    """spaCy's tokenizer interface (`__call__`, `pipe`, `to_disk`, `from_disk`, `to_bytes`,
    `from_bytes`) over a `tagger.pipeline.Tagger`, loaded on first use."""

    def __init__(self, vocab, model: str | os.PathLike | None = None, standard: str | None = None,
                 user_dict: str | os.PathLike | None = None, pos: bool = False, ner: bool | str = False):
        self.vocab = vocab
        self.ner = ner if isinstance(ner, bool) else str(ner)  # True: the shipped NER model
        self._ner_file: str | None = None  # a copy read by from_disk/from_bytes, if any
        self._recognizer = None
        self.model = None if model is None else str(model)
        self.standard = standard
        self.user_dict = None if user_dict is None else str(user_dict)
        self.pos = bool(pos)
        self._model_file: str | None = None  # a copy read by from_disk/from_bytes, if any
        self._user_entries: dict | None = None
        self._tagger = None
        self._lock = threading.Lock()

    # -- the model -----------------------------------------------------------------------
    @property
    def tagger(self):
        """The `Tagger`, loaded once (also when several threads ask at once)."""
        if self._tagger is None:
            with self._lock:
                if self._tagger is None:
                    self._tagger = self._load()
        return self._tagger

    segmenter = tagger  # the same property under the name older code used

    @property
    def recognizer(self):
        """The NER `Tagger` of the `ner` option (None without it), loaded once."""
        if self._recognizer is None and self.ner:
            with self._lock:
                if self._recognizer is None:
                    self._recognizer = self._load_recognizer()
        return self._recognizer

    def _ner_path(self) -> str | os.PathLike:
        from .modelio import SHIPPED
        return self._ner_file or (SHIPPED["ner"] if self.ner is True else self.ner)

    def _load_recognizer(self):
        from .modelio import load
        path = self._ner_path()
        recognizer = load(path)
        if recognizer.task.name != "ner":
            raise TaggerError(f"{path}: a {recognizer.task.name} model; the ner option needs an NER model")
        return recognizer

    def _model_path(self) -> str | os.PathLike:
        from .modelio import SHIPPED
        if self._model_file is not None:
            return self._model_file
        if self.model is not None:
            return self.model
        return SHIPPED["pos"] if self.pos else SHIPPED["default"]

    def _load(self):
        from .modelio import load
        from .posseg import require_pos_model
        path = self._model_path()
        tagger = load(path)
        if self.pos:
            require_pos_model(tagger, path)
        elif not tagger.task.segments or tagger.units == "words":
            raise TaggerError(f"{path}: a {tagger.task.name} model; the spaCy tokenizer needs one that segments")
        tagger.encoder.standard_of(self.standard)  # an unknown standard fails now, with the known ones
        if self._user_entries is not None:
            _restore_user_dict(tagger.user_dict, self._user_entries)
        elif self.user_dict is not None:
            tagger.user_dict.load(self.user_dict)
        return tagger

    # -- tokenizing ----------------------------------------------------------------------
    def __call__(self, text: str):
        return self._docs([text])[0]

    def pipe(self, texts: Iterable[str], batch_size: int = 256) -> Iterator:
        """Docs of `texts`, segmented `batch_size` texts at a time (batched: several times
        faster than one at a time)."""
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self._docs(batch)
                batch = []
        if batch:
            yield from self._docs(batch)

    def _docs(self, texts: Sequence[str]) -> list:
        from spacy.tokens import Doc
        tagger = self.tagger
        entities = self.recognizer.label_lines(texts) if self.ner else [[] for _ in texts]
        if self.pos:
            token_lines = tagger.flag_lines(texts, standard=self.standard, whitespace=WHITESPACE_TAG)
        else:
            token_lines = [[(token, None) for token in tokens]
                           for tokens in tagger.segment_lines(texts, standard=self.standard)]
        docs = []
        for tokens, found in zip(token_lines, entities):
            pairs = list(split_at(tokens, {edge for start, end, _ in found for edge in (start, end)}))
            words, spaces, origins = words_and_spaces([token for token, _ in pairs])
            tags = [pairs[number][1] for number in origins] if self.pos else None
            doc = Doc(self.vocab, words=words, spaces=spaces, tags=tags)
            if found:
                doc.ents = [doc.char_span(start, end, label=label) for start, end, label in found]
            docs.append(doc)
        return docs

    # -- serialization -------------------------------------------------------------------
    def _config(self) -> dict:
        return {"model": self.model, "standard": self.standard, "user_dict": self.user_dict, "pos": self.pos,
                "ner": self.ner}

    def _set_config(self, config: dict) -> None:
        self.model, self.standard = config.get("model"), config.get("standard")
        self.user_dict, self.pos = config.get("user_dict"), bool(config.get("pos", False))
        self.ner = config.get("ner", False)

    def to_disk(self, path: str | os.PathLike, **kwargs) -> None:
        """Write the options, a copy of the model file and the user words into `path`."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / CONFIG_FILE).write_text(json.dumps(self._config(), ensure_ascii=False), encoding="utf-8")
        source = Path(self._model_path())
        if not (path / MODEL_FILE).exists() or not (path / MODEL_FILE).samefile(source):
            shutil.copyfile(source, path / MODEL_FILE)
        if self.ner:
            ner_source = Path(self._ner_path())
            if not (path / NER_FILE).exists() or not (path / NER_FILE).samefile(ner_source):
                shutil.copyfile(ner_source, path / NER_FILE)
        entries = _user_dict_entries(self.tagger.user_dict)
        (path / USER_DICT_FILE).write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path: str | os.PathLike, **kwargs) -> "TaggerTokenizer":
        """Read what `to_disk` wrote; the model is the copy inside `path`."""
        path = Path(path)
        self._set_config(json.loads((path / CONFIG_FILE).read_text(encoding="utf-8")))
        self._user_entries = json.loads((path / USER_DICT_FILE).read_text(encoding="utf-8"))
        self._model_file = str(path / MODEL_FILE)
        self._ner_file = str(path / NER_FILE) if self.ner else None
        self._tagger = self._recognizer = None
        return self

    def to_bytes(self, **kwargs) -> bytes:
        import srsly
        return srsly.msgpack_dumps({"cfg": self._config(), "model": Path(self._model_path()).read_bytes(),
                                    "ner_model": Path(self._ner_path()).read_bytes() if self.ner else None,
                                    "user_dict": _user_dict_entries(self.tagger.user_dict)})

    def from_bytes(self, data: bytes, **kwargs) -> "TaggerTokenizer":
        """Read what `to_bytes` wrote; the model goes to a file of its own in the temp folder,
        removed when the process exits."""
        import srsly
        msg = srsly.msgpack_loads(data)
        self._set_config(msg["cfg"])
        self._user_entries = msg["user_dict"]
        self._model_file = _temporary_model(msg["model"])
        self._ner_file = _temporary_model(msg["ner_model"]) if msg.get("ner_model") else None
        self._tagger = self._recognizer = None
        return self


def _temporary_model(data: bytes) -> str:
    """A model file of its own in the temp folder, removed when the process exits."""
    import atexit
    handle, name = tempfile.mkstemp(suffix=".model", prefix="tagger-spacy-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    atexit.register(_remove_quietly, name)
    return name


def _user_dict_entries(user_dict) -> dict:
    """The user words and split rules as JSON-ready lists (exact, unlike jieba's line format,
    which cannot hold a split rule)."""
    return {"words": [[word, freq, tag] for word, (freq, tag) in user_dict.entries.items()],
            "splits": [list(parts) for parts in user_dict.splits.values()]}


def _restore_user_dict(user_dict, entries: dict) -> None:
    for word, freq, tag in entries.get("words", []):
        user_dict.add(word, freq, tag)
    for parts in entries.get("splits", []):
        user_dict.add_split(parts)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
