"""Damaged and hostile model files, made from a good one: what tests/test_modelfile.py and
scripts/qa/hostile_models.py feed every command (out-of-range offsets and shapes, a header that
lies, truncations, flipped bytes, NaN weights, pickles that would run code, a zip bomb).
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

from tagger.modelfile import INT8_SCALE, int8_rows
from tagger.modelio import read_payload, write_payload

INT8_TABLE = "char_embed.weight"  # every network has one


def split(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack_from("<Q", data)
    return json.loads(data[8:8 + length]), data[8 + length:]


def join(header: dict, weights: bytes) -> bytes:
    """A file of this header and weights, with a correct digest."""
    header["__metadata__"]["sha256"] = "0" * 64
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    data = bytearray(struct.pack("<Q", len(text)) + text + weights)
    start = data.index(b'"sha256":"') + len(b'"sha256":"')
    data[start:start + 64] = hashlib.sha256(data).hexdigest().encode()
    return bytes(data)


def edited_header(data: bytes, edit) -> bytes:
    header, weights = split(data)
    edit(header)
    return join(header, weights)


def edited_payload(path, edit, tmp_path) -> bytes:
    payload = read_payload(path)
    edit(payload)
    out = tmp_path / "edited.model"
    write_payload(payload, out)
    return out.read_bytes()


def first_weight(header: dict) -> str:
    return min((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])


def flipped(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x10
    return bytes(out)


class _Storage:
    """Stands for a torch storage in a hand-made first-format pickle."""


def legacy_tensor_file(size: tuple, stride: tuple, offset: int = 0, numel: int = 4, stored: int = 4) -> bytes:
    """A first-format zip whose one tensor has the given size, stride and offset into a storage
    declared of `numel` float32 elements and holding `stored`: numbers a torch file hands the
    reader unchecked."""
    import torch

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", numel) if isinstance(obj, _Storage) else None

    class Tensor:
        def __reduce__(self):
            return torch._utils._rebuild_tensor_v2, (_Storage(), offset, size, stride, False, collections.OrderedDict())

    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump({"format": "tagger-model", "format_version": 1, "state_dict": {"w": Tensor()}})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/data/0", b"\0" * 4 * stored)
    return out.getvalue()


def zip_bomb(inflated: int = 64 << 20) -> bytes:
    """An old-format zip whose storage inflates to `inflated` bytes of zeros (64 MB in 64 kB),
    written in pieces so the bomb itself never sits in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"format": "tagger-model"}))
        with archive.open("archive/data/0", "w", force_zip64=True) as member:
            piece = b"\0" * (1 << 20)
            for at in range(0, inflated, len(piece)):
                member.write(piece[:inflated - at])
    return out.getvalue()


def evil_pickle() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(os.system))  # a plain pickle.load would call it
    return out.getvalue()


def crafted_files(model_file: str | os.PathLike, tmp_path: Path, bomb_bytes: int = 64 << 20) -> dict[str, bytes]:
    """One damaged or hostile file of each kind, made from a good model file: name -> bytes.
    `bomb_bytes`: what the zip bomb inflates to."""
    data = Path(model_file).read_bytes()
    header, _ = split(data)
    name = first_weight(header)
    (length,) = struct.unpack_from("<Q", data)

    def nan(payload):
        payload["state_dict"]["output.bias"] = payload["state_dict"]["output.bias"].copy()
        payload["state_dict"]["output.bias"][0] = np.nan

    def int8(scales=None, table=None):
        """A payload edit storing the character table as int8 rows, their scales replaced."""
        def edit(payload):
            state = payload["state_dict"]
            rows, scale = int8_rows(state[INT8_TABLE])
            state[INT8_TABLE] = rows if table is None else table(rows)
            if scales is not None:
                state[INT8_TABLE + INT8_SCALE] = scales(scale)
        return edit

    return {
        "offsets outside the file": edited_header(data, lambda h: h[name].update(data_offsets=[0, 1 << 40])),
        "huge declared shape": edited_header(data, lambda h: h[name].update(shape=[1 << 40, 1 << 40])),
        "huge declared header": struct.pack("<Q", 1 << 60) + data[8:],
        "shape against the config": edited_payload(model_file, lambda p: p["config"].update(char_dim=7), tmp_path),
        "tags against the scheme": edited_payload(model_file, lambda p: p.update(tags=["B", "M", "E", "X"]), tmp_path),
        "config field of the wrong type": edited_payload(model_file, lambda p: p["config"].update(layers="2"), tmp_path),
        "config as a list": edited_payload(model_file, lambda p: p.update(config=[1]), tmp_path),
        "dictionary bits out of range": edited_payload(
            model_file, lambda p: p["config"].update(dictionary_bits=1 << 40), tmp_path),
        "NaN weights": edited_payload(model_file, nan, tmp_path),
        "int8 table without its scales": edited_payload(model_file, int8(), tmp_path),
        "int8 scales of the wrong length": edited_payload(model_file, int8(lambda s: s[:-1]), tmp_path),
        "int8 scales not finite": edited_payload(model_file, int8(lambda s: np.full_like(s, np.inf)), tmp_path),
        "int8 scales that overflow float16": edited_payload(model_file, int8(lambda s: np.full_like(s, 1e30)), tmp_path),
        "int8 scales of a float table": edited_payload(
            model_file, int8(lambda s: s, lambda rows: rows.astype(np.float16)), tmp_path),
        "truncated in the length": data[:5],
        "truncated in the header": data[:length // 2],
        "truncated in the weights": data[:len(data) - 100],
        "truncated by a byte": data[:-1],
        "flipped byte in the weights": flipped(data, len(data) - 7),
        "flipped byte in the header": flipped(data, 8 + length // 2),
        "strides outside the storage (old format)": legacy_tensor_file((1000, 1000), (1000, 1)),
        "offset outside the storage (old format)": legacy_tensor_file((2,), (1,), offset=1 << 40),
        "huge storage declared (old format)": legacy_tensor_file((2,), (1,), numel=1 << 40),
        "pickled code (old format)": evil_pickle(),
        "zip bomb (old format)": zip_bomb(bomb_bytes),
        "a plain pickle": pickle.dumps(os.system),
    }


def main(argv: list[str] | None = None) -> int:
    """Write every crafted file of MODEL into FOLDER (one file a case, and index.json: case ->
    file name), for measuring them from a process that never held them."""
    import argparse
    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("folder")
    parser.add_argument("--bomb-bytes", type=int, default=64 << 20, help="what the zip bomb inflates to")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    index = {}
    for number, (case, data) in enumerate(crafted_files(args.model, folder, args.bomb_bytes).items()):
        name = f"{number:02d}.model"
        (folder / name).write_bytes(data)
        index[case] = name
    (folder / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
