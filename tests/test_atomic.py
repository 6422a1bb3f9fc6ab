"""tagger/atomic.py: a failed write must leave the previous file whole and no temp file behind."""
import json

import pytest

from tagger.atomic import write_json, write_text_atomic
from tagger.errors import TaggerError


def test_write_json_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "results.json"
    write_json(path, {"f1": 0.95, "label": "北京"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"f1": 0.95, "label": "北京"}
    assert "北京" in path.read_text(encoding="utf-8")  # readable UTF-8, not \\u escapes
    with pytest.raises(TypeError):
        write_json(path, {"f1": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == {"f1": 0.95, "label": "北京"}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp file left


def test_a_stream_that_fails_halfway_leaves_the_old_text(tmp_path):
    """Output is streamed chunk by chunk (segment on a large file); Ctrl-C or an error in the
    middle must not replace the previous output with a truncated one."""
    path = tmp_path / "out.txt"
    write_text_atomic(path, ["我们 在 北京\n"])

    def chunks():
        yield "第一 行\n"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, chunks())
    assert path.read_text(encoding="utf-8") == "我们 在 北京\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_an_unwritable_directory_is_a_one_line_error(tmp_path):
    target = tmp_path / "missing" / "out.json"
    with pytest.raises(TaggerError, match="cannot write here"):
        write_json(target, {})
