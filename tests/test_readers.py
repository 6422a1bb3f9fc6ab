import pytest

from tagger.corpora import Part, read_part, training_parts
from tagger.errors import CorpusError, TaggerError
from tagger.readers import (read_conll_words, read_msra, read_pd1998, read_pd1998_tagged, read_raw,
                            read_segmented, read_words, sniff_format)


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_segmented_any_whitespace_crlf_and_bom(tmp_path):
    data = "\ufeff我们\u3000喜欢  苹果\r\n\r\n他\t是\u00a0学生\n".encode("utf-8")
    path = write(tmp_path, "a.seg", data)
    assert list(read_segmented(path)) == [["我们", "喜欢", "苹果"], ["他", "是", "学生"]]


def test_raw_keeps_blank_lines_and_strips_line_ends(tmp_path):
    path = write(tmp_path, "a.txt", "一行\r\n\r\n 二 \n".encode("utf-8"))
    assert list(read_raw(path)) == ["一行", "", " 二 "]


def test_pd1998_drops_id_tags_and_brackets(tmp_path):
    line = "19980101-01-001-002/m  中共中央/nt  [中国/ns  政府/n]nt  江/nr  泽民/nr  １/２/m  \n"
    path = write(tmp_path, "pd.txt", ("\n" + line).encode("utf-8"))
    assert list(read_pd1998(path)) == [["中共中央", "中国", "政府", "江", "泽民", "１/２"]]
    assert list(read_pd1998_tagged(path))[0][1] == ("中国", "ns")


@pytest.mark.parametrize("bad, message", [
    ("19980101-01-001-002/m  中国  政府/n\n", "malformed token '中国'"),
    ("19980101-01-001-002/m  [中国/ns  政府/n\n", "without a closing"),
    ("19980101-01-001-002/m  中国/ns  政府/n]nt\n", "without '['"),
])
def test_pd1998_malformed_lines_name_file_and_line(tmp_path, bad, message):
    path = write(tmp_path, "pd.txt", ("19980101-01-001-001/m  好/a\n" + bad).encode("utf-8"))
    with pytest.raises(CorpusError) as err:
        list(read_pd1998(path))
    assert f"{path}:2:" in str(err.value) and message in str(err.value)


def test_msra_splits_on_last_slash(tmp_path):
    path = write(tmp_path, "m.txt", "当/o 1/2/o 希望工程/nt\n".encode("utf-8"))
    assert list(read_msra(path)) == [["当", "1/2", "希望工程"]]


def test_msra_malformed(tmp_path):
    path = write(tmp_path, "m.txt", "当/o\n希望 工程/o\n".encode("utf-8"))
    with pytest.raises(CorpusError, match=r"m\.txt:2: malformed token '希望'"):
        list(read_msra(path))


def test_conll_forms_skip_comments_and_ranges(tmp_path):
    rows = ["# sent_id = 1", "1-2\t他们\t_\t_\t_\t_\t_\t_\t_\t_", "1\t他\t_\tPRON\t_\t_\t0\troot\t_\t_",
            "2\t们\t_\tPART\t_\t_\t1\tdep\t_\t_", "", "1\t好\t_\tADJ\t_\t_\t0\troot\t_\t_", ""]
    path = write(tmp_path, "u.conllu", "\n".join(rows).encode("utf-8"))
    assert list(read_conll_words(path)) == [["他", "们"], ["好"]]


def test_conll_too_few_columns(tmp_path):
    path = write(tmp_path, "u.conll", "1\t他\t_\n".encode("utf-8"))
    with pytest.raises(CorpusError, match=r"u\.conll:1: expected at least 10 columns"):
        list(read_conll_words(path))


def test_invalid_utf8_names_the_line(tmp_path):
    path = write(tmp_path, "bad.seg", "好 的\n".encode("utf-8") + "坏".encode("gbk") + b"\n")
    with pytest.raises(CorpusError, match=r"bad\.seg:2: not valid UTF-8"):
        list(read_segmented(path))


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(TaggerError, match="no such file"):
        list(read_segmented(tmp_path / "nope.seg"))


def test_sniff_format(tmp_path):
    assert sniff_format(write(tmp_path, "a", "19980101-01-001-001/m  好/a\n".encode())) == "pd1998"
    assert sniff_format(write(tmp_path, "b", "好/o 的/o\n".encode())) == "msra"
    assert sniff_format(write(tmp_path, "c", "好 的\n".encode())) == "segmented"
    assert sniff_format(write(tmp_path, "d", "\t".join(["1", "好"] + ["_"] * 8).encode())) == "conll"
    assert list(read_words(write(tmp_path, "e", "好/o 的/o\n".encode()))) == [["好", "的"]]


def test_carved_dev_split_is_deterministic_and_disjoint(tmp_path):
    lines = [f"词{i} 甲" for i in range(100)]
    path = write(tmp_path, "c.seg", "\n".join(lines).encode("utf-8"))
    train, dev = training_parts(str(path))
    train_sents, dev_sents = list(read_part(train)), list(read_part(dev))
    assert len(dev_sents) == 5 and len(train_sents) == 95
    assert dev_sents[0] == ["词19", "甲"]
    assert not {tuple(s) for s in dev_sents} & {tuple(s) for s in train_sents}
    assert list(read_part(Part(str(path), "auto", "all")))[0] == ["词0", "甲"]


def test_unknown_corpus_name_without_env(monkeypatch):
    monkeypatch.delenv("TAGGER_CORPORA", raising=False)
    with pytest.raises(TaggerError, match="TAGGER_CORPORA"):
        training_parts("pku")
