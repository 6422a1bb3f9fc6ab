"""Pretrained vectors for the character and bigram embeddings (word2vec text format).

Vectors come from `python -m scripts.data.pretrain_embeddings` (skip-gram, gensim) or any tool that writes
the word2vec text format: a header line `COUNT DIM`, then `TOKEN V1 ... VDIM` per line. They only
*initialize* the embedding rows of tokens the training vocabulary already has; training then
fine-tunes them like any other weight, and the model file carries the result, so a trained model
never needs the vectors file again.

Reading the format takes a dozen lines, so it is written here instead of making gensim a runtime
dependency (gensim is needed only to *train* vectors); it also lets a bad line be reported by its
file and line number.
"""
from __future__ import annotations

import os
from typing import Container

import numpy as np
import torch
from torch import nn

from .errors import CorpusError, TaggerError
from .readers import read_lines
from .vocab import EOS, Vocab, normalize


def read_vectors(path: str | os.PathLike, classes: bool = True,
                 keep: Container[str] | None = None) -> dict[str, np.ndarray]:
    """token -> vector, tokens normalized as the model sees text (the first of equal keys wins).

    With `keep`, only those tokens' numbers are parsed: a bigram file from a large text holds far
    more bigrams than a training vocabulary.
    """
    return _read(path, classes, keep)[0]


def normal_token(token: str, classes: bool = True) -> str:
    """A vector file's token as the vocabulary writes it: normalized text, but an end-of-text
    bigram keeps its EOS marker as is (normalizing it would turn `</s>` into `</a>`)."""
    if token.endswith(EOS) and len(token) > len(EOS):
        return normalize(token[:-len(EOS)], classes) + EOS
    return normalize(token, classes)


def _read(path: str | os.PathLike, classes: bool, keep: Container[str] | None) -> tuple[dict[str, np.ndarray], int]:
    """(vectors, their dimension) of a word2vec text file; see read_vectors."""
    if not os.path.isfile(path):
        raise TaggerError(f"{path}: no such vectors file")
    vectors: dict[str, np.ndarray] = {}
    dim = None
    for number, line in read_lines(path):
        fields = line.rstrip().split(" ")
        if number == 1 and len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
            dim = int(fields[1])  # the word2vec header
            continue
        if not line.strip():
            continue
        token, values = normal_token(fields[0], classes), fields[1:]
        dim = dim or len(values)
        if len(values) != dim:
            raise CorpusError(path, number, f"{len(values)} numbers after the token, expected {dim}")
        if (keep is not None and token not in keep) or token in vectors:
            continue
        try:
            vector = np.asarray(values, dtype=np.float32)
        except ValueError:
            raise CorpusError(path, number, "a value is not a number") from None
        vectors[token] = vector
    if dim is None:
        raise TaggerError(f"{path}: no vectors in the file")
    return vectors, dim


def initialize(embedding: nn.Embedding, vocab: Vocab, path: str | os.PathLike, classes: bool = True) -> float:
    """Copy the vectors of `path` into the rows of the tokens `vocab` knows; return the share
    of the vocabulary (padding and <unk> aside) that found a vector.

    Pretrained rows are rescaled to the standard deviation of the random rows they replace, so
    the network sees inputs on the scale it was initialized for, whatever tool made the vectors.
    """
    vectors, dim = _read(path, classes, keep=set(vocab.itos))
    if dim != embedding.embedding_dim:
        raise TaggerError(f"{path}: vectors have {dim} dimensions, the embedding has {embedding.embedding_dim}; "
                          f"pass a matching --char-dim / --bigram-dim")
    rows = [(i, vectors[token]) for i, token in enumerate(vocab.itos) if i > 1 and token in vectors]
    if not rows:
        return 0.0
    ids = torch.tensor([i for i, _ in rows])
    values = torch.from_numpy(np.stack([v for _, v in rows]))
    with torch.no_grad():
        target = embedding.weight.std().item()
        values = values * (target / max(values.std().item(), 1e-8))
        embedding.weight[ids] = values.to(embedding.weight.dtype).to(embedding.weight.device)
    return len(rows) / max(len(vocab) - 2, 1)
