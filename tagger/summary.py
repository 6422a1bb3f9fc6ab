"""A Keras-style summary of a model: each layer, its output shape and parameter count.

PyTorch's LSTM keeps two bias vectors per gate (b_ih and b_hh), so one direction of a layer has
4·(input·hidden + hidden·hidden + 2·hidden) parameters; Keras keeps one and counts
4·((input + hidden)·hidden + hidden). A dense layer has inputs·outputs + outputs.
"""
from __future__ import annotations

from .model import BiLSTMTagger


def lstm_direction_params(inputs: int, hidden: int) -> int:
    """Closed form for one direction of one PyTorch LSTM layer (two bias vectors)."""
    return 4 * (inputs * hidden + hidden * hidden + 2 * hidden)


def dense_params(inputs: int, outputs: int) -> int:
    return inputs * outputs + outputs


def layer_rows(model: BiLSTMTagger) -> list[tuple[str, str, int]]:
    """(layer, output shape, parameters) from the model's real tensors, in data-flow order."""
    cfg = model.config
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    rows = [("char_embed (Embedding)", f"(batch, time, {cfg.char_dim})", count(model.char_embed))]
    width = cfg.char_dim
    if cfg.bigram_dim > 0:
        rows.append(("bigram_embed (Embedding, left+right)", f"(batch, time, {2 * cfg.bigram_dim})",
                     count(model.bigram_embed)))
        width += 2 * cfg.bigram_dim
    rows.append(("embed_dropout (Dropout)", f"(batch, time, {width})", 0))
    for i, (fwd, bwd) in enumerate(zip(model.forward_lstms, model.backward_lstms)):
        rows.append((f"lstm{i + 1}_forward (LSTM)", f"(batch, time, {cfg.hidden})", count(fwd)))
        rows.append((f"lstm{i + 1}_backward (LSTM)", f"(batch, time, {cfg.hidden})", count(bwd)))
    rows.append(("out_dropout (Dropout)", f"(batch, time, {2 * cfg.hidden})", 0))
    rows.append(("output (Linear at every step)", f"(batch, time, {cfg.num_tags})", count(model.output)))
    return rows


def summary_text(model: BiLSTMTagger) -> str:
    rows = layer_rows(model)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'Layer (type)':<{width}}{'Output shape':<24}{'Param #':>12}", "=" * (width + 36)]
    lines += [f"{name:<{width}}{shape:<24}{params:>12,}" for name, shape, params in rows]
    lines += ["=" * (width + 36), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              "LSTM counts use PyTorch's two bias vectors: 4·(input·hidden + hidden² + 2·hidden) "
              "per direction (Keras: 4·((input + hidden)·hidden + hidden))."]
    return "\n".join(lines)
