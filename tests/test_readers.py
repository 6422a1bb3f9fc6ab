import pytest

from tagger.corpora import Part, read_part, training_parts
from tagger.errors import CorpusError, TaggerError
from tagger.readers import read_items, read_msra, read_pd1998, read_pd1998_tagged, read_segmented, read_words, sniff_format
from tagger.rowreaders import read_conll_words
from tagger.textlines import BadLines, read_raw


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


# -- strict reading: one format a file, and every line of it -------------------------------------
SEGMENTED = "我们 喜欢 苹果\n他 是 学生\n今天 天气 很 好 。\n"


def read_error(path, fmt="auto", task="seg") -> str:
    """The one-line error reading `path` gives (it must give one)."""
    with pytest.raises(CorpusError) as err:
        list(read_items(path, fmt, task))
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("intruder, message", [
    ("19980101-01-001-000/m  迈向/v  充满/v", "a PD 1998 line (paragraph id 19980101-01-001-000/m)"),
    ("1\t我\t我\tPRON\tPN\t_\t2\tnsubj\t_\t_", "a CoNLL row"),
    ("我们/r 喜欢/v 苹果/n", "word/tag tokens"),
    ("[中国/ns 政府/n]nt 好/a", "word/tag tokens"),
    ("高 B-NAME", "a column row ending in the entity tag B-NAME"),
    ("-DOCSTART- -X- -X- O", "a CoNLL-2003 -DOCSTART- line"),
])
def test_a_line_of_another_format_in_a_segmented_file(tmp_path, intruder, message):
    path = write(tmp_path, "bad.seg", (SEGMENTED + intruder + "\n" + SEGMENTED).encode("utf-8"))
    assert sniff_format(path) == "segmented"
    assert read_error(path).startswith(f"{path}:4: {message}")
    assert read_error(path, "segmented").startswith(f"{path}:4: ")


def test_segmented_words_may_hold_slashes(tmp_path):
    path = write(tmp_path, "ok.seg", "速度 100 km/h 。\n1/2 的 人\nhttp://a.cn/b 好\n".encode("utf-8"))
    assert list(read_items(path)) == [["速度", "100", "km/h", "。"], ["1/2", "的", "人"], ["http://a.cn/b", "好"]]


def test_a_segmented_or_msra_line_in_a_pd1998_file(tmp_path):
    pd = "19980101-01-001-001/m  迈向/v  充满/v\n19980101-01-001-002/m  希望/n\n"
    path = write(tmp_path, "pd.txt", (pd + "我们 喜欢 苹果\n").encode("utf-8"))
    assert read_error(path) == f"{path}:3: no paragraph id (19980101-01-001-001/m), but this file's first paragraph has one"
    path = write(tmp_path, "pd2.txt", (pd + "我们/r 喜欢/v\n").encode("utf-8"))
    assert read_error(path, "pd1998", "pos").startswith(f"{path}:3: no paragraph id")


def test_a_pd1998_line_in_an_msra_file(tmp_path):
    msra = "当/o 希望工程/o 救助/o\n北京/ns 见到/o\n"
    path = write(tmp_path, "m.txt", (msra * 3 + "19980101-01-001-001/m  迈向/v\n").encode("utf-8"))
    assert "m.txt:7: '19980101-01-001-001/m' is PD 1998" in read_error(path)
    path = write(tmp_path, "m2.txt", (msra * 3 + "中国/ns 政府/n]nt\n").encode("utf-8"))
    assert "m2.txt:7: '政府/n]nt' is PD 1998" in read_error(path, "msra", "ner")


def test_msra_ner_unknown_tag(tmp_path):
    path = write(tmp_path, "m.txt", "北京/ns 见到/o\n江泽民/per 到/o\n".encode("utf-8"))
    assert read_error(path, "msra", "ner") == (f"{path}:2: unknown tag in '江泽民/per': MSRA NER tags are "
                                               "o, nr, ns and nt")
    assert list(read_items(path, "msra", "seg")) == [["北京", "见到"], ["江泽民", "到"]]  # any word/tag segments


