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


# -- checks of a file's settings, before any array is built (tagger/modelcheck.py) -------------
MAX_WIDTH = 1 << 16        # any layer's width
MAX_VOCAB = 1 << 31        # any vocabulary's size
MAX_DEPTH = 64             # layers, iterations, dilations
RANGES = {"layers": (1, MAX_DEPTH), "iterations": (1, MAX_DEPTH), "num_tags": (1, MAX_WIDTH),
          "dictionary_bits": (0, 62),  # bit values are int64
          "char_vocab": (1, MAX_VOCAB), "bigram_vocab": (0, MAX_VOCAB), "word_char_vocab": (0, MAX_VOCAB)}
CHOICES = {"units": ("chars", "words")}  # the network's name is checked against tagger/networks.py's table


def config_problem(cls: type[SavedConfig], data: dict) -> str | None:
    """What is wrong with a file's config dict for settings `cls` (None: nothing): each known
    field of the right type and in range, so that no size it declares can run away."""
    if not isinstance(data, dict):
        return f"config is a {type(data).__name__}, not a mapping"
    for name, spec in cls.__dataclass_fields__.items():
        if name not in data:
            continue
        value, kind = data[name], str(spec.type)
        if kind == "int" and (type(value) is not int or not RANGES.get(name, (0, MAX_WIDTH))[0] <= value
                              <= RANGES.get(name, (0, MAX_WIDTH))[1]):
            low, high = RANGES.get(name, (0, MAX_WIDTH))
            return f"config {name} = {value!r}: not an integer in {low}..{high}"
        if kind == "float" and (type(value) not in (int, float) or not 0 <= value < 1):
            return f"config {name} = {value!r}: not a number in [0, 1)"
        if kind == "bool" and type(value) is not bool:
            return f"config {name} = {value!r}: not true or false"
        if kind == "str" and value not in CHOICES.get(name, (value,)):
            return f"config {name} = {value!r}: not one of {', '.join(CHOICES[name])}"
        if kind == "list" and (not isinstance(value, list) or len(value) > MAX_DEPTH
                               or any(type(v) is not int or not -1 <= v < MAX_VOCAB for v in value)):
            return f"config {name}: not a short list of integers"
    if any(d < 1 for d in data.get("dilations", [1])):
        return "config dilations: each must be at least 1"
    if any(m >= data.get("char_vocab", 0) for m in data.get("marker_ids", [])):
        return "config marker_ids: a marker beyond the character vocabulary"
    return None


def _embedding_shapes(c: SavedConfig, bigrams_per_step: int) -> tuple[dict[str, tuple[int, ...]], int]:
    """The character and bigram tables both networks start with, and the width they feed on
    (dictionary bits included): one rule for the two shape tables below."""
    shapes = {"char_embed.weight": (c.char_vocab, c.char_dim)}
    width = c.char_dim + c.dictionary_bits
    if c.bigram_dim > 0:
        shapes["bigram_embed.weight"] = (c.bigram_vocab, c.bigram_dim)
        width += bigrams_per_step * c.bigram_dim
    return shapes, width


def bilstm_shapes(c: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The weight names and shapes of model.BiLSTMTagger built with these settings."""
    shapes, width = _embedding_shapes(c, bigrams_per_step=2)  # the bigrams ending and starting at a character
    if c.standard_embedding:
        shapes["standard_embed.weight"] = (len(c.marker_ids) + 1, c.standard_dim)
        width += c.standard_dim
    if c.units == "words":
        shapes.update({"subchar_embed.weight": (c.word_char_vocab, c.char_cnn_embed),
                       "char_cnn.weight": (c.char_cnn_filters, c.char_cnn_embed, 3),
                       "char_cnn.bias": (c.char_cnn_filters,), "casing_embed.weight": (5, c.casing_dim)})
        width += c.char_cnn_filters + c.casing_dim
    for layer in range(c.layers):
        size = width if layer == 0 else 2 * c.hidden
        for direction in ("forward", "backward"):
            name = f"{direction}_lstms.{layer}"
            shapes.update({f"{name}.weight_ih_l0": (4 * c.hidden, size), f"{name}.weight_hh_l0": (4 * c.hidden, c.hidden),
                           f"{name}.bias_ih_l0": (4 * c.hidden,), f"{name}.bias_hh_l0": (4 * c.hidden,)})
    shapes.update({"output.weight": (c.num_tags, 2 * c.hidden), "output.bias": (c.num_tags,)})
    if c.crf:
        shapes.update({"crf_transitions": (c.num_tags, c.num_tags), "crf_start": (c.num_tags,),
                       "crf_end": (c.num_tags,)})
    return shapes


def idcnn_shapes(c: IDCNNConfig) -> dict[str, tuple[int, ...]]:
    """The weight names and shapes of idcnn.IDCNNTagger built with these settings."""
    shapes, width = _embedding_shapes(c, bigrams_per_step=1)
    shapes.update({"first.weight": (c.channels, width, 3), "first.bias": (c.channels,)})
    if c.marker_ids:
        shapes["standard_embed.weight"] = (len(c.marker_ids) + 1, c.channels)
    if c.context:
        shapes.update({"context.weight": (c.channels, c.channels), "context.bias": (c.channels,)})
    for i, _ in enumerate(c.dilations):
        shapes.update({f"block.{i}.weight": (c.channels, c.channels, 3), f"block.{i}.bias": (c.channels,)})
    shapes.update({"output.weight": (c.num_tags, c.channels), "output.bias": (c.num_tags,)})
    return shapes
