"""The teacher's side of distillation: what the student learns from, read and scored once.

The training text (the teacher's corpora, cut into sentences as `tagger train` did, and raw
text) is encoded with the teacher's encoder under each standard a sentence is read with, the
teacher's per-character tag probabilities are computed, and both are kept flat in a `Store`
that tagger/distill.py draws its batches from (and that can be cached on disk, so several
students share one teacher pass).
"""
from __future__ import annotations

import copy
import os
import time
from typing import Sequence

import numpy as np


# -- the data -------------------------------------------------------------------------------
class Store:
    """Encoded sentences and the teacher's probabilities, flat: row i spans offsets[i]:offsets[i+1]."""

    def __init__(self, word_edges: bool):
        self.parts: dict[str, list[np.ndarray]] = {"chars": [], "bigrams": [], "dictionary": [], "probs": [],
                                                   "gold": []}
        self.lengths: list[int] = []
        self.has_word_edges = word_edges  # the dictionary's bit masks (stored as "dictionary")
        self.arrays: dict[str, np.ndarray] = {}

    def add(self, chars, bigrams, word_edges, probs, gold) -> int:
        self.parts["chars"].append(chars.astype(np.int32))
        self.parts["bigrams"].append(bigrams.astype(np.int32) if bigrams is not None else np.zeros_like(chars, np.int32))
        if self.has_word_edges:
            self.parts["dictionary"].append(word_edges.astype(np.int32))
        self.parts["probs"].append(probs.astype(np.float16))
        self.parts["gold"].append(np.asarray(gold if gold is not None else np.full(len(chars), -100), np.int16))
        self.lengths.append(len(chars))
        return len(self.lengths) - 1

    def freeze(self) -> None:
        self.arrays = {k: np.concatenate(v) if v else np.zeros(0) for k, v in self.parts.items()}
        self.parts = {}
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)

    def save(self, path: str, key: str, members: dict) -> None:
        """Write the frozen store and each corpus's rows (per sentence, one row a standard)."""
        from .files import atomic_write_bytes
        extra = {f"member:{name}": np.array(rows, dtype=np.int64) for name, rows in members.items()}
        atomic_write_bytes(path, lambda handle: np.savez(handle, key=np.array(key), lengths=np.array(self.lengths),
                                                         has_dictionary=np.array(self.has_word_edges),
                                                         **{f"array:{k}": v for k, v in self.arrays.items()}, **extra))

    @classmethod
    def load(cls, path: str, key: str) -> "tuple[Store, dict] | None":
        """(store, members) from `path` when it was written for `key`, else None."""
        if not os.path.exists(path):
            return None
        with np.load(path) as data:
            if str(data["key"]) != key:
                return None
            store = cls(bool(data["has_dictionary"]))
            store.parts = {}
            store.lengths = data["lengths"].tolist()
            store.arrays = {k[len("array:"):]: data[k] for k in data.files if k.startswith("array:")}
            store.offsets = np.concatenate([[0], np.cumsum(store.lengths)]).astype(np.int64)
            members = {k[len("member:"):]: data[k].tolist() for k in data.files if k.startswith("member:")}
        return store, members

    def batch(self, rows: Sequence[int]):
        """(inputs as numpy, probs (batch, time, tags), gold (batch, time)) padded with 0 / -100."""
        lengths = np.array([self.lengths[r] for r in rows], dtype=np.int64)
        time_, tags = int(lengths.max()), self.arrays["probs"].shape[-1]
        out = {"chars": np.zeros((len(rows), time_), np.int64), "bigrams": np.zeros((len(rows), time_), np.int64),
               "dictionary": np.zeros((len(rows), time_), np.int64) if self.has_word_edges else None,
               "probs": np.zeros((len(rows), time_, tags), np.float32),
               "gold": np.full((len(rows), time_), -100, np.int64)}
        for i, r in enumerate(rows):
            start, end = self.offsets[r], self.offsets[r + 1]
            for key, array in out.items():
                if array is not None:
                    array[i, :end - start] = self.arrays[key][start:end]
        return out, lengths


def teacher_pass(teacher_model, encoder, texts: Sequence[str], standard: str | None, store: Store,
                 golds: Sequence | None = None, batch_chars: int = 5000) -> list[int]:
    """Encode `texts` with `standard` (and `encoder`'s dictionary), run the teacher, store both;
    the store rows of the texts, in order."""
    from .batching import length_grouped_batches
    rows: list[int] = [0] * len(texts)
    for ids in length_grouped_batches([len(t) + 2 for t in texts], batch_chars):
        batch = encoder.encode_batch([texts[i] for i in ids], standard)
        chars, bigrams, lengths, word_edges = batch.chars, batch.bigrams, batch.lengths, batch.word_edges
        probs = np.exp(teacher_model.log_probs(batch))
        margin = encoder.margin
        for row, i in enumerate(ids):
            n = int(lengths[row])
            gold = None
            if golds is not None and golds[i] is not None:
                gold = np.full(n, -100)
                gold[margin:n - margin] = golds[i]
            rows[i] = store.add(chars[row, :n], bigrams[row, :n] if bigrams is not None else None,
                                word_edges[row, :n] if word_edges is not None else None, probs[row, :n], gold)
    return rows


