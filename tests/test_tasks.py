"""Tasks (seg, joint seg+POS, NER): samples, schemes, constrained decoding, metrics, readers, and
a tiny train -> save -> load -> tag run for each task."""
import itertools
import json

import pytest
import torch
from hypothesis import given, strategies as st

from tagger import DEFAULT_MODEL
from tagger.errors import TaggerError
from tagger.cli import main
from tagger.decode import Decoder
from tagger.entities import entity_score
from tagger.modelio import engine_threshold, load_model, save_model
from tagger.readers import read_items, sniff_format
from tagger.tags import allowed, tags_to_spans, transition_rules
from tagger.tasks import Sample, Task, token_accuracy, word_f1


TAG_SETS = {"seg": ("B", "M", "E", "S"), "pos": ("B-n", "M-n", "E-n", "S-n", "B-v", "M-v", "E-v", "S-v"),
            "ner": ("O", "B-PER", "I-PER", "E-PER", "S-PER")}


@given(st.sampled_from(["seg", "pos", "ner"]),
       st.lists(st.tuples(st.lists(st.integers(0, 7), min_size=1, max_size=12), st.integers(0, 50)), max_size=6))
def test_spans_of_paths_equal_spans_text_by_text(name, rows):
    """The batch route (one numpy pass) gives what spans() gives each text, any tag ids, valid or not."""
    task, tags = Task(name), TAG_SETS[name]
    paths = [[i % len(tags) for i in ids] for ids, _ in rows]
    texts = ["字" * len(path) for path in paths]
    offsets = [offset for _, offset in rows]
    expected = [[(offset + s, offset + e, lab) for s, e, lab in task.spans(text, [tags[i] for i in path])]
                for text, path, offset in zip(texts, paths, offsets)]
    assert task.spans_of_paths(texts, paths, tags, offsets) == expected


@given(st.lists(st.tuples(st.text("甲乙丙丁", min_size=1, max_size=4), st.sampled_from(["n", "v", "w"])),
                min_size=1, max_size=8))
def test_pos_sample_tags_spans_round_trip(pairs):
    task = Task("pos")
    sample = task.sample(pairs)
    assert sample.words == [w for w, _ in pairs] and sample.text == "".join(w for w, _ in pairs)
    tags = task.tags(sample)
    assert len(tags) == len(sample.text)
    assert task.spans(sample.text, tags) == sample.spans
    allowed_next, start, end = transition_rules(task.tag_set([sample]))
    index = {t: i for i, t in enumerate(task.tag_set([sample]))}
    ids = [index[t] for t in tags]
    assert start[ids[0]] and end[ids[-1]] and all(allowed_next[a][b] for a, b in zip(ids, ids[1:]))


def test_ner_sample_from_tags_and_spans():
    task = Task("ner")
    from_tags = task.sample((list("张三在北京"), ["B-PER", "E-PER", "O", "B-LOC", "E-LOC"]))
    from_spans = task.sample((list("张三在北京"), [(0, 2, "PER"), (3, 5, "LOC")]))
    assert from_tags == from_spans == Sample("张三在北京", [(0, 2, "PER"), (3, 5, "LOC")])
    assert task.tags(from_tags) == ["B-PER", "E-PER", "O", "B-LOC", "E-LOC"]
    assert task.tag_set([from_tags])[0] == "O" and "S-LOC" in task.tag_set([from_tags])


@pytest.mark.parametrize("task_name,labels", [("pos", ["n", "v"]), ("ner", ["PER", "LOC"])])
def test_decoder_never_emits_an_invalid_sequence(task_name, labels):
    """Brute force over all tag paths of short inputs: Viterbi's path is the best valid one."""
    task = Task(task_name)
    tags = task.tag_set([Sample("ab", [(0, 1, lab) for lab in labels]), Sample("a", [(0, 1, labels[1])])])
    next_ok, start_ok, end_ok = transition_rules(tags, task.scheme)
    decoder = Decoder(tags, task.scheme)
    torch.manual_seed(0)
    for length in (1, 2, 3):
        scores = torch.randn(4, length, len(tags)).log_softmax(-1)
        paths = decoder.viterbi(scores, torch.full((4,), length))
        for row, path in enumerate(paths):
            valid = [p for p in itertools.product(range(len(tags)), repeat=length)
                     if start_ok[p[0]] and end_ok[p[-1]] and all(next_ok[a][b] for a, b in zip(p, p[1:]))]
            total = lambda p: sum(float(scores[row, t, k]) for t, k in enumerate(p))  # noqa: E731
            assert tuple(path) in valid
            assert abs(total(path) - max(total(p) for p in valid)) < 1e-4


