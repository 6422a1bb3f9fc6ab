#!/usr/bin/env python
"""Store a model's training vocabulary in its file (used by cut_for_search and tokenize's search
mode). Models trained by tagger 0.1.0 store it themselves; this fills it in for a model file
written before that, reading the same training part, without touching the weights.

    TAGGER_CORPORA=../shared/corpora python scripts/attach_lexicon.py tagger/data/default.model pku
"""
from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tagger.corpora import read_part, training_parts  # noqa: E402
from tagger.modelio import load_model, save_model  # noqa: E402
from tagger.train import split_sentences  # noqa: E402


def main() -> None:
    model_path, corpus = sys.argv[1], sys.argv[2]
    segmenter = load_model(model_path)
    before = {k: v.clone() for k, v in segmenter.model.state_dict().items()}
    train, _ = training_parts(corpus)
    segmenter.lexicon = frozenset(w for words in read_part(train) for s in split_sentences(words) for w in s)
    half = torch.load(model_path, weights_only=True)["state_dict"]["char_embed.weight"].dtype == torch.float16
    save_model(segmenter, model_path, half=half)
    after = load_model(model_path)
    assert all(torch.equal(before[k], v) for k, v in after.model.state_dict().items()), "weights changed"
    print(f"{model_path}: {len(segmenter.lexicon)} training words attached; weights unchanged")


if __name__ == "__main__":
    main()
