"""The one table of networks a model file may hold: name -> settings, weight shapes, torch class,
numpy class.

A model file names its network in config["network"] (files without the key hold a BiLSTM).
Loading, checking, distillation, training, `summary` and `explain` all look the network up here,
so a new network is its own module and one row below, and an unknown name is one error message.
The row names each part by import path ("module:name"), imported on first use: looking a network
up imports nothing, and the numpy engine never imports torch.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from .configs import SavedConfig
from .errors import ModelFileError

DEFAULT = "bilstm"  # the network of a file without config["network"]
# Engine "auto" (the API's AutoNetwork and `tagger segment`'s choice, tagger/engine.py): the
# characters from which torch's layers overtake numpy's, its import (about a second) counted.
# The fast ID-CNN, `tagger segment --model fast` on the PKU test text x10 and x100 (2 threads,
# idle): numpy 5.8 s and 56.2 s, torch 6.7 s and 50.8 s, so torch pays from about 4M characters.
# The BiLSTM's numpy form is the slower by more (x10: numpy 25.3 s, torch 11.5 s); the command
# line's earlier rule (numpy under 256 kB, about 85k characters) stands for it.
BILSTM_TORCH_FROM = 85_000
IDCNN_TORCH_FROM = 4_000_000
BYTES_PER_CHAR = 3  # UTF-8 Chinese text, for rules on a file's size


@dataclass(frozen=True)
class Network:
    name: str
    config_path: str     # "module:Class" of its settings (a configs.SavedConfig dataclass)
    shapes_path: str     # "module:function": settings -> {weight name: shape}, to check a file before loading it
    torch_path: str      # the torch network (an nn.Module built from the settings)
    numpy_path: str      # the numpy engine's network, built from (config dict, weights)
    summary: str         # one line for help texts
    recurrent: bool      # has LSTM states for `tagger explain` to show
    torch_from_chars: int | None  # engine "auto": torch once this many characters were tagged (None: never)

    @property
    def config_class(self) -> type[SavedConfig]:
        return _import(self.config_path)

    def shapes(self, config: SavedConfig) -> dict:
        """Weight name -> shape of the network these settings build."""
        return _import(self.shapes_path)(config)

    def torch_class(self) -> type:
        """The torch network (imports torch)."""
        return _import(self.torch_path)

    def numpy_class(self) -> type:
        """The numpy engine's network (no torch)."""
        return _import(self.numpy_path)

    def config(self, data: dict) -> SavedConfig:
        """The settings object of a file's config dict (unknown keys ignored)."""
        return self.config_class.from_dict(data)


def _import(path: str) -> Any:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


NETWORKS: dict[str, Network] = {
    "bilstm": Network("bilstm", "tagger.configs:ModelConfig", "tagger.configs:bilstm_shapes",
                      "tagger.model:BiLSTMTagger", "tagger.lite:NumpyBiLSTM",
                      "stacked BiLSTM (tagger/model.py)", recurrent=True, torch_from_chars=BILSTM_TORCH_FROM),
    "idcnn": Network("idcnn", "tagger.configs:IDCNNConfig", "tagger.configs:idcnn_shapes",
                     "tagger.idcnn:IDCNNTagger", "tagger.lite:NumpyIDCNN",
                     "iterated dilated CNN, parallel over time (tagger/idcnn.py)", recurrent=False,
                     torch_from_chars=IDCNN_TORCH_FROM),
}


def get(name: object, where: str = "") -> Network:
    """The network called `name`; an unknown one is a one-line ModelFileError (`where`: the file)."""
    if isinstance(name, str) and name in NETWORKS:
        return NETWORKS[name]
    prefix = f"{where}: " if where else ""
    raise ModelFileError(f"{prefix}unknown network {name!r} (known: {', '.join(NETWORKS)}; "
                         "a file from a newer tagger?)")


def of_config(config: dict, where: str = "") -> Network:
    """The network a file's config dict describes."""
    return get(config.get("network", DEFAULT), where)


def of_model(model) -> Network:
    """The network of a built model (torch or numpy), from its settings."""
    config = model.config if isinstance(model.config, dict) else model.config.to_dict()
    return of_config(config)
