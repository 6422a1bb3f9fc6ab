"""A student network parallel over time: an iterated dilated CNN (Strubell et al. 2017).

    characters ─► char embedding ─┐
    right bigram ─► bigram embedding ├─ concat ─► dropout ─► Conv(k=3) ─► ReLU ─┐
    dictionary bits ─► 0/1 inputs ──┘                                          │
        ┌── block: dilated Conv(k=3, d) ─► ReLU, residual, for d in dilations ◄─┘
        └── the same block `iterations` times ─► dropout ─► Linear at every step ─► logits

Why: a BiLSTM walks the text one character at a time; each step is a small matrix product plus
gate arithmetic, and the step overhead, not the multiply-adds, bounds a small BiLSTM's speed.
Every layer here is one product over all the batch's characters at once. With kernel 3, the
first layer sees c[i-1..i+1] and the right bigrams of i-1..i+1 (so also i's left bigram), and
each dilated layer widens the view by 2 * dilation; dilations (1, 2, 4) see 17 characters.

A multi-criteria teacher reads each text between two markers of its standard (docs/standards.md);
a BiLSTM carries the marker along the whole sentence, but a convolution sees it only within its
reach of the ends. So the student also looks the standard up from the first step's marker and
adds a learned vector of that standard to the first layer at every step (the criterion
embedding of the multi-criteria literature); `marker_ids` are the markers' character ids.
With `context`, a vector of the whole text (a linear map of its mean first-layer features) is
added at every step too: the teacher's `mixed` standard follows each corpus's conventions on
that corpus's kind of text, which a BiLSTM recognizes from the whole sentence; without it the
student scored 7 points below the teacher on UD text under `mixed`.

Padding never reaches real steps: every layer's output is zeroed past each row's length, so a
row's result does not depend on what it was batched with. Distilled from a BiLSTM teacher by
tagger/distill.py; `tagger.lite.NumpyIDCNN` computes the same network without torch.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .encode import Inputs, marker_rows
from .configs import NETWORK, IDCNNConfig  # noqa: F401 (re-exported: idcnn.IDCNNConfig)

class IDCNNTagger(nn.Module):
    """The same interface as model.BiLSTMTagger: forward(inputs) -> logits (batch, time, tags),
    log_probs(inputs) -> numpy log-probabilities, crf_scores(), to(device), eval()."""

    def __init__(self, config: IDCNNConfig):
        super().__init__()
        self.config = config
        self.char_embed = nn.Embedding(config.char_vocab, config.char_dim, padding_idx=0)
        width = config.char_dim + config.dictionary_bits
        if config.bigram_dim > 0:
            self.bigram_embed = nn.Embedding(config.bigram_vocab, config.bigram_dim, padding_idx=0)
            width += config.bigram_dim
        self.register_buffer("bit_values", 2 ** torch.arange(config.dictionary_bits), persistent=False)
        self.embed_dropout = nn.Dropout(config.dropout)
        self.first = nn.Conv1d(width, config.channels, kernel_size=3, padding=1)
        if config.marker_ids:  # row k+1: standard k's vector; row 0: no marker (zeros)
            self.standard_embed = nn.Embedding(len(config.marker_ids) + 1, config.channels, padding_idx=0)
            self.register_buffer("marker_index", torch.from_numpy(marker_rows(config.char_vocab, config.marker_ids)),
                                 persistent=False)
        if config.context:
            self.context = nn.Linear(config.channels, config.channels)
        self.block = nn.ModuleList(nn.Conv1d(config.channels, config.channels, kernel_size=3, padding=d, dilation=d)
                                   for d in config.dilations)
        self.out_dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(config.channels, config.num_tags)

    def embed(self, inputs: Inputs) -> torch.Tensor:
        """(batch, time, input width): char and right-bigram embeddings, dictionary bits."""
        dtype = self.output.weight.dtype  # loaded tables may be float16 (modelio.load_weights)
        parts = [self.char_embed(inputs.chars).to(dtype)]
        if self.config.bigram_dim > 0:
            parts.append(self.bigram_embed(inputs.bigrams).to(dtype))
        if self.config.dictionary_bits > 0:
            parts.append(((inputs.word_edges.unsqueeze(-1) & self.bit_values) != 0).to(parts[0].dtype))
        return self.embed_dropout(torch.cat(parts, dim=-1))

    def forward(self, inputs: Inputs) -> torch.Tensor:
        """Tag logits (batch, time, num_tags) for a batch of torch tensors."""
        x = self.embed(inputs)
        time = x.shape[1]
        keep = (torch.arange(time, device=x.device)[None, :] < inputs.lengths.to(x.device)[:, None])
        keep = keep.unsqueeze(1).to(x.dtype)                           # (batch, 1, time)
        x = self.first(x.transpose(1, 2))                               # (batch, channels, time)
        standard = self._standard(inputs.chars)
        if standard is not None:
            x = x + standard[:, :, None]
        x = torch.relu(x) * keep
        if self.config.context:  # what the text is like as a whole: its mean first-layer features
            mean = x.sum(2) / inputs.lengths.to(x.device)[:, None].clamp(min=1).to(x.dtype)
            x = x + torch.relu(self.context(mean))[:, :, None] * keep
        for _ in range(self.config.iterations):
            for conv in self.block:
                x = x + torch.relu(conv(x)) * keep
        return self.output(self.out_dropout(x.transpose(1, 2)))

    def _standard(self, chars: torch.Tensor) -> torch.Tensor | None:
        """(batch, channels): the vector of the standard each row's first marker names (None for
        a single-criterion model)."""
        if not self.config.marker_ids:
            return None
        return self.standard_embed(self.marker_index[chars[:, 0]])

    def log_probs(self, inputs: Inputs) -> np.ndarray:
        """Inference on padded numpy inputs: tag log-probabilities (batch, time, tags) as numpy."""
        device = self.char_embed.weight.device
        self.eval()
        with torch.inference_mode():
            logits = self(inputs.map(lambda a: torch.from_numpy(a).to(device), lengths=False)
                          ._replace(lengths=torch.from_numpy(np.asarray(inputs.lengths))))
            return torch.log_softmax(logits.float(), -1).cpu().numpy()

    def crf_scores(self) -> None:
        return None

    # no recurrent layers: `tagger explain` shows the tag probabilities alone
    forward_lstms: tuple = ()
    backward_lstms: tuple = ()

    def layer_rows(self) -> list[tuple[str, str, int]]:
        """(layer, output shape, parameters) in data-flow order, as tagger/summary.py lists a BiLSTM's."""
        cfg = self.config
        count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
        shape = lambda width: f"(batch, time, {width})"  # noqa: E731
        rows = [("char_embed (Embedding)", shape(cfg.char_dim), count(self.char_embed))]
        width = cfg.char_dim
        if cfg.bigram_dim > 0:
            rows.append(("bigram_embed (Embedding, right bigram)", shape(cfg.bigram_dim), count(self.bigram_embed)))
            width += cfg.bigram_dim
        if cfg.dictionary_bits > 0:
            rows.append(("dictionary bits (0/1 inputs)", shape(cfg.dictionary_bits), 0))
            width += cfg.dictionary_bits
        rows.append(("concatenate + embed_dropout (Dropout)", shape(width), 0))
        rows.append(("first (Conv1d k=3) + ReLU", shape(cfg.channels), count(self.first)))
        if cfg.marker_ids:
            rows.append(("standard_embed (Embedding, added at every step)", shape(cfg.channels),
                         count(self.standard_embed)))
        if cfg.context:
            rows.append(("context (mean over the text, Linear + ReLU, added at every step)", shape(cfg.channels),
                         count(self.context)))
        for iteration in range(cfg.iterations):  # the block's weights are shared: counted once
            for conv, d in zip(self.block, cfg.dilations):
                rows.append((f"block (Conv1d k=3 dilation {d}) + ReLU, residual", shape(cfg.channels),
                             count(conv) if iteration == 0 else 0))
        rows.append(("out_dropout (Dropout)", shape(cfg.channels), 0))
        rows.append(("output (Linear at every step)", shape(cfg.num_tags), count(self.output)))
        return rows

