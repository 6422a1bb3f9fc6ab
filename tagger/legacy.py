"""Model files in the first format (a `torch.save` zip), read with numpy alone and checked.

The file is torch's zip format: `archive/data.pkl` pickles plain containers whose tensors point
at raw little-endian storages `archive/data/N`. The unpickler below admits exactly the globals
such a file needs (narrower than `torch.load(weights_only=True)`), so no code in the file runs.
Both engines read old files through it (torch.load checks no CRC and has no size bounds), and
`tagger upgrade` rewrites them in the current format (tagger/modelfile.py).

Checked before anything is built: every member stored uncompressed, as torch writes it, so no
member can expand beyond the file (a zip bomb); each member's CRC (zipfile verifies it on
reading); each storage's length against its declared element count; each tensor's offset,
sizes and strides inside its storage, before any view is made of it; and the total size of the
tensors built, at most the file's size, so a file cannot make many tensors of one storage.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile
from typing import Any

import numpy as np

from .errors import ModelFileError

ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive
FORMAT_VERSION = 1
_DTYPES = {"HalfStorage": np.float16, "FloatStorage": np.float32, "DoubleStorage": np.float64,
           "LongStorage": np.int64, "IntStorage": np.int32, "BoolStorage": np.bool_, "ByteStorage": np.uint8}
MAX_DIMS = 8
GROWTH = 1  # the tensors built may total at most the file's size (each is a copy of its own storage)


class _Unpickler(pickle.Unpickler):
    def __init__(self, members: dict[str, bytes], prefix: str, budget: int):
        super().__init__(io.BytesIO(members[f"{prefix}/data.pkl"]))
        self.members, self.prefix, self.budget = members, prefix, budget
        self.storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self.rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in _DTYPES:
            return name
        raise pickle.UnpicklingError(f"unsupported object {module}.{name} in a model file")

    def persistent_load(self, pid) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and pid[1] in _DTYPES
                and isinstance(pid[2], str) and type(pid[4]) is int):
            raise pickle.UnpicklingError("unsupported storage reference")
        _, storage_type, key, _location, numel = pid
        if key not in self.storages:
            data = self.members.get(f"{self.prefix}/data/{key}")
            if data is None:
                raise pickle.UnpicklingError(f"storage {key} is missing from the archive")
            dtype = np.dtype(_DTYPES[storage_type]).newbyteorder("<")
            if len(data) != numel * dtype.itemsize:
                raise pickle.UnpicklingError(f"storage {key} holds {len(data)} bytes, not {numel} elements")
            self.storages[key] = np.frombuffer(data, dtype=dtype)
        return self.storages[key]

    def rebuild_tensor(self, storage, offset, size, stride, *_ignored) -> np.ndarray:
        """torch._utils._rebuild_tensor_v2, with every number checked against the storage first."""
        if (not isinstance(storage, np.ndarray) or type(offset) is not int or not isinstance(size, tuple)
                or not isinstance(stride, tuple) or len(size) != len(stride) or len(size) > MAX_DIMS
                or any(type(n) is not int or n < 0 for n in size + stride) or offset < 0):
            raise pickle.UnpicklingError("a tensor with invalid sizes, strides or offset")
        count = int(np.prod(size, dtype=object)) if size else 1
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if count else offset - 1
        if last >= len(storage):
            raise pickle.UnpicklingError(f"a tensor reaches element {last} of a storage of {len(storage)}")
        self.budget -= count * storage.itemsize
        if self.budget < 0:
            raise pickle.UnpicklingError("the tensors declared add up to far more than the file holds")
        if not size:
            return storage[offset:offset + 1].reshape(()).copy()
        strides = [s * storage.itemsize for s in stride]
        return np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=strides).copy()


def read(path: str | os.PathLike) -> dict:
    """The payload of a first-format file, tensors as numpy arrays; errors are ModelFileError."""
    size = os.path.getsize(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if any(m.compress_type != zipfile.ZIP_STORED for m in members) or \
                    sum(m.file_size for m in members) > size:
                raise ModelFileError(f"{path}: not a tagger model file (compressed zip members: "
                                     "torch.save stores them uncompressed)")
            pickled = [m.filename for m in members if m.filename.endswith("/data.pkl")]
            if len(pickled) != 1:
                raise ModelFileError(f"{path}: not a tagger model file (no single data.pkl in the archive)")
            prefix = pickled[0][:-len("/data.pkl")]
            contents = {m.filename: archive.read(m) for m in members}  # each member's CRC is checked here
        payload = _Unpickler(contents, prefix, GROWTH * size).load()
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, pickle.UnpicklingError, EOFError, KeyError,
            ValueError, TypeError, IndexError, AttributeError, RecursionError, OverflowError) as err:
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelFileError(f"{path}: damaged or not a tagger model file ({text})") from None
    if not isinstance(payload, dict) or payload.get("format") != "tagger-model":
        raise ModelFileError(f"{path}: not a tagger model file")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {payload.get('format_version')!r} "
                             f"is not supported (this tagger reads versions 1 and 2)")
    return payload
