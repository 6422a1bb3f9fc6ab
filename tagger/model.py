"""The BiLSTM tagger, readable in one sitting.

    characters ─► char embedding ─┐
    left bigram ─► bigram embedding ├─ concat ─► dropout ─► stacked BiLSTM ─► dropout
    right bigram ─► (same table) ──┤                                             │
    dictionary bits ─► 0/1 inputs ─┤ (optional: tagger/dictionary.py)            │
    standard ─► standard embedding ┘ (optional: multi-criteria models)           │
                       the same Linear at every time step ("TimeDistributed") ◄─┘
                                                             │
                                                  logits over tags (softmax in the loss)

The left bigram of character i is c[i-1]c[i], the right one c[i]c[i+1]; both come from one
embedding table, as in Ma, Ganchev & Weiss (2018).

A multi-criteria model reads each text between two markers of its segmentation standard
(tagger/encode.py). With `standard_dim > 0` it also gets a learned vector of that standard at
every step (a criterion embedding), looked up from the first step's marker.

Word-level models (English NER, `units="words"`) read words instead of characters: `char_embed`
then embeds lowercased words, and each word adds a character CNN (embedding -> Conv1d -> max
over the word's characters, as Ma & Hovy 2016) and a casing embedding, so unseen words still
get useful features. No bigrams or dictionary bits there.

Each BiLSTM layer is two one-directional `nn.LSTM`s; the backward one reads every sequence
reversed *within its own length*, so padding never leaks into real positions. This is exact,
like packed sequences, but on CPU it trains about 2x faster: autograd through a
PackedSequence zero-fills a full-size gradient at every time step.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .configs import ModelConfig, SavedConfig  # noqa: F401 (re-exported: model.ModelConfig)
from .encode import Inputs, marker_rows


class BiLSTMTagger(nn.Module):
    bfloat16_inference = False  # inference on the CPU in bfloat16 (engine.choose_precision); set by modelio.load_model

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.char_embed = nn.Embedding(config.char_vocab, config.char_dim, padding_idx=0)
        input_dim = config.char_dim
        if config.bigram_dim > 0:
            self.bigram_embed = nn.Embedding(config.bigram_vocab, config.bigram_dim, padding_idx=0)
            input_dim += 2 * config.bigram_dim
        input_dim += config.dictionary_bits
        if config.standard_embedding:
            self.standard_embed = nn.Embedding(len(config.marker_ids) + 1, config.standard_dim, padding_idx=0)
            rows = torch.from_numpy(marker_rows(config.char_vocab, config.marker_ids))
            self.register_buffer("marker_index", rows, persistent=False)
            input_dim += config.standard_dim
        if config.units == "words":
            self.subchar_embed = nn.Embedding(config.word_char_vocab, config.char_cnn_embed, padding_idx=0)
            self.char_cnn = nn.Conv1d(config.char_cnn_embed, config.char_cnn_filters, kernel_size=3, padding=1)
            self.casing_embed = nn.Embedding(5, config.casing_dim)
            input_dim += config.char_cnn_filters + config.casing_dim
        self.register_buffer("bit_values", 2 ** torch.arange(config.dictionary_bits), persistent=False)
        self.embed_dropout = nn.Dropout(config.embed_dropout)
        self.forward_lstms = nn.ModuleList()
        self.backward_lstms = nn.ModuleList()
        for layer in range(config.layers):
            size = input_dim if layer == 0 else 2 * config.hidden
            self.forward_lstms.append(nn.LSTM(size, config.hidden))  # time-major: see `encode`
            self.backward_lstms.append(nn.LSTM(size, config.hidden))
        self.between_dropout = nn.Dropout(config.lstm_dropout)
        self.out_dropout = nn.Dropout(config.lstm_dropout)
        self.output = nn.Linear(2 * config.hidden, config.num_tags)  # applied at every step
        if config.crf:  # scores of tag i followed by tag j, of starting and of ending with a tag
            self.crf_transitions = nn.Parameter(torch.zeros(config.num_tags, config.num_tags))
            self.crf_start = nn.Parameter(torch.zeros(config.num_tags))
            self.crf_end = nn.Parameter(torch.zeros(config.num_tags))

    def embed(self, inputs: Inputs) -> torch.Tensor:
        """(batch, time, input width): the embeddings and features of every step, concatenated."""
        dtype = self.output.weight.dtype  # loaded tables may be float16 (modelio.load_weights)
        parts = [self.char_embed(inputs.chars).to(dtype)]
        if self.config.units == "words":
            parts += [self.word_chars(inputs.subchars), self.casing_embed(inputs.casing)]
        if self.config.bigram_dim > 0:
            right = self.bigram_embed(inputs.bigrams).to(dtype)     # c[i] c[i+1]
            left = nn.functional.pad(right[:, :-1], (0, 0, 1, 0))  # c[i-1] c[i]; zeros at i=0
            parts += [left, right]
        if self.config.dictionary_bits > 0:
            bits = (inputs.word_edges.unsqueeze(-1) & self.bit_values) != 0  # unpack the bit masks
            parts.append(bits.to(parts[0].dtype))
        if self.config.standard_embedding:  # the standard the first step's marker names, at every step
            standard = self.standard_embed(self.marker_index[inputs.chars[:, 0]])
            parts.append(standard[:, None, :].expand(-1, inputs.chars.shape[1], -1))
        return self.embed_dropout(torch.cat(parts, dim=-1))

    def word_chars(self, subchars: torch.Tensor) -> torch.Tensor:
        """(batch, time, word chars) ids -> (batch, time, filters): CNN, max over the characters."""
        batch, time, width = subchars.shape
        x = self.subchar_embed(subchars.reshape(batch * time, width)).transpose(1, 2)
        return self.char_cnn(x).max(dim=2).values.reshape(batch, time, -1)

    def encode(self, inputs: Inputs) -> torch.Tensor:
        """BiLSTM outputs at every step, (time, batch, 2*hidden); padding does not reach real steps.

        Time-major, the layout the LSTM kernel computes in: given (batch, time, ...) tensors,
        nn.LSTM copies its input to time-major and its output back, and reversing the
        non-contiguous result copied it again (3% of inference time, by torch's profiler)."""
        x = self.embed(inputs).transpose(0, 1).contiguous()
        for layer, (fwd, bwd) in enumerate(zip(self.forward_lstms, self.backward_lstms)):
            if layer > 0:
                x = self.batch_major_dropout(self.between_dropout, x)
            ahead, _ = fwd(x)
            behind, _ = bwd(reverse_padded(x, inputs.lengths))
            x = torch.cat([ahead, reverse_padded(behind, inputs.lengths)], dim=-1)
        return x

    def batch_major_dropout(self, dropout: nn.Dropout, x: torch.Tensor) -> torch.Tensor:
        """Dropout on a time-major tensor, its mask drawn in (batch, time) order, so a seed draws
        the same masks whichever layout the layers compute in, and trains the same model."""
        if not self.training or dropout.p == 0:
            return x
        return dropout(x.transpose(0, 1).contiguous()).transpose(0, 1).contiguous()

    def forward(self, inputs: Inputs) -> torch.Tensor:
        """Tag logits (batch, time, num_tags) for a batch of torch tensors."""
        return self.output(self.batch_major_dropout(self.out_dropout, self.encode(inputs))).transpose(0, 1)

    def log_probs(self, inputs: Inputs) -> np.ndarray:
        """Inference on padded numpy inputs: tag log-probabilities (batch, time, tags) as numpy,
        the interface every network shares (tagger/pipeline.py's `Network`)."""
        device = self.char_embed.weight.device
        self.eval()
        faster = self.bfloat16_inference and device.type == "cpu"
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=faster):
            logits = self(inputs.map(lambda a: torch.from_numpy(a).to(device), lengths=False)
                          ._replace(lengths=torch.from_numpy(inputs.lengths)))
            return torch.log_softmax(logits.float(), -1).cpu().numpy()

    def crf_scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(transitions, start, end) learned by the CRF as numpy, for the Viterbi decoder; None without."""
        if not self.config.crf:
            return None
        return tuple(p.detach().float().cpu().numpy() for p in (self.crf_transitions, self.crf_start, self.crf_end))

    def crf_loss(self, logits: torch.Tensor, tags: torch.Tensor, choices: torch.Tensor | None = None) -> torch.Tensor:
        """Linear-chain CRF negative log-likelihood, summed over sentences, divided by the number of
        tagged steps (so its scale, and a good learning rate, match the softmax loss).

        logits: (batch, time, tags) emission scores; tags: (batch, time) gold ids, -100 on padding.
        Sequences are left-aligned (padding only at the end) and non-empty. With `choices`
        (tagger/partial.py) an id >= tags leaves its step open among several tags: the gold
        score is then the log-sum over every path within the choices (a marginal likelihood).
        """
        mask = tags >= 0
        emissions = logits.float()
        if choices is not None and bool((tags >= emissions.shape[2]).any()):
            from .partial import allowed_tags
            gold_paths = emissions.masked_fill(~allowed_tags(tags, choices), -1e4)
            path = self._log_sum_of_paths(gold_paths, mask)
        else:
            path = self._path_score(emissions, tags, mask)
        total = self._log_sum_of_paths(emissions, mask)
        return (total - path).sum() / mask.sum().clamp(min=1)

    def _path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch,) score of each sentence's gold path."""
        gold = tags.clamp(min=0)
        batch = torch.arange(tags.shape[0], device=tags.device)
        lengths = mask.sum(1)
        emitted = emissions.gather(2, gold.unsqueeze(2)).squeeze(2)
        moved = self.crf_transitions[gold[:, :-1], gold[:, 1:]]
        path = (emitted * mask).sum(1) + (moved * mask[:, 1:]).sum(1)
        return path + self.crf_start[gold[:, 0]] + self.crf_end[gold[batch, lengths - 1]]

    def _log_sum_of_paths(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch,) log-sum of the scores of all paths (forward algorithm): one (batch, tags) x
        (tags, tags) product a step in exp space, shifted by maxima so nothing overflows: 1.7x
        faster than logsumexp over a (batch, tags, tags) tensor."""
        alpha = self.crf_start + emissions[:, 0]
        top = self.crf_transitions.max()
        moves = torch.exp(self.crf_transitions - top)
        for t in range(1, emissions.shape[1]):
            shift = alpha.max(1, keepdim=True).values
            summed = torch.exp(alpha - shift) @ moves
            step = torch.log(summed.clamp_min(1e-30)) + shift + top + emissions[:, t]
            alpha = torch.where(mask[:, t:t + 1], step, alpha)
        return torch.logsumexp(alpha + self.crf_end, dim=1)


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of a time-major (time, batch, features) tensor within its length.

    Padding positions stay where they are, so the operation is its own inverse. Rows are picked
    with one index_select over (time*batch, features): several times faster than `gather`.
    """
    time, batch, features = x.shape
    steps = torch.arange(time, device=x.device).unsqueeze(1)
    index = lengths.to(x.device).unsqueeze(0) - 1 - steps
    index = torch.where(index >= 0, index, steps) * batch + torch.arange(batch, device=x.device).unsqueeze(0)
    return x.reshape(time * batch, features).index_select(0, index.reshape(-1)).reshape(time, batch, features)
