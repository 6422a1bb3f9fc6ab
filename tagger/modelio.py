"""One self-contained model file: config, vocabularies, weights and metadata.

The file is one safetensors file, with the rest as JSON in its header (tagger/modelfile.py,
docs/model.md); files of the first format, a `torch.save` zip, are still read, with the same
checks (tagger/legacy.py), and `tagger upgrade` rewrites them. Every file is checked before
anything is built from it (tagger/modelcheck.py): a damaged or hostile file is a one-line
ModelFileError, never a crash, and no pickle is ever loaded by torch. Writes go through
tagger/files.py (a temp file renamed into place), so a crash never leaves half a model behind.

torch is imported only where a function needs it: `load_model(path, engine="numpy")` reads and
runs the model without torch (tagger/lite.py), for a fast start.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from . import legacy, modelfile, networks
from .files import atomic_write_bytes
from .version import __version__
from .encode import encoder_from_dict
from .engine import AutoNetwork, choose_precision
from .errors import ModelFileError, TaggerError
from .memory import release_free_memory
from .modelcheck import check_payload
from .pipeline import Tagger
from .tags import scheme_from_dict, scheme_to_dict
from .tasks import Task

FORMAT = modelfile.FORMAT
FORMAT_VERSION = modelfile.FORMAT_VERSION
DATA = Path(__file__).parent / "data"
# The shipped models, by the names every command and `load` accept for a model file:
SHIPPED = {
    "default": DATA / "default.model",  # multi-criteria BiLSTM segmenter
    "fast": DATA / "fast.model",        # a small student distilled from the default (docs/speed.md)
    "pos": DATA / "pos.model",          # joint segmentation + POS (tagger.posseg)
    "ner": DATA / "ner.model",          # named entities (tagger.ner)
}


def looks_like_model_file(path: str | os.PathLike) -> bool:
    """A cheap first check (the first bytes of either format) before the real load; False for unreadable paths."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(10)
    except OSError:
        return False
    return head.startswith(legacy.ZIP_MAGIC) or modelfile.looks_like(head)


def resolve(path: str | os.PathLike) -> str | os.PathLike:
    """A model file's path: a name in SHIPPED ("default", "fast", "pos", "ner") is that shipped
    model unless a file of that name exists here; a missing shipped model is a one-line error."""
    if isinstance(path, str) and path in SHIPPED and not os.path.exists(path):
        shipped = Path(SHIPPED[path])
        if not shipped.exists():
            raise ModelFileError(f"the shipped {path} model ({shipped}) is missing from this installation; "
                                 "reinstall tagger or give a model file")
        return shipped
    return path


def is_model_name(item: str) -> bool:
    """Whether a command-line argument names a model: a shipped name, or a model file."""
    return item in SHIPPED or looks_like_model_file(item) or item.endswith(".model")


def engine_threshold(path) -> int | None:
    """For `engine.choose_engine`: the input size in bytes from which torch is faster for the
    model's network (networks.py; None: never; 0 for a word-level model, which only torch
    runs), read from the file's header alone (an ensemble, an old-format file or an unreadable
    one: the general rule, AUTO_NUMPY_BYTES)."""
    from .engine import AUTO_NUMPY_BYTES
    if isinstance(path, (list, tuple)):
        path = path[0] if len(path) == 1 else None
    try:
        config = modelfile.peek_config(resolve(SHIPPED["default"] if path is None else path))
    except ModelFileError:
        return AUTO_NUMPY_BYTES  # the load reports it
    if (config or {}).get("units", "chars") != "chars":
        return 0
    name = (config or {}).get("network", networks.DEFAULT)
    known = networks.NETWORKS.get(name) if isinstance(name, str) else None
    if known is None:
        return AUTO_NUMPY_BYTES
    chars = known.torch_from_chars
    return None if chars is None else chars * networks.BYTES_PER_CHAR


def load_ensemble(paths: Sequence[str | os.PathLike], engine: str = "torch", precision: str = "float32") -> Tagger:
    """One `Tagger` averaging the model files `paths` (two or more, trained alike: tagger/ensemble.py)."""
    from .ensemble import ensemble_of
    return ensemble_of(paths, [load_model(path, engine, precision) for path in paths])