def test_bio_rules_start_and_end():
    tags = ("O", "B-PER", "I-PER")
    _, start, end = transition_rules(tags, "BIO")
    assert start == [True, True, False] and end == [True, True, True]
    assert not allowed("B-PER", "I-LOC", "BIO")


def test_pos_metrics_hand_case():
    gold = [Sample("我爱北京", [(0, 1, "r"), (1, 2, "v"), (2, 4, "ns")])]
    predicted = [[(0, 1, "r"), (1, 2, "n"), (2, 3, "ns"), (3, 4, "ns")]]
    # word+POS: 1 correct of 4 predicted, 3 gold; words: 2 correct (我, 爱) of 4 and 3
    assert abs(Task("pos").score(gold, predicted).f1 - 2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3)) < 1e-9
    assert abs(word_f1(gold, predicted) - 2 * (2 / 4) * (2 / 3) / (2 / 4 + 2 / 3)) < 1e-9
    assert token_accuracy(gold, predicted) == pytest.approx(1 / 3)


def test_entity_f1_agrees_with_seqeval():
    seqeval = pytest.importorskip("seqeval.metrics")
    gold_tags = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-LOC"], ["O", "B-ORG", "O", "B-PER"]]
    pred_tags = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"], ["O", "B-ORG", "O", "B-LOC"]]
    ours = entity_score([tags_to_spans(t) for t in gold_tags], [tags_to_spans(t) for t in pred_tags])
    assert ours.f1 == pytest.approx(seqeval.f1_score(gold_tags, pred_tags))
    assert ours.precision == pytest.approx(seqeval.precision_score(gold_tags, pred_tags))


def test_task_readers_and_sniffing(tmp_path):
    resume = tmp_path / "r.bmes"
    resume.write_text("高 B-NAME\n勇 E-NAME\n： O\n\n中 S-LOC\n", encoding="utf-8")
    assert sniff_format(resume) == "columns"
    conll = tmp_path / "u.conll"
    conll.write_text("1\t我\t我\tPRON\tPN\t_\t2\tnsubj\t_\t_\n2\t爱\t爱\tVERB\tVV\t_\t0\troot\t_\t_\n",
                     encoding="utf-8")
    assert list(read_items(conll, "auto", "pos")) == [[("我", "PRON"), ("爱", "VERB")]]
    pd = tmp_path / "pd.txt"
    pd.write_text("19980101-01-001-001/m  迈向/v  [中国/ns 政府/n]nt\n", encoding="utf-8")
    assert list(read_items(pd, "auto", "pos")) == [[("迈向", "v"), ("中国", "ns"), ("政府", "n")]]
    bad = tmp_path / "bad.bmes"
    bad.write_text("高 B-NAME\n勇\n", encoding="utf-8")
    with pytest.raises(Exception) as error:
        list(read_items(bad, "columns", "ner"))
    assert "bad.bmes:2" in str(error.value)
    with pytest.raises(Exception) as error:
        list(read_items(resume, "segmented", "ner"))
    assert "no ner reading" in str(error.value)


NAMES, PLACES = ["张三", "李四", "王五"], ["北京", "上海", "广州"]


def train_cli(corpus, model, *options: str) -> int:
    """`tagger train` with a tiny, fast model; `options` add to or override the sizes here."""
    return main(["train", str(corpus), "-o", str(model), "--hidden", "16", "--char-dim", "16", "--lr", "0.02",
                 "--quiet", "--no-plot", "--threads", "1", *options])