def read_labeled(spec: str, bad=None):
    """(train samples, dev samples) of a corpus name or file, as `tagger train` reads it (with a
    textlines.BadLines, its malformed lines recorded and skipped, as --skip-bad-lines does)."""
    from .corpora import read_part, training_parts
    from .tasks import Task
    from .trainset import prepare
    task = Task("seg")
    train_part, dev_part = training_parts(spec)
    return prepare(read_part(train_part, bad), task), prepare(read_part(dev_part, bad), task, cut=False)


def read_raw_texts(path: str) -> list[str]:
    """The texts of a raw text file: its lines cut at whitespace, long chunks cut as segmentation cuts them."""
    from .chunks import split_long
    from .textlines import read_raw
    return [piece for line in read_raw(path) for chunk in line.split() for piece in split_long(chunk)]


def load_teachers(paths: Sequence[str]):
    """(the teacher, its first member): several files are averaged as an ensemble that carries the
    first one's metadata; the first member gives the embeddings the student may start from."""
    from .modelio import load_ensemble, load_model
    if len(paths) > 1:
        teacher = load_ensemble(list(paths))
        first = load_model(paths[0])
        teacher.metadata = dict(first.metadata)
        return teacher, first
    teacher = load_model(paths[0])
    return teacher, teacher


def teacher_passes(teacher, first, encoder, specs, labeled: dict, raw: list, mixed_share: float, log,
                   started: float) -> tuple[Store, dict]:
    """The teacher's probabilities for every training sentence under each of its standards."""
    from .corpora import standard_name
    from .dictionary import fold_of
    from .trainset import build_dictionaries
    standards, default = tuple(encoder.standards), encoder.default_standard
    # the jackknifed dictionaries of the teacher's own training sentences (as its training built them)
    fold_dictionaries = None
    teacher_train = first.metadata.get("train_config") or {}
    if encoder.dictionary is not None and "train" in str(teacher_train.get("dictionary", "")).split(","):
        own_words = [s.words for spec, own in specs if own and standard_name(spec) in labeled
                     for s in labeled[standard_name(spec)]]
        sources, folds = str(teacher_train["dictionary"]), int(teacher_train.get("dictionary_folds", 5))
        log(f"building {folds} jackknifed dictionaries ({sources})")
        _, fold_dictionaries = build_dictionaries(own_words, sources, folds, bool(teacher_train.get("classes", True)))

    store = Store(encoder.dictionary is not None)
    members: dict[str, list[list[int]]] = {}  # corpus -> per sentence, its store rows (one per standard)
    index = {t: i for i, t in enumerate(teacher.tags)}
    from .tasks import Task
    task = Task("seg")
    teacher_rank = 0
    log(f"teacher pass over {sum(map(len, labeled.values()))} sentences, {len(raw)} raw texts"
        + (f"; standards {', '.join(standards)}, default {default}" if standards else ""))
    for spec, own in specs:
        name = standard_name(spec)
        if name not in labeled:
            continue
        samples = labeled[name]
        golds = [[index[t] for t in task.tags(s)] for s in samples]
        variants = []
        if standards:
            mine = name if name in standards else default
            variants = [mine] + ([default] if default != mine and mixed_share > 0 else [])
        else:
            variants = [None]
        per_sentence: list[list[int]] = [[] for _ in samples]
        groups: dict = {}
        for i in range(len(samples)):
            fold = fold_of(teacher_rank + i, len(fold_dictionaries)) if (own and fold_dictionaries) else -1
            groups.setdefault(fold, []).append(i)
        for fold, ids in groups.items():
            reader = encoder
            if fold >= 0:
                reader = copy.copy(encoder)
                reader.dictionary = fold_dictionaries[fold]
            for standard in variants:
                texts = [samples[i].text for i in ids]
                gold = [golds[i] if standard == variants[0] else None for i in ids]
                rows = teacher_pass(teacher.model, reader, texts, standard, store, gold)
                for i, row in zip(ids, rows):
                    per_sentence[i].append(row)
        if own:
            teacher_rank += len(samples)
        members[name] = per_sentence
        log(f"  {name}: {len(samples)} sentences, standards {variants}  ({time.monotonic() - started:.0f}s)")
    if raw:
        rows = teacher_pass(teacher.model, encoder, raw, default, store)
        members["raw text"] = [[row] for row in rows]
    store.freeze()
    return store, members
