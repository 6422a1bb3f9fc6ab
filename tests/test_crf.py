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



def test_an_open_step_counts_every_path_within_its_choices():
    """tagger/partial.py: the gold score of a sentence with open steps is the log-sum over every
    path within each step's choices (brute force); without an open id the loss is the usual one."""
    from tagger.partial import choices
    model = crf_model()
    emissions = torch.randn(2, 3, 3)
    tags = torch.tensor([[0, 3, 1], [3, 0, -100]])  # id 3: open between tags 0 and 2
    table = choices(3, [[0, 2]])
    allowed = [[0], [1], [2], [0, 2]]  # what each id allows
    expected = 0.0
    for row, length in ((0, 3), (1, 2)):
        every = itertools.product(range(3), repeat=length)
        within = itertools.product(*(allowed[t] for t in tags[row, :length].tolist()))
        log_sum = [torch.logsumexp(torch.tensor([path_score(model, emissions[row], p) for p in paths],
                                                dtype=torch.float64), 0).item() for paths in (every, within)]
        expected += log_sum[0] - log_sum[1]
    model.requires_grad_(True)
    assert abs(model.crf_loss(emissions, tags, table).item() - expected / 5) < 1e-4
    plain = torch.tensor([[0, 2, 1], [1, 0, -100]])
    assert torch.allclose(model.crf_loss(emissions, plain, table), model.crf_loss(emissions, plain))


def test_the_softmax_loss_of_an_open_step_is_that_of_its_choices_together():
    from tagger.partial import choices, softmax_loss
    logits = torch.randn(1, 3, 4)
    tags = torch.tensor([[1, 4, -100]])  # id 4: open between tags 0 and 3
    probs = logits.softmax(2)[0]
    expected = -(torch.log(probs[0, 1]) + torch.log(probs[1, 0] + probs[1, 3])) / 2
    assert torch.allclose(softmax_loss(logits, tags, choices(4, [[0, 3]])), expected, atol=1e-5)
    plain = torch.tensor([[1, 2, -100]])
    assert torch.allclose(softmax_loss(logits, plain, choices(4, [])),
                          torch.nn.functional.cross_entropy(logits[0, :2], plain[0, :2]), atol=1e-5)
