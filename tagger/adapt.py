"""Adapting a model to a new domain from raw text alone: `tagger adapt MODEL RAW... -o OUT`.

Two steps, both measured on CTB6 (docs/training.md):

1. The words of the domain that the model does not know are found in the raw text
   (tagger/newwords.py) and added to the model's dictionary features and lexicon. Cheap (one
   network pass), but the network learned to weigh a dictionary match against the context
   (its training dictionary was jackknifed), so alone it moves little.
2. Self-training: the model labels the sentences that hold a new word, with the new words kept
   whole (a user-dictionary mask), and is fine-tuned on those labels for a few epochs while as
   many sentences of its original training data are replayed (tagger/finetune.py). So it
   learns the new words in context, and keeps its standards.

The model keeps its standards and loads like any other; the file records what it was adapted
on (`tagger info`: metadata "adapted").
"""
from __future__ import annotations

import math
import os
import time
from datetime import datetime, timezone
from typing import Callable, Sequence

from .dictionary import Dictionary
from .errors import TaggerError
from .newwords import NewWord, discover
from .vocab import bigrams, normalize

METHOD = "new words of the raw text added to the dictionary features and the lexicon"
SELF_TRAIN_SENTENCES = 20_000  # most pseudo-labeled sentences a run trains on
SELF_TRAIN_LR = 1e-3
SELF_TRAIN_EPOCHS = 4  # the best of 2 and 4 on CTB6 dev (docs/training.md)
MIN_UPDATES = 40  # epochs are added until self-training makes this many updates (a tiny text)


def check_raw(paths: Sequence[str]) -> None:
    """Every raw text file exists and is a file: a one-line error before any long work."""
    for path in paths:
        if path != "-" and not os.path.isfile(path):
            raise TaggerError(f"{path}: no such file" if not os.path.exists(path) else f"{path}: not a file")


def read_raw(paths: Sequence[str], encoding: str = "utf-8") -> list[str]:
    """The lines of the raw text files (all checked before the first is read)."""
    from .textlines import read_lines
    check_raw(paths)
    return [line for path in paths for _, line in read_lines(path, encoding)]


def add_words(tagger, words: Sequence[str]) -> int:
    """Add words to the model's dictionary features and lexicon; the number the dictionary did
    not hold yet (0 for a model without dictionary features: self-training alone teaches it)."""
    dictionary = tagger.encoder.dictionary
    tagger.set_lexicon(tagger.lexicon | set(words))
    if dictionary is None:
        return 0
    held = dictionary.words
    fresh = {normalize(w, dictionary.classes) for w in words} - held
    fresh = {w for w in fresh if 2 <= len(w) <= dictionary.max_len}
    tagger.encoder.dictionary = Dictionary(held | fresh, dictionary.max_len, dictionary.classes, normalized=True)
    return len(fresh)


def add_raw_vectors(tagger, lines: Sequence[str], min_count: int, seed: int = 1,
                    log: Callable[[str], None] = print) -> dict:
    """Rows for the raw text's characters and bigrams that the model lacks (seen at least
    `min_count` times), from skip-gram vectors of the raw text mapped into the model's
    embedding space (embeddings.mapped_rows); until then the model read them as <unk>.
    {kind: rows added}; nothing without gensim or for a model without those tables."""
    from collections import Counter

    from .embeddings import gensim_available, mapped_rows, skipgram
    from .finetune import FineTuneConfig, FineTuner
    encoder, model = tagger.encoder, tagger.model
    if not gensim_available() or getattr(encoder, "bigrams", None) is None:
        return {}
    tuner = FineTuner(tagger, FineTuneConfig(), log)  # float32 tables, and the one way tables grow
    texts = [normalize(line, encoder.classes) for line in lines if line]
    added = {}
    for kind, tokens_of, table in (("chars", list, model.char_embed), ("bigrams", bigrams, model.bigram_embed)):
        sequences = [tokens_of(text) for text in texts]
        counts = Counter(token for sequence in sequences for token in sequence)
        known = getattr(encoder, kind).stoi
        new = [token for token, count in counts.most_common() if count >= min_count and token not in known]
        if not new:
            added[kind] = 0
            continue
        vectors = skipgram(sequences, table.embedding_dim, seed, min_count=min_count)
        new = [token for token in new if token in vectors]
        rows = mapped_rows(table, getattr(encoder, kind), vectors, new)
        added[kind] = tuner.grow(kind, new[:len(rows)], rows=rows) if len(rows) else 0
    log(f"skip-gram vectors of the raw text: {added.get('chars', 0):,} characters and "
        f"{added.get('bigrams', 0):,} bigrams added to the embeddings")
    return added


def pseudo_labeled(tagger, lines: Sequence[str], words: Sequence[str], limit: int) -> list:
    """Up to `limit` sentences of the raw text that hold a new word, labeled by the model with
    the new words kept whole (a user-dictionary mask), as training samples: self-training
    data that teaches the words and nothing else the model does not already do."""
    from .newwords import text_chunks
    from .tasks import Sample
    wanted = set(words)
    longest = max(map(len, wanted), default=0)

    def holds_one(chunk: str) -> bool:
        return any(chunk[i:i + n] in wanted for i in range(len(chunk)) for n in range(2, longest + 1))
    chosen = [c for c in text_chunks(lines) if holds_one(c)][:limit]
    saved = tagger.user_dict
    tagger.user_dict = type(saved)(wanted)
    try:
        labeled = tagger.label_lines(chosen)
    finally:
        tagger.user_dict = saved
    return [Sample(chunk, spans) for chunk, spans in zip(chosen, labeled)]


