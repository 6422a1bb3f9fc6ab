"""The one table of networks a model file may hold: name -> settings, torch class, numpy class.

A model file names its network in config["network"] (files without the key hold a BiLSTM).
Loading, distillation, training, `summary` and `explain` all look the network up here, so a new
network is one row below, and an unknown name is one error message. The torch and numpy classes
are named by import path and imported on first use: looking a network up never imports torch.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from typing import Callable

from .configs import IDCNNConfig, ModelConfig, SavedConfig, bilstm_shapes, idcnn_shapes
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
    config_class: type[SavedConfig]
    torch_path: str      # "module:Class", imported by torch_class()
    numpy_path: str      # the numpy engine's class (tagger/lite.py)
    summary: str         # one line for help texts
    recurrent: bool      # has LSTM states for `tagger explain` to show
    shapes: Callable[[SavedConfig], dict]  # weight name -> shape, for checking a file before loading it
    torch_from_chars: int | None  # engine "auto": torch once this many characters were tagged (None: never)

    def torch_class(self) -> type:
        """The torch network (imports torch)."""
        return _import(self.torch_path)

    def numpy_class(self) -> type:
        """The numpy engine's network (no torch)."""
        return _import(self.numpy_path)

    def config(self, data: dict) -> SavedConfig:
        """The settings object of a file's config dict (unknown keys ignored)."""
        return self.config_class.from_dict(data)


def _import(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


NETWORKS: dict[str, Network] = {
    "bilstm": Network("bilstm", ModelConfig, "tagger.model:BiLSTMTagger", "tagger.lite:NumpyBiLSTM",
                      "stacked BiLSTM (tagger/model.py)", recurrent=True, shapes=bilstm_shapes,
                      torch_from_chars=BILSTM_TORCH_FROM),
    "idcnn": Network("idcnn", IDCNNConfig, "tagger.idcnn:IDCNNTagger", "tagger.lite:NumpyIDCNN",
                     "iterated dilated CNN, parallel over time (tagger/idcnn.py)", recurrent=False,
                     shapes=idcnn_shapes, torch_from_chars=IDCNN_TORCH_FROM),
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