def write_ner_corpus(path, n, seed):
    import random
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        name, place = rng.choice(NAMES), rng.choice(PLACES)
        pieces = [(name, "PER"), ("在", None), (place, "LOC"), (rng.choice(["工作", "学习"]), None), ("。", None)]
        for text, kind in pieces:
            for i, char in enumerate(text):
                tag = "O" if kind is None else (("B-" if i == 0 else "E-" if i == len(text) - 1 else "M-") + kind)
                lines.append(f"{char} {tag}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_ner_train_save_load_tag(tmp_path, capsys):
    write_ner_corpus(tmp_path / "train.bmes", 200, 1)
    write_ner_corpus(tmp_path / "dev.bmes", 20, 2)
    model = tmp_path / "ner.model"
    assert train_cli(tmp_path / "train.bmes", model, "--dev", str(tmp_path / "dev.bmes"),
                     "--epochs", "8", "--bigram-dim", "8", "--batch-chars", "300") == 0
    tagger_model = load_model(model)
    assert tagger_model.task.name == "ner"  # inferred from the tag columns
    spans = tagger_model.tag("李四在上海学习。")
    assert {"text": "李四", "start": 0, "end": 2, "label": "PER"} in spans
    assert {"text": "上海", "start": 3, "end": 5, "label": "LOC"} in spans
    text = tmp_path / "in.txt"
    text.write_text("王五在广州工作。\n\n 张三在北京学习。\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["tag", str(text), "--model", str(model)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and rows[1]["spans"] == []
    third = rows[2]
    assert [(s["text"], s["start"], s["label"]) for s in third["spans"]] == [("张三", 1, "PER"), ("北京", 4, "LOC")]
    assert all(third["text"][s["start"]:s["end"]] == s["text"] for s in third["spans"])
    assert main(["evaluate", str(model), str(tmp_path / "dev.bmes"), "--json", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["f1"] > 0.9


def test_pos_train_save_load_segment_pos(tmp_path, capsys):
    import random
    rng = random.Random(3)
    vocab = [("我们", "r"), ("喜欢", "v"), ("苹果", "n"), ("北京", "ns"), ("学习", "v"), ("。", "w")]
    def line():
        return "  ".join(f"{w}/{p}" for w, p in [rng.choice(vocab[:3]), rng.choice(vocab[1:5]), vocab[5]])
    (tmp_path / "train.txt").write_text("".join(line() + "\n" for _ in range(200)), encoding="utf-8")
    model = tmp_path / "pos.model"
    assert train_cli(tmp_path / "train.txt", model, "--task", "pos", "--epochs", "8", "--bigram-dim", "8",
                     "--batch-chars", "300") == 0
    loaded = load_model(model)
    assert loaded.task.name == "pos"
    save_model(loaded, tmp_path / "again.model")
    assert load_model(tmp_path / "again.model").label_lines(["我们喜欢北京。"]) == loaded.label_lines(["我们喜欢北京。"])
    text = tmp_path / "in.txt"
    text.write_text("我们喜欢苹果。\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["segment", str(text), "--model", str(model), "--pos"]) == 0
    assert capsys.readouterr().out == "我们/r 喜欢/v 苹果/n 。/w\n"
    # on a segmentation gold (no POS tags) evaluate scores the POS model's words
    gold = tmp_path / "gold.txt"
    gold.write_text("我们 喜欢 苹果 。\n北京 学习 。\n", encoding="utf-8")
    assert main(["evaluate", str(model), str(gold), "--words", str(gold), "--json", str(tmp_path / "w.json")]) == 0
    report = json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))
    assert report["gold_words"] == 7 and report["f1"] > 0.8
    assert "scoring its words" in capsys.readouterr().err
    # a plain segmentation model refuses --pos with a one-line error
    assert main(["segment", str(text), "--pos", "--model", str(DEFAULT_MODEL)]) != 0
    assert "--task pos" in capsys.readouterr().err
    # jieba.posseg's interface over the same model: pairs cover every character, whitespace as "x"
    from tagger.posseg import POSTokenizer
    pairs = POSTokenizer(model).lcut(" 我们喜欢苹果。\n")
    assert [tuple(p) for p in pairs] == [(" ", "x"), ("我们", "r"), ("喜欢", "v"), ("苹果", "n"), ("。", "w"),
                                         ("\n", "x")]
    assert str(pairs[1]) == "我们/r"
    lines = [" 我们喜欢苹果。\n", "", "苹果  我们", "喜欢"]
    assert POSTokenizer(model).lcut_lines(lines) == [POSTokenizer(model).lcut(line) for line in lines]
    with pytest.raises(TaggerError, match="--task pos"):
        POSTokenizer(DEFAULT_MODEL).lcut("我们")


def write_english_ner(path, n, seed):
    """CoNLL-2003-like columns: token POS chunk NER (IOB1)."""
    import random
    rng = random.Random(seed)
    people, places = ["John Smith", "Mary", "Anna Lee"], ["Paris", "New York", "Berlin"]
    rows = ["-DOCSTART- -X- -X- O", ""]
    for _ in range(n):
        person, place = rng.choice(people).split(), rng.choice(places).split()
        verb = rng.choice(["visited", "left", "likes"])
        sentence = [(w, "I-PER") for w in person] + [(verb, "O")] + [(w, "I-LOC") for w in place] + [(".", "O")]
        rows += [f"{w} NNP I-NP {t}" for w, t in sentence] + [""]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_english_word_level_ner(tmp_path, capsys):
    write_english_ner(tmp_path / "eng.train", 150, 1)
    write_english_ner(tmp_path / "eng.testa", 20, 2)
    model = tmp_path / "en.model"
    assert train_cli(tmp_path / "eng.train", model, "--dev", str(tmp_path / "eng.testa"), "--epochs", "10",
                     "--batch-chars", "200") == 0
    loaded = load_model(model)
    assert loaded.units == "words" and loaded.task.name == "ner"  # inferred from the columns
    assert loaded.model.config.units == "words"
    line = "Yesterday  Mary visited New York ."
    spans = loaded.tag(line)
    assert {"text": "Mary", "start": 11, "end": 15, "label": "PER"} in spans
    assert {"text": "New York", "start": 24, "end": 32, "label": "LOC"} in spans
    # an unseen name still gets features from its characters and casing; offsets stay exact
    other = "Zoe Quinn visited Rome ."
    assert all(other[s["start"]:s["end"]] == s["text"] for s in loaded.tag(other))
    with pytest.raises(Exception) as error:
        load_model(model, engine="numpy")
    assert "word-level" in str(error.value)
    assert engine_threshold(model) == 0  # so `tag` runs it on torch whatever the input's size
    (tmp_path / "in.txt").write_text(line + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["tag", str(tmp_path / "in.txt"), "--model", str(model), "--format", "conll"]) == 0
    rows = [row.split("\t") for row in capsys.readouterr().out.splitlines() if row]
    assert [word for word, _ in rows] == line.split()  # a row per word, not per character
    assert dict(rows)["Yesterday"] == "O" and dict(rows)["Mary"].endswith("PER") and dict(rows)["York"].endswith("LOC")


def test_named_corpora_split_and_carry_their_task(tmp_path, monkeypatch):
    from tagger.corpora import get_corpus, read_part, whole
    root = tmp_path / "corpora"
    (root / "pd1998").mkdir(parents=True)
    lines = [f"19980101-01-001-{i:03d}/m  第{i}/m  句/q" for i in range(40)]
    (root / "pd1998" / "199801.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("TAGGER_CORPORA", str(root))
    corpus = get_corpus("pd1998")
    assert corpus.task == "pos" and corpus.units == "chars"
    numbers = lambda part: [int(item[0][0][1:]) for item in read_part(part, task="pos")]  # noqa: E731
    train, dev, test = numbers(corpus.train), numbers(corpus.dev), numbers(corpus.test)
    assert dev == [19, 39] and test == [9, 29]
    assert sorted(train + dev + test) == list(range(40)) and not set(train) & set(test)
    assert 9 not in numbers(whole(corpus.train)) and 19 in numbers(whole(corpus.train))  # --final keeps test out


def test_oov_words_of_a_benchmark_without_word_list_are_its_training_words(tmp_path, monkeypatch):
    from tagger.corpora import training_words
    root = tmp_path / "corpora"
    (root / "nlpcc2016_weibo").mkdir(parents=True)
    sentences = [f"句子{i} 在 这里" if i % 20 != 19 else "开发 集 的 词" for i in range(40)]
    (root / "nlpcc2016_weibo" / "nlpcc2016-word-seg-train.dat").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    (root / "nlpcc2016_weibo" / "nlpcc2016-wordseg-dev.dat").write_text("测试 的 句子\n", encoding="utf-8")
    monkeypatch.setenv("TAGGER_CORPORA", str(root))
    words = training_words("weibo")
    assert {"句子0", "在", "这里"} <= words and "开发" not in words  # the carved dev slice is not training text
    assert training_words(str(root / "nlpcc2016_weibo" / "nlpcc2016-word-seg-train.dat")) is None
    assert training_words("weibo:dev") == words


def test_name_colon_dev_evaluates_the_carved_dev_split(tmp_path, monkeypatch, capsys):
    from tagger.cli import main
    from tagger.corpora import test_part, training_words
    root = tmp_path / "corpora"
    (root / "pd1998").mkdir(parents=True)
    (root / "sighan2005").mkdir()
    lines = [f"1998010{i % 9}-01-001-{i:03d}/m  我们/r  喜欢/v  苹果/n  。/w" if i % 20 != 19 else
             f"1998010{i % 9}-01-001-{i:03d}/m  开发/v  集/n  。/w" for i in range(40)]
    (root / "pd1998" / "199801.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "sighan2005" / "pku_test_gold.utf8").write_text("测试  句子\n", encoding="utf-8")
    (root / "sighan2005" / "pku_training_words.utf8").write_text("开发\n集\n我们\n", encoding="utf-8")
    monkeypatch.setenv("TAGGER_CORPORA", str(root))
    part, words = test_part("pku:dev")
    assert part.slice == "dev" and words is None
    assert test_part("pku")[0].path.endswith("pku_test_gold.utf8")
    assert training_words("pku") == {"开发", "集", "我们"}  # the test is scored against the bakeoff list
    assert training_words("pku:dev") == {"我们", "喜欢", "苹果", "。"}  # dev against what training saw
    prediction = tmp_path / "dev.out"
    prediction.write_text("开发集 。\n开发 集 。\n", encoding="utf-8")
    assert main(["evaluate", str(prediction), "pku:dev", "--top-errors", "5"]) == 0
    out = capsys.readouterr().out
    assert "gold words    6" in out and "开发* 集*  ->  开发集" in out


@pytest.mark.parametrize("scheme", ["BIOES", "BIO"])
@given(data=st.data())
def test_entity_spans_of_many_paths_are_each_paths_own_spans(scheme, data):
    """spans_of_paths reads only the stretch between a text's first and last entity tag: the
    spans must be those of every tag read one text at a time, for any tags, valid or not."""
    from tagger.tags import scheme_named
    task = Task("ner", "chars", scheme_named(scheme))
    tags = task.scheme.tag_set(["LOC", "PER"])
    paths = data.draw(st.lists(st.lists(st.integers(0, len(tags) - 1), min_size=1, max_size=12), min_size=1, max_size=6))
    texts = ["字" * len(path) for path in paths]
    offsets = data.draw(st.lists(st.integers(0, 40), min_size=len(paths), max_size=len(paths)))
    expected = [[(o + s, o + e, lab) for s, e, lab in tags_to_spans([tags[t] for t in path])]
                for path, o in zip(paths, offsets)]
    assert task.spans_of_paths(texts, paths, tags, offsets) == expected


def test_evaluate_top_errors_of_a_pos_model_names_the_wrong_tags(tmp_path, capsys):
    gold = tmp_path / "gold.txt"  # 苹果 tagged a verb
    gold.write_text("我们/r 喜欢/v 苹果/v 。/w\n", encoding="utf-8")
    assert main(["evaluate", "pos", str(gold), "--threads", "1", "--top-errors", "3"]) == 0
    out = capsys.readouterr().out
    assert "error regions: 1 (missed: 0; spurious: 0; type: 1;" in out
    assert "苹果/v  ->  苹果/n" in out
