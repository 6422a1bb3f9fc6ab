"""Checks of a model file's payload, the same for both formats, before a network is built from it.

A reader (tagger/modelfile.py, tagger/legacy.py) checks the bytes: digest or CRCs, offsets,
sizes. This checks the meaning: the task and its tag scheme, the config's fields (type, range),
the vocabularies' sizes against the config, each weight's name, shape and dtype against what
the network's config builds (tagger/networks.py), and that every weight is finite. Any failure
is a one-line ModelFileError naming the file, never a KeyError from deep inside a network, and
never a model that loads and then tags nonsense (NaN weights split every character apart).
"""
from __future__ import annotations

import os

import numpy as np

from . import networks
from .configs import config_problem
from .errors import ModelFileError, TaggerError
from .tags import scheme_from_dict
from .tasks import TASKS
from .vocab import Lines

OLD_TASK_NAMES = {"segmentation": "seg"}  # files written before tasks


def check_payload(payload: dict, path: str | os.PathLike, file_size: int) -> dict:
    """The payload, its task name normalized, once every part is checked; else ModelFileError."""
    problem = payload_problem(payload, file_size)
    if problem:
        kind = "" if problem.startswith("unknown") else "damaged model file: "
        raise ModelFileError(f"{path}: {kind}{problem}")
    return payload


def payload_problem(payload: dict, file_size: int) -> str | None:
    """What is wrong with a payload (None: nothing), in the order a reader would trip on it."""
    for key, kind in (("config", dict), ("vocab", dict), ("tags", list), ("state_dict", dict)):
        if not isinstance(payload.get(key), kind):
            return f"{key} is missing or not a {kind.__name__}"
    if not isinstance(payload.setdefault("metadata", {}), dict):
        return "metadata is not a mapping"
    payload["task"] = OLD_TASK_NAMES.get(payload.get("task"), payload.get("task"))
    if payload["task"] not in TASKS:
        return f"unknown task {payload['task']!r} (from a newer tagger?)"
    config = payload["config"]
    name = config.get("network", networks.DEFAULT)
    if name not in networks.NETWORKS:
        return f"unknown network {name!r} (known: {', '.join(networks.NETWORKS)}; from a newer tagger?)"
    network = networks.NETWORKS[name]
    return (config_problem(network.config_class, config)
            or _strings_problem(payload, file_size)
            or tags_problem(payload["task"], payload["tags"], config, payload.get("scheme"))
            or _vocab_problem(payload["vocab"], config)
            or _weights_problem(payload["state_dict"], network.shapes(network.config(config))))


def _strings_problem(payload: dict, file_size: int) -> str | None:
    """Every word list a list of strings, their total length bounded by the file's size (a
    pickle can repeat one long string by reference; joining those would run away)."""
    vocab = payload["vocab"]
    lists = {"lexicon": payload.setdefault("lexicon", []), "tags": payload["tags"]}
    lists.update({f"vocab {key}": vocab.get(key, []) for key in ("chars", "bigrams", "words", "standards")})
    total = 0
    for name, items in lists.items():
        if name == "lexicon" and isinstance(items, str):  # the current format's lexicon: one line a word
            total += len(items)
            continue
        if isinstance(items, Lines):  # the current format's word lists: strings by construction
            total += len(items.text)
            continue
        if not isinstance(items, (list, tuple)) or not set(map(type, items)) <= {str}:
            return f"{name} is not a list of strings"
        total += sum(map(len, items))
    dictionary = vocab.get("dictionary")
    if dictionary is not None:
        if (not isinstance(dictionary, dict) or not isinstance(dictionary.get("words"), str)
                or type(dictionary.get("max_len")) is not int or not 1 <= dictionary["max_len"] <= 1024
                or not isinstance(dictionary.get("classes"), bool)):
            return "vocab dictionary is not words (text), max_len (1..1024) and classes (true/false)"
        total += len(dictionary["words"])
    if total > file_size:
        return f"its word lists hold {total} characters, more than the file's {file_size} bytes"
    return None