RESUME = "高 B-NAME\n勇 E-NAME\n： O\n\n中 S-LOC\n国 O\n"


@pytest.mark.parametrize("rows, line, message", [
    ("张 B-NAME\n三 E-NAME\n", 0, ""),
    ("张 Q-NAME\n三 E-NAME\n", 8, "unknown tag 'Q-NAME'"),
    ("张 B-NAME\n三 E-LOC\n", 9, "E-LOC after B-NAME: an E tag continues an open entity of its own type "
                                "(B-LOC/I-LOC/M-LOC before it)"),
    ("张 B-NAME\n三 O\n", 9, "O after B-NAME: the NAME entity has no end (E-NAME expected)"),
    ("张 O\n三 M-NAME\n", 9, "M-NAME after O"),
    ("张 B-NAME\n三 E-NAME 男\n", 9, "3 columns, but this file's rows have 2"),
    ("张\n", 8, "1 columns, but this file's rows have 2"),
])
def test_entity_columns_tags_transitions_and_column_count(tmp_path, rows, line, message):
    path = write(tmp_path, "r.bmes", (RESUME + "\n" + rows).encode("utf-8"))
    assert sniff_format(path) == "columns"
    if not message:
        assert list(read_items(path, "columns", "ner"))[-1] == (["张", "三"], ["B-NAME", "E-NAME"])
        return
    for fmt in ("auto", "columns"):
        assert read_error(path, fmt, "ner").startswith(f"{path}:{line}: {message}")


def test_iob1_columns_and_entities_cut_by_a_sentence_break_are_read(tmp_path):
    """CoNLL-2003 is IOB1 (I after O or after another type begins an entity); Resume's training
    file cuts two entities with a blank line: neither is an error. Mixing BIO and BIOES is."""
    conll = "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nGerman JJ I-NP I-MISC\ncall NN I-NP O\n4-38 CD I-NP O\n"
    path = write(tmp_path, "eng.train", conll.encode("utf-8"))
    assert list(read_items(path, "auto", "ner")) == [(["EU", "German", "call", "4-38"], ["I-ORG", "I-MISC", "O", "O"])]
    cut = write(tmp_path, "cut.bmes", "中 B-ORG\n央 M-ORG\n\n台 M-ORG\n站 E-ORG\n".encode("utf-8"))
    assert [tags for _, tags in read_items(cut, "columns", "ner")] == [["B-ORG", "M-ORG"], ["M-ORG", "E-ORG"]]
    mixed = write(tmp_path, "mixed.bio", "张 B-PER\n三 O\n\n李 B-PER\n四 E-PER\n".encode("utf-8"))
    assert read_error(mixed, "columns", "ner") == (f"{mixed}:5: E-PER on line 5 is BIOES tagging, but this file's "
                                                   "tags are BIO (B-PER followed by O on line 2)")


def test_a_hash_unit_is_a_row_and_a_hash_comment_is_not(tmp_path):
    path = write(tmp_path, "r.bmes", "# sent_id = 1\n社 B-TITLE\n# M-TITLE\n长 E-TITLE\n".encode("utf-8"))
    assert list(read_items(path, "columns", "ner")) == [(["社", "#", "长"], ["B-TITLE", "M-TITLE", "E-TITLE"])]


@pytest.mark.parametrize("columns", [2, 4])
def test_conll_with_2_or_4_columns_is_refused_not_read_as_words(tmp_path, columns):
    rows = {2: ["我\tPRON", "爱\tVERB", "", "他\tPRON", "好\tADJ"],
            4: ["1\t我\t_\tPRON", "2\t爱\t_\tVERB", "", "1\t他\t_\tPRON", "2\t好\t_\tADJ"]}[columns]
    path = write(tmp_path, "u.conll", "\n".join(["# sent_id = 1"] + rows).encode("utf-8"))
    message = read_error(path)
    assert message.startswith(f"{path}:2: {columns} tab-separated columns a line: a table, but neither CoNLL-X/U")
    assert read_error(path, "conll").startswith(f"{path}:2: expected at least 10 columns, got {columns}")


