"""Dask: a local cluster of 2 worker processes segments a bag exactly like one process does,
in order, loading the model once per worker."""
import pytest

import tagger

from tagger.modelio import save_model

distributed = pytest.importorskip("distributed")


def test_two_worker_cluster_matches_one_process(tiny_model, tiny_corpus, tmp_path):
    import dask.bag as db
    from tagger.cluster import segment_bag

    model_path = str(tmp_path / "m.model")
    save_model(tiny_model, model_path)
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev] * 3 + ["", "ABC 我们"]
    expected = tiny_model.segment_lines(lines)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        bag = db.from_sequence(lines, npartitions=6)
        got = segment_bag(bag, model_path).compute()
        held = client.run(lambda: len(__import__("tagger.cluster", fromlist=["MODELS"]).MODELS))
    assert got == expected
    assert sorted(held.values()) in ([1, 1], [0, 1])  # one model per worker process, kept for every partition
    assert sum(held.values()) >= 1


def test_text_files_round_trip(tiny_model, tmp_path):
    import dask.bag as db
    from tagger.cluster import segment_bag

    model_path = str(tmp_path / "m.model")
    save_model(tiny_model, model_path)
    source = tmp_path / "in"
    source.mkdir()
    texts = {"a.txt": ["我们喜欢苹果。", "他是北京的学生。"], "b.txt": ["中国人民研究和平。"]}
    for name, lines in texts.items():
        (source / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    bag = db.read_text(str(source / "*.txt"))
    out = tmp_path / "out"
    segment_bag(bag, model_path).map(" ".join).to_textfiles(str(out / "*.txt"), scheduler="sync")
    written = sorted(out.iterdir())
    assert len(written) == 2
    first = written[0].read_text(encoding="utf-8").splitlines()
    assert [line.replace(" ", "") for line in first] == texts["a.txt"]


class _OnePartition:
    """What `segment_series` uses of a dask column (map_partitions), over one pandas partition:
    dask.dataframe needs pyarrow, which the test extra does not install."""

    def __init__(self, series):
        self.series, self.name = series, series.name

    def map_partitions(self, function, meta):
        return function(self.series)


def test_dask_column_is_segmented_like_a_pandas_series(tiny_model, tmp_path):
    import pandas as pd
    from tagger.cluster import segment_series

    model_path = str(tmp_path / "m.model")
    save_model(tiny_model, model_path)
    column = pd.Series(["我们喜欢苹果。", None, "他是学生"], index=[5, 6, 7], name="text")
    got = segment_series(_OnePartition(column), model_path)
    expected = tagger.Tokenizer(tiny_model).cut_series(column)
    assert list(got.index) == [5, 6, 7] and got.name == "text"
    assert got[5] == expected[5] and pd.isna(got[6]) and got[7] == expected[7]
