"""The model file: one safetensors file, checked byte by byte before anything is built from it.

    [8 bytes: header length N, little-endian] [N bytes: JSON header] [the weights' raw bytes]

The header is safetensors' own: each weight's dtype, shape and byte range, and `__metadata__`,
a map of strings that holds
    format          "tagger-model"
    format_version  "2", or "3" where some weights are stored as int8 rows (below)
    payload         JSON: task, config, tags, vocab, lexicon, metadata (docs/model.md)
    sha256          SHA-256 of the whole file with these 64 hex digits read as "0"s
The long word lists (characters, bigrams, the lexicon, the feature dictionary) are stored as
UTF-8 byte arrays `text/<field>` next to the weights, newline-separated, and named in the
payload's `texts`: decoding one string is many times faster than parsing a JSON list of 138k
strings, and start-up is what they cost.

A large embedding table may be stored as int8 rows, each with one float32 scale
(`<name>` int8 and `<name>.int8_scale`): a quarter of float32's bytes, half of float16's, for
the shipped NER model's 210k bigram rows. Each value then lies within half its row's scale of
what was stored (the row's largest value / 127 / 2), and reading gives the float16 table back.
Why rows in int8 rather than fewer rows: the NER model cut to its 125k most frequent bigrams, to
fit 20 MB, scored 0.9346 on MSRA NER dev against 0.9435 whole (p = 0.0001); whole in int8,
0.9431 (p = 0.49), in 18.4 MB.

Why safetensors with its metadata header rather than a second container: one standard file that
any safetensors tool lists, no pickle anywhere (torch.load's unpickler took a second on the
default model, and invited `weights_only=False` on errors), and one parse gives every offset.
The file is written with the `safetensors` library. It is read here, with numpy alone, because
every offset, size and dtype must be checked before an array is built, against the file's own
size (a header cannot declare more than the file holds), and the digest verified before anything
read leaves the reader (computed beside the parsing, in a thread), so a
flipped byte anywhere is refused. The weights are then views into the bytes read (no copy).
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import threading

import numpy as np

from .errors import ModelFileError
from .vocab import Lines

FORMAT = "tagger-model"
FORMAT_VERSION = 2
INT8_VERSION = 3  # version 2 with int8 rows: written only where a file holds them, so older readers
READ_VERSIONS = (FORMAT_VERSION, INT8_VERSION)  # refuse such a file by its version, not as damaged
INT8_SCALE = ".int8_scale"  # the suffix of an int8 table's scales, one a row
DIGEST_KEY = "sha256"
_DIGEST_FIELD = b'"sha256":"'  # inside the header JSON: only the metadata key can read so (payload quotes are escaped)
_ZERO_DIGEST = "0" * 64
DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32,
          "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_FLOAT16_MAX = float(np.finfo(np.float16).max)
DEQUANTIZE_ROWS = 1 << 14  # rows turned back to float16 at a time: a few MB of float32 at most
MAX_DIMS = 4
TEXT_FIELDS = ("vocab/chars", "vocab/bigrams", "vocab/words", "vocab/dictionary/words", "lexicon")
TEXT_PREFIX = "text/"
KEPT_JOINED = ("lexicon",)  # read back as the one newline-joined string (pipeline.Tagger keeps it so)
THREADED_DIGEST_BYTES = 1 << 20  # files from this size are hashed in a thread beside the parsing


def looks_like(head: bytes) -> bool:
    """Whether a file's first bytes (at least 10) can begin this format: a length, then a JSON object."""
    return len(head) >= 10 and head[8:10] in (b'{"', b"{ ")


