"""The model file: the network table, and checks that refuse damaged or hostile files."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tagger import networks
from tagger.errors import ModelFileError


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
