"""The CRF layer: its loss against brute force over all tag paths, Viterbi with learned
transitions against brute force, and a tiny BiLSTM-CRF trained, saved and run by both engines."""
import itertools

import numpy as np
import pytest
import torch

from tagger.decode import Decoder
from tagger.model import BiLSTMTagger, ModelConfig
from tagger.modelio import load_model
from tagger.tags import transition_rules

from .test_tasks import train_cli, write_ner_corpus


def crf_model(num_tags: int = 3) -> BiLSTMTagger:
    torch.manual_seed(0)
    model = BiLSTMTagger(ModelConfig(char_vocab=5, bigram_dim=0, hidden=4, num_tags=num_tags, crf=True))
    with torch.no_grad():
        for p in (model.crf_transitions, model.crf_start, model.crf_end):
            p.normal_()
    return model


def path_score(model, emissions, path) -> float:
    model = model.requires_grad_(False)
    score = model.crf_start[path[0]] + model.crf_end[path[-1]] + sum(emissions[t, k] for t, k in enumerate(path))
    return float(score + sum(model.crf_transitions[a, b] for a, b in zip(path, path[1:])))


@pytest.mark.parametrize("scale", [1.0, 20.0])  # 20: scores far apart, where a naive exp would overflow
def test_crf_loss_is_the_brute_force_negative_log_likelihood(scale):
    model = crf_model()
    with torch.no_grad():
        model.crf_transitions.mul_(scale)
    emissions = torch.randn(2, 3, 3) * scale
    tags = torch.tensor([[0, 2, 1], [1, 0, -100]])  # the second sentence is 2 long, then padding
    expected = 0.0
    for row, length in ((0, 3), (1, 2)):  # (scores as floats: no graph needed for the expectation)
        gold = tags[row, :length].tolist()
        log_z = torch.logsumexp(torch.tensor([path_score(model, emissions[row], p)
                                              for p in itertools.product(range(3), repeat=length)],
                                             dtype=torch.float64), 0).item()
        expected += log_z - path_score(model, emissions[row], gold)
    model.requires_grad_(True)
    loss = model.crf_loss(emissions, tags)
    assert abs(loss.item() - expected / 5) < 1e-4 * scale  # divided by the 5 tagged steps
    loss.backward()
    assert model.crf_transitions.grad.abs().sum() > 0


def test_viterbi_adds_learned_transitions_within_the_constraints():
    tags = ("B", "M", "E", "S")
    decoder = Decoder(tags, "BMES")
    next_ok, start_ok, end_ok = transition_rules(tags, "BMES")
    rng = np.random.default_rng(0)
    learned = tuple(rng.normal(size=s).astype(np.float32) * 3 for s in ((4, 4), (4,), (4,)))
    scores = rng.normal(size=(3, 4, 4)).astype(np.float32)
    paths = decoder.viterbi(scores, np.array([4, 4, 4]), learned=learned)
    for row, path in enumerate(paths):
        valid = [p for p in itertools.product(range(4), repeat=4)
                 if start_ok[p[0]] and end_ok[p[-1]] and all(next_ok[a][b] for a, b in zip(p, p[1:]))]
        total = lambda p: (sum(scores[row, t, k] for t, k in enumerate(p)) + learned[1][p[0]]  # noqa: E731
                           + learned[2][p[-1]] + sum(learned[0][a, b] for a, b in zip(p, p[1:])))
        assert abs(total(tuple(path)) - max(total(p) for p in valid)) < 1e-4


def test_crf_ner_train_save_load_tag_both_engines(tmp_path):
    write_ner_corpus(tmp_path / "train.bmes", 200, 1)
    write_ner_corpus(tmp_path / "dev.bmes", 20, 2)
    model = tmp_path / "crf.model"
    assert train_cli(tmp_path / "train.bmes", model, "--dev", str(tmp_path / "dev.bmes"), "--crf",
                     "--epochs", "8", "--bigram-dim", "8", "--batch-chars", "300") == 0
    tagger_model = load_model(model)
    assert tagger_model.model.config.crf
    transitions, _, _ = tagger_model.model.crf_scores()
    assert np.abs(transitions).sum() > 0  # learned, not left at zero
    spans = tagger_model.tag("李四在上海学习。")
    assert {"text": "上海", "start": 3, "end": 5, "label": "LOC"} in spans
    lines = ["王五在广州工作。", "张三在北京学习。"]
    assert load_model(model, engine="numpy").label_lines(lines) == tagger_model.label_lines(lines)
