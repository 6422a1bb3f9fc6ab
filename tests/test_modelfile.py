"""The model file: the network table, and checks that refuse damaged or hostile files.

Each crafted file is built here from the tiny model. A crafted file of the current format gets
a correct digest (a hostile author can compute one), so the check behind the digest is what
refuses it; flipped bytes keep the old digest, which refuses them.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger import networks
from tagger.cli import main
from tagger.errors import ModelFileError
from tagger.modelcheck import all_finite
from tagger.modelio import load_model, read_payload, save_model, upgrade
from tagger.vocab import Lines, Vocab

from scripts.qa.crafted_models import crafted_files, flipped

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


@pytest.fixture(scope="module")
def model_file(tiny_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("modelfile") / "m.model"
    save_model(tiny_model, path)
    return path


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


def test_the_service_refuses_a_crafted_file_in_one_line(model_file, tmp_path):
    serve = pytest.importorskip("tagger.serve")
    files = crafted_files(model_file, tmp_path)
    for case in ("shape against the config", "NaN weights", "flipped byte in the header", "zip bomb (old format)",
                 "strides outside the storage (old format)", "a plain pickle"):
        path = tmp_path / "crafted.model"
        path.write_bytes(files[case])
        with pytest.raises(ModelFileError) as error:
            serve.create_app(str(path), pos_model=False)
        assert str(error.value).startswith(str(path)) and "\n" not in str(error.value), (case, error.value)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.integers(0, 10_000), st.floats(1e-3, 1e3))
def test_int8_rows_keep_every_value_within_half_a_step(rows, width, seed, spread):
    from tagger.modelfile import int8_rows
    table = (np.random.default_rng(seed).normal(size=(rows, width)) * spread).astype(np.float16)
    table[0] = 0  # an all-zero row has scale 1, and stays zero
    stored, scale = int8_rows(table)
    back = stored * scale[:, None]
    step = scale[:, None]
    assert stored.dtype == np.int8 and scale.dtype == np.float32 and np.all(back[0] == 0)
    assert np.all(np.abs(back - table.astype(np.float32)) <= step / 2 + 1e-6 * np.abs(table))



def test_an_int8_file_is_smaller_and_tags_as_its_float16_tables_do(model_file, tiny_corpus, tmp_path):
    """Both tables stored as int8 rows come back as float16 values; both engines then tag as a
    float16 file of exactly those values does. The file says version 3, so an older reader
    refuses it by its version; rewritten by `upgrade`, it is a float16 file of version 2."""
    from tagger.modelio import write_payload
    from scripts.data.int8_tables import int8_payload
    tables = ("bigram_embed.weight", "char_embed.weight")
    packed, half, again = tmp_path / "int8.model", tmp_path / "half.model", tmp_path / "again.model"
    payload, present = int8_payload(read_payload(model_file), tables)
    write_payload(payload, packed, int8=present)
    back = read_payload(packed)
    assert present == tables and back["format_version"] == 3 and "int8_tables" in back["metadata"]
    assert all(back["state_dict"][name].dtype == np.float16 for name in tables)
    original = read_payload(model_file)["state_dict"]["bigram_embed.weight"].astype(np.float32)
    step = np.abs(original).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(back["state_dict"]["bigram_embed.weight"] - original) <= step / 2 + 2e-3 * np.abs(original) + 1e-7)
    write_payload(back, half)  # the same values as a float16 file
    assert packed.stat().st_size < half.stat().st_size
    lines = ["".join(words) for words in tiny_corpus[2][:20]]
    for engine in ("numpy", "torch"):
        assert load_model(packed, engine).segment_lines(lines) == load_model(half, engine).segment_lines(lines)
    assert upgrade(packed, again)["format_version"] == 2


def test_an_int8_table_tool_refuses_to_write_over_its_input(model_file, tmp_path):
    import shutil

    copy = tmp_path / "m.model"
    shutil.copy(model_file, copy)
    before = copy.read_bytes()
    done = subprocess.run([sys.executable, "-m", "scripts.data.int8_tables", str(copy), "-o", str(copy)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "refusing to overwrite" in done.stderr and "Traceback" not in done.stderr
    assert copy.read_bytes() == before
