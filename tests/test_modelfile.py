"""The model file: the network table, and checks that refuse damaged or hostile files.

Each crafted file is built here from the tiny model. A crafted file of the current format gets
a correct digest (a hostile author can compute one), so the check behind the digest is what
refuses it; flipped bytes keep the old digest, which refuses them.
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger import networks
from tagger.cli import main
from tagger.errors import ModelFileError
from tagger.modelcheck import all_finite
from tagger.modelio import load_model, read_payload, save_model, upgrade, write_payload
from tagger.vocab import Lines, Vocab

from .conftest import save_legacy, write_segmented


def test_network_table_names_each_network_without_importing_torch():
    code = ("import sys; from tagger import networks; "
            "print(sorted(networks.NETWORKS), networks.get('idcnn').numpy_class().__name__, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['bilstm',", "'idcnn']", "NumpyIDCNN", "False"]


def test_unknown_network_is_a_one_line_model_file_error():
    with pytest.raises(ModelFileError) as error:
        networks.of_config({"network": "transformer"}, "x.model")
    assert str(error.value).startswith("x.model: unknown network 'transformer'") and "\n" not in str(error.value)
    assert networks.of_config({}).name == "bilstm"


def test_table_shapes_are_the_torch_networks_own():
    from tagger.configs import IDCNNConfig, ModelConfig
    for config in (ModelConfig(char_vocab=10, bigram_vocab=7, dictionary_bits=4, layers=2, crf=True,
                               standard_dim=3, marker_ids=[3, 4]),
                   ModelConfig(char_vocab=9, bigram_dim=0, units="words", word_char_vocab=5),
                   IDCNNConfig(char_vocab=10, bigram_vocab=5, marker_ids=[2], context=True)):
        network = networks.of_config(config.to_dict())
        built = network.torch_class()(config)
        assert {k: tuple(v.shape) for k, v in built.state_dict().items()} == network.shapes(config)


# -- crafting ---------------------------------------------------------------------------------
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


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"format": "tagger-model"}))
        archive.writestr("archive/data/0", b"\0" * (64 << 20))  # 64 MB in 64 kB
    return out.getvalue()


def evil_pickle() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(os.system))  # a plain pickle.load would call it
    return out.getvalue()


@pytest.fixture(scope="module")
def model_file(tiny_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("modelfile") / "m.model"
    save_model(tiny_model, path)
    return path


def crafted_files(model_file, tmp_path) -> dict[str, bytes]:
    data = model_file.read_bytes()
    header, _ = split(data)
    name = first_weight(header)
    (length,) = struct.unpack_from("<Q", data)

    def nan(payload):
        payload["state_dict"]["output.bias"] = payload["state_dict"]["output.bias"].copy()
        payload["state_dict"]["output.bias"][0] = np.nan

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
        "zip bomb (old format)": zip_bomb(),
        "a plain pickle": pickle.dumps(os.system),
    }


def test_every_crafted_file_is_one_line_error_in_both_engines(model_file, tmp_path):
    for case, data in crafted_files(model_file, tmp_path).items():
        path = tmp_path / "crafted.model"
        path.write_bytes(data)
        for engine in ("numpy", "torch"):
            with pytest.raises(ModelFileError) as error:
                load_model(path, engine=engine)
            message = str(error.value)
            assert message.startswith(str(path)) and "\n" not in message, (case, message)
            assert "weights_only" not in message, (case, message)


def test_flipped_bytes_anywhere_are_refused(model_file, tmp_path):
    data = model_file.read_bytes()
    path = tmp_path / "flipped.model"
    for at in range(3, len(data), max(1, len(data) // 23)):
        path.write_bytes(flipped(data, at))
        with pytest.raises(ModelFileError):
            read_payload(path)


def test_every_command_refuses_a_crafted_file_in_one_line(model_file, tmp_path, capsys):
    text = tmp_path / "text.txt"
    text.write_text("我们在北京大学研究生命。\n", encoding="utf-8")
    gold = tmp_path / "gold.seg"
    write_segmented(gold, [["我们", "在", "北京"]])
    files = crafted_files(model_file, tmp_path)
    for case in ("shape against the config", "NaN weights", "flipped byte in the weights", "zip bomb (old format)",
                 "strides outside the storage (old format)"):
        path = tmp_path / "crafted.model"
        path.write_bytes(files[case])
        for argv in (["info", str(path)], ["summary", str(path)], ["evaluate", str(path), str(gold)],
                     ["tag", str(text), "--model", str(path)], ["segment", str(text), "--model", str(path)]):
            assert main(argv) == 1, (case, argv)
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and str(path) in err, (case, argv, err)


def test_a_command_process_refuses_hostile_files_without_a_signal(model_file, tmp_path):
    files = crafted_files(model_file, tmp_path)
    for case in ("strides outside the storage (old format)", "zip bomb (old format)"):
        path = tmp_path / "crafted.model"
        path.write_bytes(files[case])
        result = subprocess.run([sys.executable, "-m", "tagger", "segment", "--engine", "numpy", "--model", str(path)],
                                input="我们\n", capture_output=True, text=True)
        assert result.returncode == 1 and "Traceback" not in result.stderr, (case, result.stderr)
        assert result.stderr.strip().count("\n") == 0


def test_old_and_new_files_give_the_same_words(model_file, tiny_corpus, tmp_path, capsys):
    lines = ["".join(s) for s in tiny_corpus[2]]
    old = tmp_path / "old.model"
    save_legacy(read_payload(model_file), old)
    assert old.read_bytes()[:4] == b"PK\x03\x04"
    new = tmp_path / "new.model"
    assert main(["upgrade", str(old), "-o", str(new)]) == 0
    assert new.read_bytes() == model_file.read_bytes()  # the same model, byte for byte
    for engine in ("numpy", "torch"):
        assert load_model(old, engine).segment_lines(lines) == load_model(new, engine).segment_lines(lines)
    assert main(["upgrade", str(new), "-o", str(new)]) == 1
    assert "input" in capsys.readouterr().err  # never written over its input


def test_the_file_is_a_standard_safetensors_file(model_file):
    import safetensors.numpy
    weights = safetensors.numpy.load(model_file.read_bytes())
    payload = read_payload(model_file)
    assert all(np.array_equal(payload["state_dict"][k], weights[k]) for k in payload["state_dict"])
    assert weights["text/vocab/chars"].dtype == np.uint8  # the word lists, UTF-8
    assert upgrade(model_file, model_file.parent / "again.model")["format_version"] == 2


def test_a_first_api_call_on_a_short_text_does_not_import_torch(model_file):
    code = ("import sys, tagger; "
            f"words = tagger.Tokenizer({str(model_file)!r}).lcut('我们在北京'); "
            f"lines = tagger.load({str(model_file)!r}).segment_lines(['我们在北京']); "
            "print(''.join(words) == ''.join(lines[0]) == '我们在北京', 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def test_the_auto_engine_moves_to_torch_with_the_same_words(model_file, tiny_corpus):
    lines = ["".join(s) for s in tiny_corpus[2]]
    auto = load_model(model_file, "auto")
    assert auto.model.engine == "numpy"
    auto.model.switch_chars = sum(map(len, lines)) // 2  # torch takes over halfway through
    words = auto.segment_lines(lines)
    assert auto.model.engine == "torch"
    assert words == load_model(model_file, "numpy").segment_lines(lines) == auto.segment_lines(lines)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["<f2", "<f4", "<f8", ">f4"]), st.binary(min_size=0, max_size=64))
def test_the_finiteness_check_reads_bits_as_isfinite_does(dtype, raw):
    width = np.dtype(dtype).itemsize
    values = np.frombuffer(raw[:len(raw) // width * width], dtype=dtype)
    assert all_finite(values) == bool(np.isfinite(values).all())
    assert all_finite(values[::2]) == bool(np.isfinite(values[::2]).all())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab中文<>padunk\U0001F600", min_size=1, max_size=5).filter(lambda s: "\n" not in s),
                max_size=12))
def test_a_vocabulary_read_from_lines_is_the_one_built_from_a_list(items):
    from_list, from_lines = Vocab(items), Vocab(Lines("\n".join(items)))
    assert from_lines.itos == from_list.itos and from_lines.stoi == from_list.stoi
    assert list(from_lines.joined()[1]) == list(from_list.joined()[1])
    lines = Lines("\n".join(items))
    assert len(lines) == len(items) and list(lines[2:]) == items[2:] and list(lines) == items
