"""A scikit-learn estimator over the same trainer: X is raw texts, y their gold word lists.

    from tagger.sklearn import BiLSTMSegmenter
    from sklearn.model_selection import cross_val_score, GridSearchCV
    cross_val_score(BiLSTMSegmenter(epochs=5), texts, words, cv=5)      # word F1 per fold
    GridSearchCV(BiLSTMSegmenter(), {"hidden": [100, 200]}, cv=3).fit(texts, words)

All hyperparameters are constructor arguments stored as-is (so `clone`, `get_params` and
`set_params` work); inputs are checked at `fit`, not in `__init__`, as scikit-learn asks.
"""
from __future__ import annotations

from typing import Sequence

from sklearn.base import BaseEstimator

from .corpora import carve
from .metrics import score as seg_score
from .model import ModelConfig
from .train import Trainer, TrainConfig


class BiLSTMSegmenter(BaseEstimator):
    def __init__(self, char_dim: int = 100, bigram_dim: int = 50, hidden: int = 200, layers: int = 1,
                 dropout: float = 0.2, epochs: int = 10, batch_chars: int = 3000, lr: float = 2e-3,
                 patience: int = 4, seed: int = 1, threads: int | None = None, standard: str | None = None):
        self.char_dim = char_dim
        self.bigram_dim = bigram_dim
        self.hidden = hidden
        self.layers = layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_chars = batch_chars
        self.lr = lr
        self.patience = patience
        self.seed = seed
        self.threads = threads
        self.standard = standard  # predict with this standard of a multi-criteria model

    def fit(self, X: Sequence[str], y: Sequence[Sequence[str]],
            corpus: Sequence[str] | None = None) -> "BiLSTMSegmenter":
        """Train on texts X segmented as y; every 20th pair is held out as dev for early stopping.

        `corpus` (one name per pair) trains a multi-criteria model: each name is a segmentation
        standard, and `standard` then chooses the one `predict` follows."""
        sentences = _validated(X, y)
        if corpus is None:
            train, dev = carve(sentences)
            dev = dev or train[:1]
        else:
            if len(corpus) != len(sentences):
                raise ValueError(f"corpus has {len(corpus)} names but X has {len(sentences)} texts")
            groups = {name: [s for s, c in zip(sentences, corpus) if c == name] for name in dict.fromkeys(corpus)}
            carved = {name: carve(group) for name, group in groups.items()}
            train = {name: t for name, (t, _) in carved.items()}
            dev = {name: d or t[:1] for name, (t, d) in carved.items()}
        model_config = ModelConfig(char_dim=self.char_dim, bigram_dim=self.bigram_dim, hidden=self.hidden,
                                   layers=self.layers, embed_dropout=self.dropout, lstm_dropout=self.dropout)
        train_config = TrainConfig(epochs=self.epochs, batch_chars=self.batch_chars, lr=self.lr,
                                   patience=self.patience, seed=self.seed, threads=self.threads)
        trainer = Trainer(model_config, train_config, log=lambda message: None, progress=False)
        self.segmenter_ = trainer.fit(train, dev)
        self.history_ = trainer.history
        return self

    def predict(self, X: Sequence[str]) -> list[list[str]]:
        self._check_fitted()
        # texts only: str(NaN) would segment "nan"
        return self.segmenter_.segment_lines(list(X), standard=self.standard)

    def score(self, X: Sequence[str], y: Sequence[Sequence[str]]) -> float:
        """Word F1 (SIGHAN), the score `cross_val_score` and `GridSearchCV` maximize."""
        return seg_score(_validated(X, y), self.predict(X)).f1

    def _check_fitted(self) -> None:
        if not hasattr(self, "segmenter_"):
            from sklearn.exceptions import NotFittedError
            raise NotFittedError("call fit before predict or score")


def _validated(X, y) -> list[list[str]]:
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} texts but y has {len(y)} segmentations")
    out = []
    for i, (text, words) in enumerate(zip(X, y)):
        words = [str(w) for w in words]
        if "".join(words) != "".join(str(text).split()):
            raise ValueError(f"sample {i}: the words of y do not spell the text of X")
        out.append(words)
    return out