def test_conll_column_count_and_token_ids(tmp_path):
    row = "\t".join(["{}", "{}"] + ["_"] * 8)
    lines = [row.format(1, "我"), row.format(2, "爱"), "", row.format(1, "他"), row.format(2, "好")]
    good = write(tmp_path, "u.conll", "\n".join(lines).encode("utf-8"))
    assert list(read_items(good)) == [["我", "爱"], ["他", "好"]]
    joined = write(tmp_path, "j.conll", "\n".join(lines[:2] + lines[3:]).encode("utf-8"))
    assert read_error(joined) == f"{joined}:3: token id 1 where 3 was expected (a missing blank line between sentences?)"
    short = write(tmp_path, "s.conll", "\n".join(lines + ["3\t呀\t_"]).encode("utf-8"))
    assert read_error(short) == f"{short}:6: 3 columns, but this file's rows have 10"
    assert read_error(good, "conll", "pos") == f"{good}:1: no UPOS (column 4 is '_')"


@pytest.mark.parametrize("text, message", [
    ("好 的\n坏\x00的\n", "a NUL byte"),
    ("好 的\n坏\r的\n", "a carriage return inside the line"),
    ("好 的\n\ufeff坏 的\n", "a byte-order mark (U+FEFF) inside the file"),
    ("好 的\n坏\x1b[0m 的\n", "the control character U+001B"),
    ("好 的\n坏\u2028的\n", "the control character U+2028"),
])
def test_characters_that_are_never_text(tmp_path, text, message):
    path = write(tmp_path, "c.seg", text.encode("utf-8"))
    assert read_error(path).startswith(f"{path}:2: {message}")


def test_utf16_is_refused_with_advice(tmp_path):
    path = write(tmp_path, "u16.seg", SEGMENTED.encode("utf-16"))
    assert "corpora are read as UTF-8: convert a UTF-16" in read_error(path, "segmented")
    assert "corpora are read as UTF-8" in read_error(path)  # sniffing says so too


def test_mixed_line_ends_tabs_and_a_leading_bom_are_fine(tmp_path):
    path = write(tmp_path, "ok.seg", "\ufeff我们 喜欢\r\n他\t是\u3000学生\n\r\n好\r\n".encode("utf-8"))
    assert list(read_items(path)) == [["我们", "喜欢"], ["他", "是", "学生"], ["好"]]


