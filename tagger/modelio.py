"""One self-contained model file: config, vocabularies, weights and metadata.

The file is a `torch.save` of plain containers (dicts, lists, strings, numbers, tensors), so
`torch.load(path, weights_only=True)` reads it without running any pickled code. Writes go through
tagger/atomic.py (a temp file renamed into place), so a crash never leaves half a model behind.

torch is imported only where a function needs it: `load_model(path, engine="numpy")` reads the
same file without torch (tagger/lite.py), for a fast start.
"""
from __future__ import annotations

import os
from typing import Callable

from . import __version__, networks
from .atomic import atomic_write_bytes
from .encode import encoder_from_dict
from .engine import choose_precision
from .errors import ModelFileError, TaggerError
from .memory import release_free_memory
from .pipeline import Tagger
from .tasks import TASKS

ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive


def looks_like_model_file(path: str | os.PathLike) -> bool:
    """A cheap first check (zip signature) before the real load; False for unreadable paths."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == ZIP_MAGIC
    except OSError:
        return False


FORMAT = "tagger-model"
FORMAT_VERSION = 1
SHIPPED = {"default": "default.model", "fast": "fast.model"}  # names for the models in tagger/data


def resolve(path: str | os.PathLike) -> str | os.PathLike:
    """A model file's path: "default" and "fast" name the shipped models (tagger/data) unless a
    file of that name exists here; a missing shipped model is a one-line error."""
    if isinstance(path, str) and path in SHIPPED and not os.path.exists(path):
        shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", SHIPPED[path])
        if not os.path.exists(shipped):
            raise ModelFileError(f"the shipped {path} model ({shipped}) is missing from this installation; "
                                 "reinstall tagger or give a model file")
        return shipped
    return path


def to_payload(segmenter: Tagger, half: bool = False) -> dict:
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().clone()
             for k, v in segmenter.model.state_dict().items()}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "task": segmenter.task.name,  # seg | pos | ner
        "config": segmenter.model.config.to_dict(),
        "vocab": segmenter.encoder.to_dict(),
        "tags": list(segmenter.tags),
        "state_dict": state,
        "lexicon": sorted(segmenter.lexicon),
        "metadata": {**segmenter.metadata, "tagger_version": __version__},
    }


def round_to_half(segmenter: Tagger) -> None:
    """Round the weights to float16 precision in place, so scores measured before saving with
    half=True are exactly what the saved file gives."""
    import torch
    with torch.no_grad():
        for tensor in segmenter.model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())


def save_model(segmenter: Tagger, path: str | os.PathLike, half: bool = False) -> None:
    """Write the model atomically; half=True stores float weights as float16 (half the size)."""
    import torch
    payload = to_payload(segmenter, half)
    atomic_write_bytes(path, lambda handle: torch.save(payload, handle))


def _torch_load(path: str | os.PathLike) -> dict:
    import torch
    return torch.load(path, map_location="cpu", weights_only=True)


def _first_line(error: BaseException) -> str:
    """The whole first line of an error's message (never cut mid-word), or its type's name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _read_payload(path: str | os.PathLike, loader: Callable[[str | os.PathLike], dict] = _torch_load) -> dict:
    path = resolve(path)
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such model file")
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a directory, not a model file")
    if not looks_like_model_file(path):
        raise ModelFileError(f"{path}: not a tagger model file")
    try:
        payload = loader(path)
    except (ImportError, MemoryError, OSError) as err:  # the environment failed, not the file
        raise ModelFileError(f"{path}: could not be loaded: {type(err).__name__}: {_first_line(err)}") from None
    except Exception as err:  # torch raises many types for a bad file
        raise ModelFileError(f"{path}: not a tagger model file (corrupt or wrong format: "
                             f"{type(err).__name__}: {_first_line(err)})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a tagger model file")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {payload.get('format_version')} "
                             f"is not supported by tagger {__version__} (reads version {FORMAT_VERSION})")
    return payload


def load_model(path: str | os.PathLike, engine: str = "torch", precision: str = "float32") -> Tagger:
    """Load a model file written by `save_model`, with clear errors for bad files.

    engine: "torch" (train, export, GPU) or "numpy" (inference only, no torch import: starts in
    a fraction of the time and memory; the same output). precision: what a BiLSTM computes in on
    the CPU, float32 unless asked (engine.choose_precision; `tagger.load` asks for "auto").
    """
    if engine not in ("torch", "numpy"):
        raise TaggerError(f"unknown engine {engine!r}; choose torch or numpy")
    precision = choose_precision(precision, engine)
    if engine == "numpy":
        from . import lite
        payload = _read_payload(path, lite.read_payload)
    else:
        payload = _read_payload(path)
    if engine == "numpy" and payload.get("config", {}).get("units", "chars") != "chars":
        raise ModelFileError(f"{path}: a word-level model; the numpy engine runs character models only "
                             "(use --engine torch)")
    try:
        network = networks.of_config(payload["config"], str(path))
        if engine == "numpy":
            model = network.numpy_class()(payload["config"], payload["state_dict"])
        else:
            model = network.torch_class()(network.config(payload["config"]))
            load_weights(model, payload["state_dict"])
            if network.recurrent:  # the CNN student gains little from it (docs/speed.md)
                model.bfloat16_inference = precision == "bfloat16"
        encoder = encoder_from_dict(payload["vocab"])
    except (KeyError, RuntimeError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: damaged model file ({type(err).__name__})") from None
    task = {"segmentation": "seg"}.get(payload.get("task"), payload.get("task"))  # files before tasks
    if task not in TASKS:
        raise ModelFileError(f"{path}: unknown task {task!r} (from a newer tagger?)")
    lexicon, metadata, tags = payload.get("lexicon", ()), payload.get("metadata", {}), payload["tags"]
    del payload  # the file's float16 weights and lists of strings: freed before the heap is trimmed
    tagger = Tagger(model, encoder, tags, metadata, lexicon=lexicon, task=task)
    del lexicon
    release_free_memory()
    return tagger


HALF_TABLES = ("char_embed", "bigram_embed")  # the embedding tables that may stay float16


def load_weights(model, state: dict) -> None:
    """Load a file's weights into a torch network (load_state_dict casts them to its float32).

    The character and bigram tables stay float16 when the file stores them so: both networks
    cast the rows they look up to float32 (`embed`), which gives exactly the values a float32
    copy holds, and the tables take half the memory (9 MB less for the shipped model's 138k
    bigrams)."""
    import torch
    for name in HALF_TABLES:
        weight = state.get(f"{name}.weight")
        if weight is not None and weight.dtype == torch.float16:
            getattr(model, name).half()
    model.load_state_dict(state)


def read_metadata(path: str | os.PathLike) -> dict:
    payload = _read_payload(path)
    vocab = payload.get("vocab", {})
    return {"task": payload.get("task"), "standards": vocab.get("standards", []),
            "default_standard": vocab.get("default_standard"), "config": payload["config"],
            "metadata": payload.get("metadata", {}), "format_version": payload["format_version"]}