def load(path: "str | os.PathLike | Sequence[str | os.PathLike] | None" = None, engine: str = "auto",
         threads: "int | None" = None, precision: str = "auto") -> Tagger:
    """A `Tagger` (tagger/pipeline.py) from a model file (the shipped default model when path is
    None), or from a list of model files trained alike: an ensemble, the mean of their tag
    probabilities. The names in SHIPPED ("default", "fast", "pos", "ner") name the shipped models.

    engine="auto" starts on the numpy engine (no torch import: a first call on a sentence takes
    milliseconds) and moves to torch once enough text was tagged that torch is faster for this
    network (engine.AutoNetwork); both in float32, so the words are the same either way.
    engine="numpy" never imports torch; engine="torch" always does (training, export, GPU).
    threads caps the engine's thread pools; None takes the cores free now (TAGGER_THREADS
    overrides), so a busy machine does not slow segmentation down many times (tagger/threads.py).
    precision (torch engine): "auto" runs a BiLSTM in bfloat16 where the CPU computes it natively
    (about 1.5 times as fast; the words differ on about 1% of lines), else float32; "float32"
    gives the same words on every machine (tagger/engine.py, docs/speed.md). With engine="auto",
    "auto" is float32 (the numpy engine's), and "bfloat16" takes the torch engine."""
    from .threads import set_threads
    if engine == "auto" and (precision == "bfloat16" or isinstance(path, (list, tuple)) and len(path) > 1):
        engine = "torch"  # bfloat16 is torch's alone; ensembles choose per member
    set_threads(threads, "numpy" if engine == "auto" else engine)
    if isinstance(path, (list, tuple)):
        if len(path) > 1:
            return load_ensemble(path, engine, precision)
        path = path[0] if path else None
    return load_model(SHIPPED["default"] if path is None else path, engine, precision)


def to_payload(tagger: Tagger, half: bool = False) -> dict:
    """What a model file holds, its weights as numpy arrays (float16 with half=True)."""
    import torch

    def stored(tensor):
        tensor = tensor.detach().cpu()
        if tensor.is_floating_point():
            tensor = tensor.half() if half else tensor.float() if tensor.dtype == torch.bfloat16 else tensor
        return tensor.numpy().copy()

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "task": tagger.task.name,  # seg | pos | ner
        "scheme": scheme_to_dict(tagger.task.scheme),
        "config": tagger.model.config.to_dict(),
        "vocab": tagger.encoder.to_dict(),
        "tags": list(tagger.tags),
        "state_dict": {name: stored(tensor) for name, tensor in tagger.model.state_dict().items()},
        "lexicon": sorted(tagger.lexicon),
        "metadata": {**tagger.metadata, "tagger_version": __version__},
    }


def round_to_half(tagger: Tagger) -> None:
    """Round the weights to float16 precision in place, so scores measured before saving with
    half=True are exactly what the saved file gives."""
    import torch
    with torch.no_grad():
        for tensor in tagger.model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())


def save_model(tagger: Tagger, path: str | os.PathLike, half: bool = False) -> None:
    """Write the model atomically; half=True stores float weights as float16 (half the size)."""
    write_payload(to_payload(tagger, half), path)


def write_payload(payload: dict, path: str | os.PathLike, int8: tuple[str, ...] = ()) -> None:
    """Write a payload (numpy weights) as a model file of the current format, atomically; the
    2-D tables named in `int8` stored as int8 rows (tagger/modelfile.py)."""
    data = modelfile.to_bytes(payload, int8)
    atomic_write_bytes(path, lambda handle: handle.write(data))


def upgrade(source: str | os.PathLike, target: str | os.PathLike) -> dict:
    """Rewrite a model file (either format) in the current one, checked on the way in and read
    back before returning; the payload written is returned."""
    payload = read_payload(source)
    # the vocabularies as this version writes them: the dictionary's words normalized under the
    # rules in force, and marked so, which a load then need not repeat (dictionary.py)
    payload["vocab"] = encoder_from_dict(payload["vocab"]).to_dict()
    write_payload(payload, target)
    return read_payload(target)


def read_payload(path: str | os.PathLike) -> dict:
    """A model file's payload (weights as numpy arrays), every part checked; else ModelFileError."""
    path = resolve(path)
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such model file")
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a directory, not a model file")
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(10)
            if modelfile.looks_like(head):
                handle.seek(0)
                data = handle.read(size)  # weights are read-only views of these bytes (torch copies its own)
                if len(data) != size:
                    raise ModelFileError(f"{path}: changed while being read")
                payload = modelfile.read(path, data)
            elif head.startswith(legacy.ZIP_MAGIC):
                payload = legacy.read(path)
            else:
                raise ModelFileError(f"{path}: not a tagger model file")
    except (MemoryError, OSError) as err:  # the environment failed, not the file
        raise ModelFileError(f"{path}: could not be read: {type(err).__name__}: {err}") from None
    return check_payload(payload, path, size)