# -- writing ---------------------------------------------------------------------------------
def to_bytes(payload: dict, int8: tuple[str, ...] = ()) -> bytes:
    """The file's bytes for a payload (its "state_dict": name -> numpy array), digest included;
    the 2-D float tables named in `int8` stored as int8 rows (see the module's docstring)."""
    import safetensors.numpy
    tensors = {name: np.ascontiguousarray(array) for name, array in payload["state_dict"].items()}
    for name in int8:
        tensors[name], tensors[name + INT8_SCALE] = int8_rows(tensors[name])
    fields = {key: value for key, value in payload.items() if key not in ("state_dict", "format", "format_version")}
    fields["texts"] = _texts_out(fields, tensors)
    version = INT8_VERSION if int8 else FORMAT_VERSION
    metadata = {"format": FORMAT, "format_version": str(version),
                "payload": json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
                DIGEST_KEY: _ZERO_DIGEST}
    data = _canonical(safetensors.numpy.save(tensors, metadata=metadata))
    start = _digest_start(data, "(being written)")
    data[start:start + 64] = hashlib.sha256(data).hexdigest().encode()
    return bytes(data)


def int8_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 rows, float32 scale of each row) of a 2-D float table: each row divided by its
    largest absolute value / 127 and rounded to the nearest integer (an all-zero row: scale 1)."""
    if table.ndim != 2 or table.dtype.kind != "f":
        raise ValueError(f"int8 rows need a 2-D float table, not {table.dtype} of shape {table.shape}")
    values = table.astype(np.float32)
    scale = np.abs(values).max(axis=1, initial=0.0) / 127
    scale[scale == 0] = 1.0
    return np.rint(values / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def _canonical(data: bytes) -> bytearray:
    """The same file with its header's keys in sorted order: the library writes its metadata
    in hash order, which differs from run to run; sorted, one model always gives the same bytes."""
    (length,) = struct.unpack_from("<Q", data, 0)
    header = json.dumps(json.loads(data[8:8 + length]), ensure_ascii=False, separators=(",", ":"),
                        sort_keys=True).encode()
    header += b" " * (-len(header) % 8)  # the weights stay 8-byte aligned, as safetensors keeps them
    return bytearray(struct.pack("<Q", len(header)) + header + data[8 + length:])


def _texts_out(fields: dict, tensors: dict) -> dict[str, str]:
    """Move the long word lists out of the JSON into UTF-8 arrays; returns field -> "lines" | "text"."""
    texts = {}
    for field in TEXT_FIELDS:
        *parents, key = field.split("/")
        holder = fields
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        value = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(value, Lines):
            kind, value = "lines", value.text
        elif isinstance(value, str):
            kind = "lines" if field in KEPT_JOINED else "text"
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) and v and "\n" not in v for v in value):
            kind, value = "lines", "\n".join(value)
        else:
            continue
        tensors[TEXT_PREFIX + field] = np.frombuffer(value.encode("utf-8"), dtype=np.uint8)
        holder.pop(key)
        texts[field] = kind
    return texts


# -- reading ---------------------------------------------------------------------------------
def peek_config(path: str | os.PathLike) -> dict | None:
    """The config a file of this format states, from its header alone, unchecked: enough to
    choose an engine before the load (which checks everything); None where it cannot tell."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            (length,) = struct.unpack("<Q", head) if len(head) == 8 else (0,)
            if not 0 < length <= os.fstat(handle.fileno()).st_size:
                return None
            meta = json.loads(handle.read(length)).get("__metadata__", {})
        config = json.loads(meta.get("payload", "{}")).get("config")
    except (OSError, ValueError, AttributeError):
        return None
    return config if isinstance(config, dict) else None