def test_a_line_longer_than_the_limit(tmp_path):
    from tagger.textlines import CORPUS_LINE_BYTES
    path = write(tmp_path, "long.seg", b"ok\n" + b"a " * (CORPUS_LINE_BYTES // 2 + 1) + b"\nok\n")
    assert read_error(path, "segmented") == (f"{path}:2: longer than {CORPUS_LINE_BYTES} bytes: not one sentence a "
                                             "line (CR-only line ends, or not a text file?)")
    bad = BadLines()
    assert list(read_items(path, "segmented", bad=bad)) == [["ok"], ["ok"]] and len(bad) == 1
    first = write(tmp_path, "first.seg", b"a " * CORPUS_LINE_BYTES)
    assert read_error(first).startswith(f"{first}:1: longer than")  # sniffing never holds it whole either


@pytest.mark.parametrize("data", [b"", b"\n\n \r\n\t\n"])
def test_an_empty_or_blank_file(tmp_path, data):
    path = write(tmp_path, "empty.seg", data)
    assert read_error(path) == f"{path}: no text: the file is empty or holds only blank lines"
    assert list(read_items(path, "segmented")) == []


def test_skip_bad_lines_counts_and_skips_them(tmp_path):
    path = write(tmp_path, "mixed.seg", (SEGMENTED + "19980101-01-001-000/m  迈向/v\n坏\x00行\n" + SEGMENTED)
                 .encode("utf-8"))
    bad = BadLines()
    assert len(list(read_items(path, bad=bad))) == 6
    assert [error.line for error in bad.errors] == [4, 5]
    assert bad.summary().startswith(f"skipped 2 malformed lines, the first: {path}:4: a PD 1998 line")
    columns = write(tmp_path, "r.bmes", (RESUME + "\n张 B-NAME\n三 E-LOC\n李 O\n\n王 S-NAME\n").encode("utf-8"))
    bad = BadLines()
    sentences = list(read_items(columns, "columns", "ner", bad))
    assert [units for units, _ in sentences] == [["高", "勇", "："], ["中", "国"], ["王"]]  # the bad sentence dropped
    assert [error.line for error in bad.errors] == [9]


def test_cli_train_refuses_a_misread_file_before_training(tmp_path):
    import subprocess
    import sys
    corpus = write(tmp_path, "bad.seg", (SEGMENTED * 5 + "19980101-01-001-000/m  迈向/v\n").encode("utf-8"))
    model = tmp_path / "m.model"
    run = subprocess.run([sys.executable, "-m", "tagger", "train", str(corpus), "-o", str(model), "--epochs", "1",
                          "--threads", "1"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1].startswith(f"tagger: error: {corpus}:16: a PD 1998 line")
    assert "Traceback" not in run.stderr and not model.exists()


@pytest.mark.parametrize("tag", ["Q-NAME", "E-LOC"])
def test_cli_train_columns_ner_refuses_a_bad_tag(tmp_path, capsys, tag):
    from tagger.cli import main
    corpus = write(tmp_path, "r.bmes", (RESUME * 3 + f"\n张 B-NAME\n三 {tag}\n").encode("utf-8"))
    model = tmp_path / "m.model"
    assert main(["train", str(corpus), "--format", "columns", "--task", "ner", "-o", str(model), "--epochs", "1",
                 "--quiet"]) == 1
    assert f"{corpus}:21: " in capsys.readouterr().err and not model.exists()


def test_cli_evaluate_checks_the_gold_and_skips_bad_lines(tmp_path, capsys):
    from tagger.cli import main
    gold = write(tmp_path, "gold.seg", "我们 喜欢 苹果\n19980101-01-001-000/m  迈向/v\n他 是 学生\n".encode("utf-8"))
    output = write(tmp_path, "out.seg", "我们 喜欢 苹果\n迈向\n他 是学生\n".encode("utf-8"))
    assert main(["evaluate", str(output), str(gold)]) == 1
    assert f"{gold}:2: a PD 1998 line" in capsys.readouterr().err
    assert main(["evaluate", str(output), str(gold), "--skip-bad-lines", "--json", str(tmp_path / "s.json")]) == 0
    assert "skipped 1 malformed lines" in capsys.readouterr().err
    import json
    scores = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert (scores["lines"], scores["gold_words"], scores["pred_words"]) == (2, 6, 5)  # line 2 left out, both sides


def test_cli_train_skip_bad_lines_in_a_column_file(tmp_path, capsys):
    from tagger.cli import main
    corpus = write(tmp_path, "r.bmes", ("张 B-NAME\n三 E-LOC\n\n" + RESUME * 20).encode("utf-8"))
    args = ["train", str(corpus), "-o", str(tmp_path / "m.model"), "--epochs", "1", "--hidden", "4", "--layers", "1",
            "--char-dim", "4", "--bigram-dim", "0", "--quiet", "--no-plot"]
    assert main(args) == 1 and f"{corpus}:2: E-LOC after B-NAME" in capsys.readouterr().err
    assert main(args + ["--skip-bad-lines"]) == 0
    assert f"skipped 1 malformed lines, the first: {corpus}:2:" in capsys.readouterr().err