def self_train(tagger, lines: Sequence[str], words: Sequence[str], config, log: Callable[[str], None]) -> dict:
    """Fine-tune the model on its own labels of the sentences with new words (kept whole),
    with as many sentences of its original training data replayed (tagger/finetune.py), for
    a fixed number of epochs: the text has no gold to stop on."""
    from .finetune import FineTuner
    from .replay import guard_sets, replay_samples
    samples = pseudo_labeled(tagger, lines, words, SELF_TRAIN_SENTENCES)
    if not samples:
        return {"sentences": 0}
    tuner = FineTuner(tagger, config, log)
    standard = tagger.encoder.default_standard
    tuner.extend(samples, standard)
    replay, sources = replay_samples(tagger, round(config.replay * len(samples)) * 2, config.seed, log)
    chars = sum(len(s.text) for s in samples) * (1 + config.replay)
    config.epochs = max(config.epochs, math.ceil(MIN_UPDATES * config.batch_chars / chars))  # a small text: more
    log(f"self-training on {len(samples):,} sentences with new words, replaying {sources or 'nothing'}; "
        f"{config.line(sources)}")
    guard = guard_sets(tagger, config.seed, log) if config.max_harm < 1 else {}
    summary = tuner.fit(samples, [], standard, replay, guard=guard)
    return {"sentences": len(samples), "replay_from": sources, "epochs": summary["best_epoch"],
            "lr": config.lr, "default_standard_checked_on": sorted(guard), "max_harm": config.max_harm}


def adapt(tagger, paths: Sequence[str], min_count: int = 3, top: int = 0, max_minutes: float | None = None,
          log: Callable[[str], None] = print, self_training: bool = True, seed: int = 1,
          vectors: bool = False, max_harm: float = 0.005) -> list[NewWord]:
    """Adapt a loaded model in place to the raw text of `paths`; the words it added.

    max_minutes: a budget for the whole run; the text is cut to what the network reads in about
    a quarter of it (measured on the first block), and self-training stops before an epoch
    would overrun what is left, so the adapted model is written in time. max_harm: the most F1
    the default standard may lose on the dev sentences of the model's own corpora (where they
    are registered here): self-training keeps its latest epoch within it (1 or more: no check)."""
    from .finetune import FineTuneConfig
    start = time.monotonic()
    lines = read_raw(paths)
    chars = sum(map(len, lines))
    if max_minutes is not None:
        lines = _within_budget(tagger, lines, max_minutes * 60 / 4, log)
    done = [0]

    def progress(count: int) -> None:
        before, done[0] = done[0], done[0] + count
        if before // 200_000 != done[0] // 200_000:
            log(f"read {done[0]:,} of {chars:,} characters ({time.monotonic() - start:.0f} s)")
    found = discover(tagger, lines, top=top, min_count=min_count, progress=progress)
    added = add_words(tagger, [w.word for w in found])
    read = sum(map(len, lines))
    log(f"{added:,} new words from {read:,} characters added to the dictionary features "
        f"({time.monotonic() - start:.0f} s)")
    embedded = add_raw_vectors(tagger, lines, min_count, seed, log) if vectors else {}
    trained = {}
    if self_training and found:
        left = None if max_minutes is None else max(0.0, max_minutes - (time.monotonic() - start) / 60) * 0.8
        # self-training trains the default standard itself: nothing to anchor; its words went in above
        config = FineTuneConfig(lr=SELF_TRAIN_LR, epochs=SELF_TRAIN_EPOCHS, replay=1.0, max_minutes=left,
                                seed=seed, anchor=0.0, dictionary=False, max_harm=max_harm)
        if left is None or left > 0:
            trained = self_train(tagger, lines, [w.word for w in found], config, log)
    tagger.metadata["adapted"] = {
        "on": [str(p) for p in paths], "characters": read, "new_words": added,
        "method": METHOD + (", then self-training on the sentences that hold them" if trained else ""),
        "self_training": trained, "raw_vectors": embedded,
        "min_count": min_count, "minutes": round((time.monotonic() - start) / 60, 2),
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "examples": [w.word for w in found[:20]],
    }
    log(f"adapted in {time.monotonic() - start:.0f} s")
    return found


def _within_budget(tagger, lines: list[str], seconds: float, log: Callable[[str], None]) -> list[str]:
    """The leading lines the network can read in `seconds`, timed on a first slice of them."""
    from .newwords import boundary_probabilities, text_chunks
    sample, size = [], 0
    for line in lines:
        if size > 20_000:
            break
        sample.append(line)
        size += len(line)
    started = time.monotonic()
    boundary_probabilities(tagger, text_chunks(sample))
    rate = size / max(time.monotonic() - started, 1e-3)  # characters a second
    keep, total = [], 0
    for line in lines:
        total += len(line)
        if total > rate * seconds / 2:  # the network's pass and the count scan take about alike
            log(f"--max-minutes: reading the first {len(keep):,} of {len(lines):,} lines")
            break
        keep.append(line)
    return keep
