"""The settings of each network as a model file stores them, without torch.

Apart from the networks (model.py, idcnn.py import torch) so that reading and checking a model
file's config, and the numpy engine, never import torch.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


class SavedConfig:
    """A network's settings as stored in a model file: to_dict for writing, and from_dict that
    ignores keys it does not know, so a file written by a newer version still loads."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class ModelConfig(SavedConfig):
    char_dim: int = 100
    bigram_dim: int = 50      # 0 turns bigram features off
    hidden: int = 200         # units per direction
    layers: int = 1
    embed_dropout: float = 0.2
    lstm_dropout: float = 0.2  # between LSTM layers and before the output layer
    num_tags: int = 4
    char_vocab: int = 0
    bigram_vocab: int = 0
    dictionary_bits: int = 0   # dictionary features per character; 0 turns them off
    units: str = "chars"       # "chars" (Chinese) or "words" (word-level, English)
    word_char_vocab: int = 0   # words: the character vocabulary of the char CNN
    char_cnn_embed: int = 30   # words: character embedding size of the char CNN
    char_cnn_filters: int = 50  # words: CNN filters (= its output size)
    casing_dim: int = 8        # words: casing embedding size
    crf: bool = False          # learn tag-transition scores (a linear-chain CRF) instead of softmax alone
    standard_dim: int = 0      # multi-criteria: a learned vector of the text's standard at every step; 0: markers alone
    marker_ids: list = field(default_factory=list)  # char ids of the standards' markers (-1: not in the vocabulary)

    @property
    def standard_embedding(self) -> bool:
        """Whether the network has a criterion embedding: a width for it and standards to name."""
        return self.standard_dim > 0 and bool(self.marker_ids)


NETWORK = "idcnn"  # the model file's config["network"]; absent for the BiLSTM


@dataclass
class IDCNNConfig(SavedConfig):
    network: str = NETWORK
    char_dim: int = 32
    bigram_dim: int = 16       # 0 turns bigram features off
    channels: int = 64         # width of every convolution
    dilations: list = field(default_factory=lambda: [1, 2, 4])
    iterations: int = 1        # the dilated block applied this many times (shared weights)
    dropout: float = 0.1
    num_tags: int = 4
    char_vocab: int = 0
    bigram_vocab: int = 0
    dictionary_bits: int = 0
    units: str = "chars"
    crf: bool = False
    marker_ids: list = field(default_factory=list)  # char ids of the standards' markers (multi-criteria)
    context: bool = False      # add a vector of the whole text (the mean of the first layer) at every step
