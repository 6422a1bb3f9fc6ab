"""A new network or a new tag scheme goes in through its table alone (docs/model.md, "Adding a
network or a tag scheme"): here each toy is defined outside the package and registered with one
table entry, then trained, saved, loaded and run, as a real one would be."""
from __future__ import annotations

import numpy as np

from tagger import networks
from tagger.corpora import read_part, training_parts
from tagger.model import ModelConfig
from tagger.modelio import load_model, save_model
from tagger.readers import read_items
from tagger.summary import summary_text
from tagger.tags import SCHEMES, Scheme
from tagger.train import TrainConfig, Trainer

from .conftest import make_corpus, write_segmented
from .ner_corpora import tiny_ner_corpora

# A network's own module: its settings, weight shapes, torch class and numpy class. This one
# tags each character from its embedding alone (no context): small, and quick to learn.
TOY_MODULE = '''
from dataclasses import dataclass, field

import numpy as np

from tagger.configs import SavedConfig


@dataclass
class ToyConfig(SavedConfig):
    network: str = "toy"
    char_dim: int = 16
    num_tags: int = 4
    char_vocab: int = 0
    bigram_dim: int = 0  # what the trainer and the checks read of every network's settings
    bigram_vocab: int = 0
    dictionary_bits: int = 0
    units: str = "chars"
    marker_ids: list = field(default_factory=list)


def toy_shapes(c):
    return {"char_embed.weight": (c.char_vocab, c.char_dim), "output.weight": (c.num_tags, c.char_dim),
            "output.bias": (c.num_tags,)}


import torch  # noqa: E402
from torch import nn  # noqa: E402


class ToyTorch(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.char_embed = nn.Embedding(config.char_vocab, config.char_dim, padding_idx=0)
        self.output = nn.Linear(config.char_dim, config.num_tags)

    def forward(self, inputs):
        return self.output(self.char_embed(inputs.chars))

    def log_probs(self, inputs):
        with torch.inference_mode():
            return torch.log_softmax(self(inputs.map(torch.from_numpy)), -1).numpy()

    def crf_scores(self):
        return None

    def layer_rows(self):
        count = lambda layer: sum(p.numel() for p in layer.parameters())  # noqa: E731
        return [("char_embed (Embedding)", f"(batch, time, {self.config.char_dim})", count(self.char_embed)),
                ("output (Linear)", f"(batch, time, {self.config.num_tags})", count(self.output))]


class ToyNumpy:
    def __init__(self, config, state):
        self.config = config
        self.embed, self.weight, self.bias = state["char_embed.weight"], state["output.weight"], state["output.bias"]

    def log_probs(self, inputs):
        scores = self.embed[inputs.chars].astype(np.float32) @ self.weight.T + self.bias
        top = scores.max(-1, keepdims=True)
        return scores - top - np.log(np.exp(scores - top).sum(-1, keepdims=True))

    def crf_scores(self):
        return None

    def to(self, device):
        return self

    def eval(self):
        return self
'''


def test_a_network_added_through_the_table_trains_saves_and_runs_on_both_engines(tmp_path, monkeypatch):
    package = tmp_path / "toys"
    package.mkdir()
    (package / "toynet.py").write_text(TOY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.setitem(networks.NETWORKS, "toy", networks.Network(  # the one table entry
        "toy", "toynet:ToyConfig", "toynet:toy_shapes", "toynet:ToyTorch", "toynet:ToyNumpy",
        "one linear layer per character", recurrent=False, torch_from_chars=None))

    write_segmented(tmp_path / "train.seg", make_corpus(300, 1))
    write_segmented(tmp_path / "dev.seg", make_corpus(40, 2))
    train, dev = training_parts(str(tmp_path / "train.seg"), str(tmp_path / "dev.seg"))
    config = networks.get("toy").config_class()
    trained = Trainer(config, TrainConfig(epochs=3, batch_chars=400, lr=5e-2, char_min_count=1, bigram_min_count=1),
                      log=lambda message: None, progress=False).fit(read_part(train), read_part(dev))
    assert trained.metadata["dev_f1"] > 0.6  # it learned: a character alone says much of its word edge here

    save_model(trained, tmp_path / "toy.model")
    by_torch, by_numpy = (load_model(tmp_path / "toy.model", engine) for engine in ("torch", "numpy"))
    assert type(by_torch.model).__name__ == "ToyTorch" and type(by_numpy.model).__name__ == "ToyNumpy"
    lines = ["".join(words) for words in make_corpus(30, 3)] + ["我们在北京 工作了。", ""]
    inputs = by_numpy.encoder.encode_batch(lines[:30])
    np.testing.assert_allclose(by_torch.model.log_probs(inputs), by_numpy.model.log_probs(inputs), atol=1e-5)
    assert by_torch.segment_lines(lines) == by_numpy.segment_lines(lines) == trained.segment_lines(lines)
    assert "output (Linear)" in summary_text(by_torch.model)  # `tagger summary` shows its own layer table


class IO(Scheme):
    """Entities as I-TYPE runs, O outside: two entities of one type that touch become one."""
    name = "IO"
    segments = False
    typed = True

    def tag_set(self, labels):
        return ("O",) + tuple(f"I-{label}" for label in labels)

    def tags(self, length, spans):
        tags = ["O"] * length
        for start, end, label in spans:
            tags[start:end] = [f"I-{label}"] * (end - start)
        return tags

    def spans(self, tags):
        spans = []
        for i, tag in enumerate(tags):
            if tag == "O":
                continue
            if spans and spans[-1][1] == i and tags[i - 1] == tag:
                spans[-1] = (spans[-1][0], i + 1, spans[-1][2])
            else:
                spans.append((i, i + 1, tag[2:]))
        return spans

    def follows(self, prev, nxt):
        return True

    def starts(self, tag):
        return True

    def ends(self, tag):
        return True


def test_a_tag_scheme_added_through_the_table_trains_saves_and_decodes(tmp_path, monkeypatch):
    monkeypatch.setitem(SCHEMES, "IO", IO())  # the one table entry
    msra, _ = tiny_ner_corpora(tmp_path, n=200)
    items = list(read_items(msra, "msra", "ner"))
    trained = Trainer(ModelConfig(char_dim=16, bigram_dim=8, hidden=16),
                      TrainConfig(task="ner", scheme="IO", epochs=4, batch_chars=600, lr=2e-2, char_min_count=1,
                                  bigram_min_count=1),
                      log=lambda message: None, progress=False).fit(items[:170], items[170:])
    assert trained.tags == ("O", "I-LOC", "I-ORG", "I-PER")
    assert trained.metadata["dev_f1"] > 0.8

    save_model(trained, tmp_path / "io.model")
    for engine in ("torch", "numpy"):
        loaded = load_model(tmp_path / "io.model", engine)
        assert loaded.task.scheme.name == "IO"  # the file names its scheme
        assert loaded.entities("李四在上海中央电视台讲话。") == [(0, 2, "PER", "李四"), (3, 5, "LOC", "上海"),
                                                          (5, 10, "ORG", "中央电视台")]