def read(path: str | os.PathLike, data: bytes | bytearray) -> dict:
    """The payload of a file's bytes, every part checked: the weights as numpy views of `data`."""
    where = str(path)

    def bad(message: str) -> ModelFileError:
        return ModelFileError(f"{where}: {message}")

    if len(data) < 10:
        raise bad(f"truncated model file ({len(data)} bytes)")
    (length,) = struct.unpack_from("<Q", data, 0)
    if length > len(data) - 8:
        raise bad(f"damaged model file: its header declares {length} bytes, more than the file's {len(data)}")
    try:
        header = json.loads(bytes(data[8:8 + length]))
    except (UnicodeDecodeError, ValueError):
        raise bad("damaged model file: its header is not valid JSON (truncated or altered)") from None
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        raise bad("not a tagger model file (a safetensors file without tagger's metadata)")
    meta = header.pop("__metadata__")
    if meta.get("format") != FORMAT:
        raise bad("not a tagger model file (a safetensors file without tagger's metadata)")
    if meta.get("format_version") not in map(str, READ_VERSIONS):
        raise bad(f"model format version {meta.get('format_version')!r} is not supported "
                  f"(this tagger reads versions 1 to {max(READ_VERSIONS)})")
    digest = _DigestCheck(data, meta.get(DIGEST_KEY), where)
    try:
        arrays = _arrays(header, data, 8 + length, bad)
        try:
            fields = json.loads(meta.get("payload", ""))
        except ValueError:
            raise bad("damaged model file: its payload is not valid JSON") from None
        if not isinstance(fields, dict):
            raise bad("damaged model file: its payload is not a mapping")
        _texts_in(fields, arrays, bad)
        _int8_in(arrays, bad)
    except ModelFileError:
        digest.verify()  # an altered file is named so first, whatever else it broke
        raise
    digest.verify()
    return {**fields, "format": FORMAT, "format_version": int(meta["format_version"]), "state_dict": arrays}


def _digest_start(data: bytes | bytearray, where: str) -> int:
    (length,) = struct.unpack_from("<Q", data, 0)
    header = bytes(data[8:8 + length])
    first = header.find(_DIGEST_FIELD)
    if first < 0 or header.find(_DIGEST_FIELD, first + 1) >= 0:
        raise ModelFileError(f"{where}: damaged model file: no single digest in its header")
    return 8 + first + len(_DIGEST_FIELD)


def _digest_start_checked(data: bytes | bytearray, stated, where: str) -> int:
    """Where the header's digest digits start, after checking that they are there once and say `stated`."""
    if not isinstance(stated, str) or len(stated) != 64:
        raise ModelFileError(f"{where}: damaged model file: no SHA-256 digest in its header")
    start = _digest_start(data, where)
    if bytes(data[start:start + 64]) != stated.encode():
        raise ModelFileError(f"{where}: damaged model file: no single digest in its header")
    return start


def _digest(data: bytes | bytearray, start: int) -> str:
    """SHA-256 of the whole file, its own 64 digits read as zeros, hashed where the bytes lie."""
    view = memoryview(data)
    digest = hashlib.sha256(view[:start])
    digest.update(_ZERO_DIGEST.encode())
    digest.update(view[start + 64:])
    return digest.hexdigest()


class _DigestCheck:
    """The digest computed in a thread while the header and texts are parsed (hashlib releases
    the interpreter's lock): a third of opening the shipped model ran beside the rest. Nothing
    read from the file leaves `read` before `verify` has passed."""

    def __init__(self, data: bytes | bytearray, stated: str, where: str):
        self.stated, self.where = stated, where
        start = _digest_start_checked(data, stated, where)
        self.actual: str | None = None
        self.thread: threading.Thread | None = None
        if len(data) >= THREADED_DIGEST_BYTES:
            self.thread = threading.Thread(target=self._run, args=(data, start), daemon=True)
            self.thread.start()
        else:
            self._run(data, start)

    def _run(self, data, start) -> None:
        self.actual = _digest(data, start)

    def verify(self) -> None:
        if self.thread is not None:
            self.thread.join()
        if self.actual != self.stated:
            raise ModelFileError(f"{self.where}: damaged model file: its SHA-256 digest does not match its "
                                 "contents (altered or corrupted since it was written)")


