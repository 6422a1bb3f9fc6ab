"""A Keras-style summary of a model: each layer, its output shape and parameter count.

PyTorch's LSTM keeps two bias vectors per gate (b_ih and b_hh), so one direction of a layer has
4·(input·hidden + hidden·hidden + 2·hidden) parameters; Keras keeps one and counts
4·((input + hidden)·hidden + hidden). A dense layer has inputs·outputs + outputs.
"""
from __future__ import annotations

from . import networks
from .model import BiLSTMTagger


def layer_rows(model: BiLSTMTagger) -> list[tuple[str, str, int]]:
    """(layer, output shape, parameters) from the model's real tensors, in data-flow order: every
    input's width, so the embeddings' widths add up to the first LSTM's input."""
    cfg = model.config
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    shape = lambda width: f"(batch, time, {width})"  # noqa: E731
    rows = [("char_embed (Embedding)", shape(cfg.char_dim), count(model.char_embed))]
    width = cfg.char_dim
    if cfg.units == "words":
        rows.append(("char_cnn (Embedding + Conv1d, max over a word)", shape(cfg.char_cnn_filters),
                     count(model.subchar_embed) + count(model.char_cnn)))
        rows.append(("casing_embed (Embedding)", shape(cfg.casing_dim), count(model.casing_embed)))
        width += cfg.char_cnn_filters + cfg.casing_dim
    if cfg.bigram_dim > 0:
        rows.append(("bigram_embed (Embedding, left+right)", shape(2 * cfg.bigram_dim), count(model.bigram_embed)))
        width += 2 * cfg.bigram_dim
    if cfg.dictionary_bits > 0:
        rows.append(("dictionary bits (0/1 inputs)", shape(cfg.dictionary_bits), 0))
        width += cfg.dictionary_bits
    if cfg.standard_embedding:
        rows.append(("standard_embed (Embedding, at every step)", shape(cfg.standard_dim), count(model.standard_embed)))
        width += cfg.standard_dim
    rows.append(("concatenate + embed_dropout (Dropout)", shape(width), 0))
    for i, (fwd, bwd) in enumerate(zip(model.forward_lstms, model.backward_lstms)):
        rows.append((f"lstm{i + 1}_forward (LSTM)", shape(cfg.hidden), count(fwd)))
        rows.append((f"lstm{i + 1}_backward (LSTM)", shape(cfg.hidden), count(bwd)))
    rows.append(("out_dropout (Dropout)", shape(2 * cfg.hidden), 0))
    rows.append(("output (Linear at every step)", shape(cfg.num_tags), count(model.output)))
    if cfg.crf:
        rows.append(("crf (transition, start and end scores)", f"({cfg.num_tags}, {cfg.num_tags})",
                     model.crf_transitions.numel() + model.crf_start.numel() + model.crf_end.numel()))
    return rows


def summary_text(model) -> str:
    """The table of a BiLSTM (rows from this module) or of a distilled ID-CNN (its own rows)."""
    convolutional = not networks.of_model(model).recurrent
    rows = model.layer_rows() if convolutional else layer_rows(model)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'Layer (type)':<{width}}{'Output shape':<24}{'Param #':>12}", "=" * (width + 36)]
    lines += [f"{name:<{width}}{shape:<24}{params:>12,}" for name, shape, params in rows]
    lines += ["=" * (width + 36), f"Total params: {total:,}", f"Trainable params: {trainable:,}"]
    if not convolutional:
        lines.append("LSTM counts use PyTorch's two bias vectors: 4·(input·hidden + hidden² + 2·hidden) "
                     "per direction (Keras: 4·((input + hidden)·hidden + hidden)).")
    return "\n".join(lines)


def multiply_adds_per_step(model) -> int:
    """Multiply-adds the network spends on one character (one time step), from its real tensors.

    Every per-step layer is a matrix applied at each step: an LSTM direction's input and recurrent
    weights (4 gates), a width-3 convolution's kernel, the output layer. So the count is the size
    of those weights. Embedding tables are lookups (no multiply-adds), biases and activations are
    not counted, and a layer applied once per text (the ID-CNN's whole-text context) is left out.
    The ID-CNN's dilated block runs `iterations` times with the same weights, so it counts that often.
    """
    import torch.nn as nn
    repeats = getattr(model.config, "iterations", 1)
    total = 0
    for name, module in model.named_modules():
        if isinstance(module, nn.LSTM):
            total += sum(p.numel() for n, p in module.named_parameters() if n.startswith("weight_"))
        elif isinstance(module, (nn.Conv1d, nn.Linear)) and name.split(".")[-1] != "context":
            total += module.weight.numel() * (repeats if name.startswith("block.") else 1)
    return total