def load_model(path: str | os.PathLike, engine: str = "torch", precision: str = "float32") -> Tagger:
    """Load a model file (either format), checked before anything is built from it.

    engine: "torch" (train, export, GPU) or "numpy" (inference only, no torch import: starts in
    a fraction of the time and memory; the same output). precision: what a BiLSTM computes in on
    the CPU, float32 unless asked (engine.choose_precision; `tagger.load` asks for "auto").
    """
    if engine not in ("torch", "numpy", "auto"):
        raise TaggerError(f"unknown engine {engine!r}; choose auto, torch or numpy")
    payload = read_payload(path)
    path = resolve(path)
    config, state = payload["config"], payload["state_dict"]
    choose_precision(precision)  # a one-line error for an unknown one, whatever the engine
    automatic = engine == "auto"
    if automatic:  # float32 on both, so the words do not depend on the engine that ran
        numpy_runs = config.get("units", "chars") == "chars" and precision != "bfloat16"
        engine, precision = ("numpy", "float32") if numpy_runs else ("torch", precision)
    precision = choose_precision(precision, engine)
    if engine == "numpy" and config.get("units", "chars") != "chars":
        raise ModelFileError(f"{path}: a word-level model; the numpy engine runs character models only "
                             "(use --engine torch)")
    network = networks.of_config(config, str(path))
    try:
        if engine == "numpy":
            model = network.numpy_class()(config, state)
        else:
            model = network.torch_class()(network.config(config))
            load_weights(model, state)
            if network.recurrent:  # the CNN student gains little from it (docs/speed.md)
                model.bfloat16_inference = precision == "bfloat16"
        if automatic and engine == "numpy":
            model = AutoNetwork(model, lambda: _torch_network(path), network.torch_from_chars)
        encoder = encoder_from_dict(payload["vocab"])
    except (KeyError, RuntimeError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: damaged model file ({type(err).__name__})") from None
    lexicon, metadata, tags = payload["lexicon"], payload["metadata"], payload["tags"]
    task = Task(payload["task"], encoder.units, scheme_from_dict(payload.get("scheme"), payload["task"]))
    del payload, state  # the file's bytes and lists of strings: freed before the heap is trimmed
    tagger = Tagger(model, encoder, tags, metadata, lexicon=lexicon, task=task)
    del lexicon
    release_free_memory()
    return tagger


def _torch_network(path: str | os.PathLike):
    """The torch network of a model file, in float32, its threads as the numpy engine's."""
    from .threads import set_threads
    set_threads(None, "torch")
    return load_model(path, "torch", "float32").model


HALF_TABLES = ("char_embed", "bigram_embed")  # the embedding tables that may stay float16


def load_weights(model, state: dict) -> None:
    """Load a file's weights (numpy arrays) into a torch network (load_state_dict casts them to
    its float32).

    The character and bigram tables stay float16 when the file stores them so: both networks
    cast the rows they look up to float32 (`embed`), which gives exactly the values a float32
    copy holds, and the tables take half the memory (9 MB less for the shipped model's 138k
    bigrams)."""
    import warnings

    import torch
    with warnings.catch_warnings():  # the arrays are read-only views of the file's bytes; load_state_dict
        warnings.simplefilter("ignore", UserWarning)  # only reads them, so no writable copy is made
        state = {name: torch.from_numpy(array) for name, array in state.items()}
    for name in HALF_TABLES:
        weight = state.get(f"{name}.weight")
        if weight is not None and weight.dtype == torch.float16:
            getattr(model, name).half()
    model.load_state_dict(state)


def read_metadata(path: str | os.PathLike) -> dict:
    """What `tagger info` shows: the file checked in full, then its task, standards, config and metadata."""
    payload = read_payload(path)
    vocab = payload["vocab"]
    return {"task": payload["task"], "standards": vocab.get("standards", []),
            "default_standard": vocab.get("default_standard"), "config": payload["config"],
            "metadata": payload["metadata"], "format_version": payload["format_version"]}
