"""The numpy engine: same file, same output as torch, no torch import, safe unpickling."""
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

from tagger.cli import main
from tagger.encode import collate, pad_arrays
from tagger.errors import ModelFileError
from tagger.modelio import load_model, save_model

from .conftest import cli_in_fresh_process


@pytest.fixture
def model_path(tiny_model, tmp_path):
    path = tmp_path / "m.model"
    save_model(tiny_model, path)
    return path


def test_numpy_forward_matches_torch(model_path, tiny_corpus):
    torch_model, numpy_model = load_model(model_path), load_model(model_path, engine="numpy")
    _, _, dev = tiny_corpus
    texts = ["".join(s) for s in dev[:12]] + ["北", "ABC12和3.5公斤"]
    encoded = [torch_model.encoder.encode(t) for t in texts]
    with torch.no_grad():
        expected = torch.log_softmax(torch_model.model(collate(encoded).inputs), -1).numpy()
    got = numpy_model.model.log_probs(pad_arrays(encoded))
    mask = np.arange(got.shape[1])[None, :] < np.array([len(t) for t in texts])[:, None]
    assert np.abs(got - expected)[mask].max() < 1e-4


def test_numpy_engine_segments_like_torch(model_path, tiny_corpus):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev] + ["", "  我们 喜欢\t苹果  ", "ABC12和3.5公斤"]
    numpy_model = load_model(model_path, engine="numpy")
    assert numpy_model.segment_lines(lines) == load_model(model_path).segment_lines(lines)
    numpy_model.user_dict.add("喜欢苹果")
    assert "喜欢苹果" in numpy_model.segment("我们喜欢苹果")


def test_segment_command_without_torch(model_path, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("我们喜欢苹果。\n\n他是北京的学生\n", encoding="utf-8")
    lines, imported_torch = cli_in_fresh_process(["segment", str(text), "--model", str(model_path)])
    assert not imported_torch
    assert [line.replace(" ", "") for line in lines] == ["我们喜欢苹果。", "", "他是北京的学生"]


def test_engines_give_the_same_cli_output(model_path, tmp_path, capsys):
    text = tmp_path / "in.txt"
    text.write_text("我们喜欢苹果。\n他是北京的学生 ABC\n", encoding="utf-8")
    outputs = []
    for engine in ("torch", "numpy"):
        capsys.readouterr()
        assert main(["segment", str(text), "--model", str(model_path), "--engine", engine,
                     "--precision", "float32"]) == 0  # auto may take bfloat16 on torch (test_precision.py)
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_unexpected_pickled_objects_are_refused(tmp_path):
    evil = tmp_path / "evil.model"
    payload = pickle.dumps(os.system)  # would import and call os.system on a plain pickle.load
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
    with pytest.raises(ModelFileError) as error:
        load_model(evil, engine="numpy")
    assert "evil.model" in str(error.value) and "\n" not in str(error.value)
