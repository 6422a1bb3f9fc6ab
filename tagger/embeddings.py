"""Pretrained vectors for the character and bigram embeddings.

Two sources, one use. `tagger train` pretrains skip-gram vectors on its own training text by
default (`skipgram`, gensim's Word2Vec: a well-kept, fast C implementation); on the shared
benchmarks this was worth 0.3-0.4 points of word F1 (docs/training.md). Vectors made elsewhere
come as word2vec text files (`--char-vectors`, `--bigram-vectors`; `python -m
scripts.data.pretrain_embeddings` writes them): a header line `COUNT DIM`, then `TOKEN V1 ...
VDIM` per line. Either way they only *initialize* the embedding rows of tokens the training
vocabulary already has; training then fine-tunes them like any other weight, and the model file
carries the result, so a trained model never needs the vectors again.

Reading the text format takes a dozen lines, so it is written here rather than through gensim:
it lets a bad line be reported by its file and line number.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Container, Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .errors import CorpusError, TaggerError
from .textlines import read_lines
from .vocab import EOS, Vocab, bigrams, normalize

# Skip-gram settings, those of the ablations in docs/benchmarks.md that measured the vectors' gain
SKIPGRAM = dict(window=5, negative=10, epochs=5, min_count=2)


def gensim_available() -> bool:
    """Whether skip-gram vectors can be pretrained here (gensim is a dependency, but a user may
    have installed tagger without it)."""
    try:
        import gensim.models  # noqa: F401
    except ImportError:
        return False
    return True


def skipgram(sequences: Iterable[list[str]], dim: int, seed: int = 1, threads: int = 1,
             **settings) -> dict[str, np.ndarray]:
    """token -> vector: skip-gram with negative sampling over token sequences (characters or
    bigrams of normalized text), most frequent first. With one thread, the same text and seed
    give the same vectors. `settings` override SKIPGRAM's (window, negative, epochs, min_count)."""
    try:
        from gensim.models import Word2Vec
    except ImportError:
        raise TaggerError("pretraining vectors needs gensim: pip install gensim "
                          "(or train with --no-vectors)") from None
    sequences = [s for s in sequences if s]
    if not sequences:
        return {}
    model = Word2Vec(sequences, vector_size=dim, sg=1, seed=seed, workers=max(1, threads), **{**SKIPGRAM, **settings})
    return dict(zip(model.wv.index_to_key, model.wv.vectors))


def pretrain(texts: Iterable[str], char_dim: int, bigram_dim: int, seed: int = 1,
             threads: int = 1) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(character vectors, bigram vectors) of normalized texts, tokens as the encoder writes
    them; none of a kind whose dimension is 0."""
    texts = [t for t in texts if t]
    chars = skipgram((list(t) for t in texts), char_dim, seed, threads) if char_dim > 0 else {}
    pairs = skipgram((bigrams(t) for t in texts), bigram_dim, seed, threads) if bigram_dim > 0 else {}
    return chars, pairs


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
    """Copy the vectors of the file `path` into the rows of the tokens `vocab` knows; return
    the share of the vocabulary (padding and <unk> aside) that found a vector."""
    vectors, dim = _read(path, classes, keep=set(vocab.itos))
    if dim != embedding.embedding_dim:
        raise TaggerError(f"{path}: vectors have {dim} dimensions, the embedding has {embedding.embedding_dim}; "
                          f"pass a matching --char-dim / --bigram-dim")
    return copy_rows(embedding, vocab, vectors)


def copy_rows(embedding: nn.Embedding, vocab: Vocab, vectors: Mapping[str, np.ndarray]) -> float:
    """Copy `vectors` into the rows of the tokens `vocab` knows; return the share of the
    vocabulary (padding and <unk> aside) that found a vector.

    Pretrained rows are rescaled to the standard deviation of the random rows they replace, so
    the network sees inputs on the scale it was initialized for, whatever tool made the vectors.
    """
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


def start(model: nn.Module, encoder, config, texts: Sequence[str], log: Callable[[str], None]) -> None:
    """Start a new model's character and bigram embeddings from pretrained vectors: the files
    the training config names, else (config.vectors) skip-gram vectors pretrained here on the
    training texts; log what share of each vocabulary found a vector."""
    if (config.char_vectors or config.bigram_vectors or config.vectors) and config.units != "chars":
        raise TaggerError("pretrained vectors are for character-level models (not --units words)")
    if config.char_vectors:
        share = initialize(model.char_embed, encoder.chars, config.char_vectors, config.classes)
        log(f"character embeddings: {share:.1%} of the vocabulary from {config.char_vectors}")
    if config.bigram_vectors:
        if encoder.bigrams is None:
            raise TaggerError("--bigram-vectors needs bigram embeddings (--bigram-dim > 0)")
        share = initialize(model.bigram_embed, encoder.bigrams, config.bigram_vectors, config.classes)
        log(f"bigram embeddings: {share:.1%} of the vocabulary from {config.bigram_vectors}")
    if config.vectors:
        _start_from_skipgram(model, encoder, config, texts, log)


def _start_from_skipgram(model: nn.Module, encoder, config, texts: Sequence[str], log: Callable[[str], None]) -> None:
    """Skip-gram vectors of the normalized training texts (closed: nothing but the training
    part is read) for the embeddings that no vectors file started."""
    started = time.monotonic()
    char_dim = 0 if config.char_vectors else model.config.char_dim
    bigram_dim = 0 if config.bigram_vectors or encoder.bigrams is None else model.config.bigram_dim
    if not char_dim and not bigram_dim:
        return
    normal = [normalize(text, config.classes) for text in texts]
    chars, pairs = pretrain(normal, char_dim, bigram_dim, config.seed, config.threads or 1)
    shares = []
    if char_dim:
        shares.append(f"{copy_rows(model.char_embed, encoder.chars, chars):.1%} of the characters")
    if bigram_dim:
        shares.append(f"{copy_rows(model.bigram_embed, encoder.bigrams, pairs):.1%} of the bigrams")
    log(f"skip-gram vectors pretrained on the training text for {' and '.join(shares)} "
        f"({time.monotonic() - started:.0f}s)")


def mapped_rows(embedding: nn.Embedding, vocab: Vocab, vectors: Mapping[str, np.ndarray],
                tokens: Sequence[str]) -> np.ndarray:
    """Embedding rows for `tokens` (which the vocabulary lacks) from their vectors: a linear
    map (least squares, with a bias) fitted from the vectors to the trained rows of the tokens
    both know, applied to theirs. Skip-gram spaces of two texts are not aligned, and a trained
    model's rows have moved from any vectors it started from, so rows cannot be copied; a map
    fitted on thousands of shared tokens carries what the raw text says about a new token into
    the space the network reads. (Mikolov et al. 2013, "Exploiting similarities among languages
    for machine translation", map between spaces the same way.)"""
    shared = [(i, token) for i, token in enumerate(vocab.itos) if i > 1 and token in vectors]
    if len(shared) < 2 * len(next(iter(vectors.values()))) or not tokens:
        return np.zeros((0, embedding.embedding_dim), dtype=np.float32)
    source = np.stack([vectors[token] for _, token in shared]).astype(np.float64)
    target = embedding.weight.detach()[[i for i, _ in shared]].double().cpu().numpy()
    with_bias = np.hstack([source, np.ones((len(source), 1))])
    weights = np.linalg.lstsq(with_bias, target, rcond=None)[0]
    new = np.stack([vectors[token] for token in tokens]).astype(np.float64)
    return (np.hstack([new, np.ones((len(new), 1))]) @ weights).astype(np.float32)
