"""Segment corpora too big for one machine on Dask (distributed), through the same Tagger.

Each worker process loads the model once, on its first partition, and keeps it: a partition is
then just `Tagger.segment_lines` on its lines. Partitions keep their order, so writing the
result with `to_textfiles` gives one output file per input partition, line-aligned with it.

    import dask.bag as db
    from dask.distributed import Client
    from tagger.cluster import segment_bag

    if __name__ == "__main__":                       # Dask's worker processes import the script again
        client = Client("scheduler:8786")            # or Client() for a local cluster
        lines = db.read_text("corpus/*.txt", blocksize="64MiB").map(str.rstrip)
        segment_bag(lines, "my.model").map(" ".join).to_textfiles("segmented/*.txt")

The model file must be readable at the same path on every worker (a shared disk), or leave
`model` out to use the shipped one, which every installed copy of tagger has.
"""
from __future__ import annotations

import os
from typing import Sequence

from .api import segment_series as segment_series_here
from .pipeline import Tagger

MODELS: dict[str, Tagger] = {}  # the models this process holds, by absolute path ("": the shipped one)


def worker_model(model: str | None) -> Tagger:
    """The model for this process, loaded on first use and kept (one load per worker)."""
    key = os.path.abspath(model) if model else ""
    if key not in MODELS:
        import torch
        from .modelio import load
        torch.set_num_threads(1)  # one thread per worker process: workers are the parallelism
        MODELS[key] = load(model)
    return MODELS[key]


def segment_partition(lines: Sequence[str], model: str | None = None,
                      standard: str | None = None) -> list[list[str]]:
    """Words of each line of one partition (what every task of `segment_bag` runs); `standard`:
    a multi-criteria model's segmentation standard (default: its own)."""
    return worker_model(model).segment_lines([line.rstrip("\r\n") for line in lines], standard=standard)


def segment_bag(lines, model: str | None = None, standard: str | None = None):
    """A dask Bag of lines -> a Bag of word lists, partition by partition, order kept."""
    return lines.map_partitions(segment_partition, model, standard)


def segment_series(series, model: str | None = None, standard: str | None = None):
    """A dask DataFrame column of texts -> a column of word lists (same index and partitions)."""
    return series.map_partitions(lambda part: segment_series_here(worker_model(model), part, standard),
                                 meta=(series.name, "object"))