def _arrays(header: dict, data: bytes | bytearray, base: int, bad) -> dict[str, np.ndarray]:
    """Each weight as a view of the file's bytes, after its dtype, shape and byte range are checked."""
    room = len(data) - base
    ranges, arrays = [], {}
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"damaged model file: weight {name!r} is not described by dtype, shape and data_offsets")
        dtype, shape, offsets = DTYPES.get(info["dtype"]), info["shape"], info["data_offsets"]
        if dtype is None:
            raise bad(f"damaged model file: weight {name!r} has unsupported dtype {info['dtype']!r}")
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or any(type(n) is not int or n < 0 for n in shape)):
            raise bad(f"damaged model file: weight {name!r} has an invalid shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or any(type(n) is not int for n in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= room):
            raise bad(f"damaged model file: weight {name!r} lies outside the file ({offsets!r}, {room} bytes of weights)")
        count = int(np.prod(shape, dtype=object)) if shape else 1
        if count * np.dtype(dtype).itemsize != offsets[1] - offsets[0]:
            raise bad(f"damaged model file: weight {name!r} of shape {shape} does not fill its "
                      f"{offsets[1] - offsets[0]} bytes")
        ranges.append((offsets[0], offsets[1], name))
        arrays[name] = (dtype, shape, offsets[0], count)
    ranges.sort()
    for (_, end, first), (start, _, second) in zip(ranges, ranges[1:]):
        if start < end:
            raise bad(f"damaged model file: weights {first!r} and {second!r} overlap")
    if (ranges[-1][1] if ranges else 0) != room:
        raise bad(f"damaged model file: {room} bytes of weights, but the header describes "
                  f"{ranges[-1][1] if ranges else 0} (truncated or padded)")
    return {name: np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<"), count=count,
                                offset=base + start).reshape(shape)
            for name, (dtype, shape, start, count) in arrays.items()}


def _texts_in(fields: dict, arrays: dict, bad) -> None:
    """Put the word lists stored as UTF-8 arrays back into the payload."""
    texts = fields.pop("texts", {})
    if not isinstance(texts, dict):
        raise bad("damaged model file: payload texts is not a mapping")
    for field, kind in texts.items():
        array = arrays.pop(TEXT_PREFIX + str(field), None)
        if field not in TEXT_FIELDS or kind not in ("lines", "text") or array is None or array.dtype != np.uint8:
            raise bad(f"damaged model file: text field {field!r} is missing or not a byte array")
        try:
            value = str(memoryview(array), "utf-8")  # decoded where it lies, without a copy
        except UnicodeDecodeError:
            raise bad(f"damaged model file: text field {field!r} is not UTF-8") from None
        *parents, key = field.split("/")
        holder = fields
        for parent in parents:
            holder = holder.setdefault(parent, {})
            if not isinstance(holder, dict):
                raise bad(f"damaged model file: payload {parent!r} is not a mapping")
        holder[key] = Lines(value) if kind == "lines" and field not in KEPT_JOINED else value
    stray = [name for name in arrays if name.startswith(TEXT_PREFIX)]
    if stray:
        raise bad(f"damaged model file: byte array {stray[0]!r} belongs to no field")


def _int8_in(arrays: dict, bad) -> None:
    """Turn each int8 table and its row scales back into the float16 table (in place in `arrays`)."""
    for name in [n for n in arrays if n.endswith(INT8_SCALE)]:
        table, scale = arrays.get(name[:-len(INT8_SCALE)]), arrays.pop(name)
        if table is None or table.dtype != np.int8 or table.ndim != 2:
            raise bad(f"damaged model file: {name!r} scales no int8 table")
        if scale.dtype != np.float32 or scale.shape != table.shape[:1] or not np.isfinite(scale).all():
            raise bad(f"damaged model file: {name!r} is not one finite float32 a row of its table")
        if len(scale) and np.abs(scale).max() > _FLOAT16_MAX / 127:
            raise bad(f"damaged model file: {name!r} scales values beyond float16's range")
        out = np.empty(table.shape, dtype=np.float16)
        for at in range(0, len(table), DEQUANTIZE_ROWS):
            rows = slice(at, at + DEQUANTIZE_ROWS)
            out[rows] = table[rows] * scale[rows, None]
        arrays[name[:-len(INT8_SCALE)]] = out
    unscaled = [n for n, a in arrays.items() if a.dtype == np.int8]
    if unscaled:
        raise bad(f"damaged model file: int8 weight {unscaled[0]!r} has no {INT8_SCALE[1:]}")
