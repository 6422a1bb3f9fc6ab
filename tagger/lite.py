"""Inference without torch: the networks (model.py, idcnn.py) computed with numpy.

Importing torch takes seconds and a few hundred MB before a single character is tagged; a
one-line `echo ... | tagger segment` pays that in full. This engine computes the same networks
from the same model file (read without torch by tagger/modelio.py), so a short job starts in
well under a second. For long inputs the torch engine is faster (fused LSTM kernels).
"""
from __future__ import annotations

import numpy as np

from .encode import Inputs, marker_rows
from .errors import TaggerError

HALF_TABLES = ("char_embed.weight", "bigram_embed.weight")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # = 1 / (1 + exp(-x)), without overflow warnings


def reverse_padded(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reverse each (batch, time, ...) sequence within its length, as model.reverse_padded."""
    steps = np.arange(x.shape[1])[None, :]
    index = lengths[:, None] - 1 - steps
    index = np.where(index >= 0, index, steps)
    return np.take_along_axis(x, index[:, :, None], axis=1)


class _NumpyNetwork:
    """What every numpy network shares: float32 weights by their torch names, inference mode
    only, the CPU only, dictionary bits unpacked, log-softmax over tags."""

    def __init__(self, config: dict, state: dict[str, np.ndarray]):
        if config.get("units", "chars") != "chars":
            raise ValueError("the numpy engine runs character-level models only")
        self.config = config
        # float32 weights, except float16 embedding tables, which stay so: the rows looked up are
        # cast to float32 when concatenated (exactly the values of a float32 copy, as in the
        # torch networks), and converting 138k bigram rows was a tenth of opening the model
        self.w = {k: np.array(v) if k in HALF_TABLES and v.dtype == np.float16 else
                  np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
        self.bit_values = 2 ** np.arange(config.get("dictionary_bits", 0), dtype=np.int64)
        # char id -> the row of the standard embedding its marker selects (multi-criteria networks)
        self.marker_index = marker_rows(config["char_vocab"], config["marker_ids"]) if config.get("marker_ids") else None

    def _standard(self, chars: np.ndarray) -> np.ndarray:
        """(batch, width): the standard vector each row's first marker selects."""
        return self.w["standard_embed.weight"][self.marker_index[chars[:, 0]]]

    def eval(self):
        """Always in inference mode (no dropout); here so callers can treat both engines alike."""
        return self

    def to(self, device):
        """Stays on the CPU, the only device numpy has; any other is a one-line error."""
        require_cpu(device)
        return self

    def _bits(self, word_edges: np.ndarray) -> np.ndarray:
        """(batch, time) bit masks -> (batch, time, bits) 0/1 float32 inputs."""
        return ((word_edges[:, :, None] // self.bit_values) % 2).astype(np.float32)

    def _log_probs_of(self, x: np.ndarray) -> np.ndarray:
        """The output layer and log-softmax: (batch, time, features) -> (batch, time, tags)."""
        logits = x @ self.w["output.weight"].T + self.w["output.bias"]
        logits -= logits.max(axis=-1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


class NumpyBiLSTM(_NumpyNetwork):
    """model.BiLSTMTagger's forward pass in numpy (inference only, float32)."""

    def crf_scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(transitions, start, end) of a CRF model, as model.BiLSTMTagger.crf_scores."""
        if not self.config.get("crf"):
            return None
        return self.w["crf_transitions"], self.w["crf_start"], self.w["crf_end"]

    def _embed(self, chars, bigrams, word_edges) -> np.ndarray:
        parts = [self.w["char_embed.weight"][chars]]
        if self.config["bigram_dim"] > 0:
            right = self.w["bigram_embed.weight"][bigrams]
            left = np.zeros_like(right)
            left[:, 1:] = right[:, :-1]
            parts += [left, right]
        if self.config.get("dictionary_bits", 0) > 0:
            parts.append(self._bits(word_edges))
        if self.config.get("standard_dim", 0) > 0 and self.marker_index is not None:  # as BiLSTMTagger.embed
            rows = self._standard(chars)
            parts.append(np.broadcast_to(rows[:, None, :], (*chars.shape, rows.shape[1])))
        return np.concatenate(parts, axis=-1, dtype=np.float32)

    def _bilstm_layer(self, x: np.ndarray, lengths: np.ndarray, layer: int) -> np.ndarray:
        """One BiLSTM layer over (batch, time, features) -> (batch, time, 2*hidden).

        Both directions step together: their states are stacked on a leading axis of 2, so each
        time step is one batched matrix product and one pass of elementwise gate arithmetic.
        Gate rows are reordered from torch's (i, f, g, o) to (i, f, o, g) at the first call, so
        the three sigmoid gates are one contiguous block.
        """
        w_ih, w_hh, bias = self._stacked_weights(layer)
        hidden = w_hh.shape[2]                                         # w_hh: (2, 4*hidden, hidden)
        inputs = np.stack([x, reverse_padded(x, lengths)])            # (2, batch, time, features)
        projected = np.matmul(inputs, w_ih[:, None]) + bias[:, None, None, :]  # all steps, both directions
        w_hh_t = np.ascontiguousarray(np.transpose(w_hh, (0, 2, 1)))  # (2, hidden, 4*hidden)
        _, batch, time, _ = projected.shape
        h = np.zeros((2, batch, hidden), np.float32)
        c = np.zeros((2, batch, hidden), np.float32)
        out = np.empty((2, batch, time, hidden), np.float32)
        gates = np.empty((2, batch, 4 * hidden), np.float32)
        for t in range(time):
            np.matmul(h, w_hh_t, out=gates)
            gates += projected[:, :, t]
            sig = _sigmoid(gates[..., :3 * hidden])
            c = sig[..., hidden:2 * hidden] * c + sig[..., :hidden] * np.tanh(gates[..., 3 * hidden:])
            h = sig[..., 2 * hidden:] * np.tanh(c)
            out[:, :, t] = h
        return np.concatenate([out[0], reverse_padded(out[1], lengths)], axis=-1)

    def _stacked_weights(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(w_ih^T, w_hh, bias) of both directions stacked, gates reordered to (i, f, o, g)."""
        key = f"stacked.{layer}"
        if key not in self.w:
            parts = []
            for direction in ("forward", "backward"):
                name = f"{direction}_lstms.{layer}"
                w_ih, w_hh = self.w[f"{name}.weight_ih_l0"], self.w[f"{name}.weight_hh_l0"]
                bias = self.w[f"{name}.bias_ih_l0"] + self.w[f"{name}.bias_hh_l0"]
                hidden = w_hh.shape[1]
                order = np.r_[0:2 * hidden, 3 * hidden:4 * hidden, 2 * hidden:3 * hidden]
                parts.append((w_ih[order].T, w_hh[order], bias[order]))
            self.w[key] = tuple(np.ascontiguousarray(np.stack(p)) for p in zip(*parts))
        return self.w[key]

    def log_probs(self, inputs: Inputs) -> np.ndarray:
        """Tag log-probabilities (batch, time, tags) for padded id arrays."""
        x = self._embed(inputs.chars, inputs.bigrams, inputs.word_edges)
        for layer in range(self.config["layers"]):
            x = self._bilstm_layer(x, inputs.lengths, layer)
        return self._log_probs_of(x)


def require_cpu(device) -> None:
    """A one-line error unless `device` is the CPU: the numpy engine's models have no other."""
    if str(device) != "cpu":
        raise TaggerError(f"the numpy engine runs on the CPU only, not {device}; use the torch engine")


class NumpyIDCNN(_NumpyNetwork):
    """idcnn.IDCNNTagger's forward pass in numpy (inference only, float32).

    Each convolution (kernel 3, dilation d) is one matrix product of the (batch * time, in)
    steps with the three kernel taps side by side, (in, 3 * out), then the taps' thirds are summed
    at offsets -d, 0, +d: the same sums as torch's Conv1d with zero padding."""

    def __init__(self, config: dict, state: dict[str, np.ndarray]):
        super().__init__(config, state)
        taps = lambda w: np.ascontiguousarray(np.transpose(w, (1, 2, 0)).reshape(w.shape[1], -1))  # noqa: E731
        self.first = (taps(self.w["first.weight"]), self.w["first.bias"], 1)
        self.block = [(taps(self.w[f"block.{i}.weight"]), self.w[f"block.{i}.bias"], d)
                      for i, d in enumerate(config["dilations"])]

    def crf_scores(self) -> None:
        return None

    @staticmethod
    def _conv(x: np.ndarray, layer) -> np.ndarray:
        weights, bias, d = layer
        out = weights.shape[1] // 3
        h = x @ weights                                   # (batch, time, 3 * out)
        y = h[..., out:2 * out] + bias
        if d < x.shape[1]:
            y[:, d:] += h[:, :-d, :out]                   # tap 0 reads x[t - d]
            y[:, :-d] += h[:, d:, 2 * out:]               # tap 2 reads x[t + d]
        return y

    def log_probs(self, inputs: Inputs) -> np.ndarray:
        """Tag log-probabilities (batch, time, tags) for padded id arrays."""
        chars, lengths = inputs.chars, inputs.lengths
        parts = [self.w["char_embed.weight"][chars]]
        if self.config["bigram_dim"] > 0:
            parts.append(self.w["bigram_embed.weight"][inputs.bigrams])
        if self.config.get("dictionary_bits", 0) > 0:
            parts.append(self._bits(inputs.word_edges))
        x = np.concatenate(parts, axis=-1, dtype=np.float32)
        keep = (np.arange(x.shape[1])[None, :] < np.asarray(lengths)[:, None]).astype(np.float32)[:, :, None]
        x = self._conv(x, self.first)
        if self.marker_index is not None:  # the standard's vector at every step
            x += self._standard(chars)[:, None, :]
        x = np.maximum(x, 0) * keep
        if self.config.get("context"):  # the whole text's mean first-layer features, mapped, at every step
            mean = x.sum(axis=1) / np.maximum(np.asarray(lengths), 1)[:, None].astype(np.float32)
            x += np.maximum(mean @ self.w["context.weight"].T + self.w["context.bias"], 0)[:, None, :] * keep
        for _ in range(self.config.get("iterations", 1)):
            for layer in self.block:
                x += np.maximum(self._conv(x, layer), 0) * keep
        return self._log_probs_of(x)