def tags_problem(task: str, tags: list, config: dict, scheme: dict | None = None) -> str | None:
    """Whether `tags` are exactly the tag set of the file's scheme (tags.py: the one it names, or
    its task's) for the labels they carry, one per network output."""
    if len(tags) != config.get("num_tags", 4):
        return f"{len(tags)} tags for a network with {config.get('num_tags', 4)} outputs"
    try:
        rules = scheme_from_dict(scheme, task)
    except (TaggerError, KeyError, TypeError):
        return f"unknown tag scheme {scheme!r}"
    labels = sorted({tag.partition("-")[2] for tag in tags if "-" in tag}) if rules.typed else []
    if len(set(tags)) != len(tags) or set(tags) != set(rules.tag_set(labels)):
        return f"tags {_short(tags)} are not a {rules.name} tag set"
    return None


def _short(items: list) -> str:
    return str(items) if len(items) <= 8 else f"{items[:8]}..."[:-4] + ", ...]"


def _vocab_problem(vocab: dict, config: dict) -> str | None:
    words = config.get("units", "chars") == "words"
    sizes = ({"words": config.get("char_vocab", 0), "chars": config.get("word_char_vocab", 0)} if words else
             {"chars": config.get("char_vocab", 0)})
    if not words and config.get("bigram_dim", 50) > 0:
        sizes["bigrams"] = config.get("bigram_vocab", 0)
    for key, size in sizes.items():
        if len(vocab.get(key, ())) != size:
            return f"vocab {key} has {len(vocab.get(key, ()))} entries, the network {size}"
    if words and type(vocab.get("max_word_chars")) is not int:
        return "vocab max_word_chars is not an integer"
    if not words and not isinstance(vocab.get("classes", False), bool):
        return "vocab classes is not true or false"
    bits = config.get("dictionary_bits", 0)
    dictionary = vocab.get("dictionary")
    if bits and (dictionary is None or 2 * (dictionary["max_len"] - 1) != bits):
        return f"config dictionary_bits = {bits} does not fit the vocab's dictionary"
    standards = vocab.get("standards", [])
    default = vocab.get("default_standard")
    if standards and (default not in standards or type(vocab.get("standard_base")) is not int):
        return "vocab default_standard or standard_base does not fit its standards"
    if not standards and config.get("marker_ids"):
        return "config marker_ids without vocab standards"
    return None


_EXPONENT_BITS = {2: 0x7C00, 4: 0x7F800000, 8: 0x7FF0000000000000}  # by item size: float16, 32, 64
FINITE_CHUNK = 1 << 18


def all_finite(array: np.ndarray) -> bool:
    """Whether no value of a float array is NaN or infinite, read from its bits: an IEEE float is
    not finite exactly when its exponent bits are all ones. Why not np.isfinite: on float16
    (the shipped models' embedding tables) it converts every value first, and took a quarter of
    opening a model; a masked maximum over the same bits as unsigned integers is ten times faster.
    Read in pieces of FINITE_CHUNK values, so the check adds a few MB at most to a model's load."""
    bits = _EXPONENT_BITS.get(array.dtype.itemsize)
    if array.dtype.kind != "f" or bits is None:
        return bool(np.isfinite(array).all())
    unsigned = array.reshape(-1).view(array.dtype.str.replace("f", "u"))  # the same bytes, in the same order
    return all((unsigned[at:at + FINITE_CHUNK] & bits).max() < bits for at in range(0, unsigned.size, FINITE_CHUNK))


def _weights_problem(state: dict, shapes: dict[str, tuple]) -> str | None:
    """Every weight present with its shape, a float array, and finite; no stray weights."""
    missing = [name for name in shapes if name not in state]
    if missing:
        return f"weight {missing[0]!r} is missing"
    stray = [name for name in state if name not in shapes]
    if stray:
        return f"weight {stray[0]!r} belongs to no layer of this network"
    for name, shape in shapes.items():
        array = state[name]
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
            return f"weight {name!r} is not an array of floats"
        if array.shape != tuple(shape):
            return f"weight {name!r} has shape {list(array.shape)}, the config makes it {list(shape)}"
        if not all_finite(array):
            return f"weight {name!r} holds NaN or infinite values"
    return None
