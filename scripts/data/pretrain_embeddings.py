#!/usr/bin/env python3
"""Pretrain character and bigram vectors (skip-gram) on unlabeled text, for `tagger train
--char-vectors PREFIX.chars.vec --bigram-vectors PREFIX.bigrams.vec`.

The text is the *training* part of each corpus given (a name under $TAGGER_CORPORA or a file):
its carved dev slice and its test set are never read, so selecting on dev and reporting on test
stay honest. One corpus alone is the closed setting; several (or outside text) is the open one.
Tokens are normalized exactly as the model sees them (tagger.vocab.normalize), so every vector
finds its row.

    TAGGER_CORPORA=/work/shared/corpora python -m scripts.data.pretrain_embeddings pku -o runs/pku \\
        --char-dim 64 --bigram-dim 32

Uses tagger's skip-gram pass (tagger.embeddings.skipgram, gensim's Word2Vec), the one `tagger
train` runs on its own training text by default; this script is for vectors of other or more
text. The file it writes is plain word2vec text, read by tagger without gensim.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from tagger.embeddings import skipgram
from tagger.corpora import get_corpus, is_name, read_part, training_parts
from tagger.errors import TaggerError
from tagger.files import atomic_write_bytes
from tagger.tasks import Task
from tagger.vocab import bigrams, normalize


def corpus_texts(spec: str, classes: bool) -> list[str]:
    """Normalized texts of the training part of SPEC (dev and test slices excluded)."""
    task = Task(get_corpus(spec).task, get_corpus(spec).units) if is_name(spec) else Task("seg")
    if task.units != "chars":
        raise TaggerError(f"{spec}: character vectors need a character-level corpus")
    train, _ = training_parts(spec)
    texts = (task.sample(item).text for item in read_part(train, task=task.name))
    return [normalize(text, classes) for text in texts if text]


def train_vectors(sentences: list[list[str]], dim: int, args: argparse.Namespace) -> dict:
    """tagger's own skip-gram pass (tagger.embeddings.skipgram), with this command's settings."""
    return skipgram(sentences, dim, args.seed, args.threads, window=args.window, min_count=args.min_count,
                    negative=args.negative, epochs=args.epochs)


def write_vectors(vectors: dict, handle) -> None:
    """token -> vector as word2vec text (what gensim's save_word2vec_format writes), into an
    open binary file, so tagger's atomic writer can take it."""
    dim = len(next(iter(vectors.values()))) if vectors else 0
    handle.write(f"{len(vectors)} {dim}\n".encode("utf-8"))
    for token, row in vectors.items():
        handle.write(f"{token} {' '.join(map(str, row))}\n".encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="+", help="corpus names or files (their training parts are read)")
    parser.add_argument("-o", "--output", required=True, help="prefix: writes PREFIX.chars.vec, PREFIX.bigrams.vec")
    parser.add_argument("--char-dim", type=int, default=100)
    parser.add_argument("--bigram-dim", type=int, default=50, help="0: no bigram vectors")
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2,
                        help="gensim worker threads; with 1, the same corpus and --seed give the same vectors")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-classes", action="store_true", help="as `tagger train --no-classes`")
    args = parser.parse_args()
    try:
        started = time.monotonic()
        texts = [t for spec in args.corpora for t in corpus_texts(spec, not args.no_classes)]
        report = {"corpora": args.corpora, "sentences": len(texts), "chars": sum(map(len, texts))}
        char_model = train_vectors([list(t) for t in texts], args.char_dim, args)
        atomic_write_bytes(args.output + ".chars.vec", lambda handle: write_vectors(char_model, handle))
        report["char_vectors"] = len(char_model)
        if args.bigram_dim > 0:
            bigram_model = train_vectors([bigrams(t) for t in texts], args.bigram_dim, args)
            atomic_write_bytes(args.output + ".bigrams.vec", lambda handle: write_vectors(bigram_model, handle))
            report["bigram_vectors"] = len(bigram_model)
    except TaggerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
