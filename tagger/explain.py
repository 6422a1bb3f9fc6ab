"""`tagger explain`: why a boundary was placed, shown per character.

For one text it shows the tag probabilities and the BiLSTM's hidden-state and cell-state
activations at every character, as a heatmap (a self-contained HTML page, or a PNG), like the
cell-state pictures in the LSTM notes. The states are recomputed step by step from the
`nn.LSTM` weights with the textbook gate equations (PyTorch gate order i, f, g, o), which a test
checks against `nn.LSTM`'s own outputs.
"""
from __future__ import annotations

import html

import torch

from . import networks
from .encode import collate
from .errors import TaggerError
from .files import atomic_write_bytes
from .pipeline import Tagger
from .tags import tags_to_words


def lstm_states(lstm: torch.nn.LSTM, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden and cell state at every step, (time, hidden) each, for a one-layer nn.LSTM."""
    w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0
    bias = lstm.bias_ih_l0 + lstm.bias_hh_l0
    hidden = torch.zeros(lstm.hidden_size)
    cell = torch.zeros(lstm.hidden_size)
    hs, cs = [], []
    for x in inputs:
        i, f, g, o = (w_ih @ x + w_hh @ hidden + bias).chunk(4)
        cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)   # forget, then add
        hidden = torch.sigmoid(o) * torch.tanh(cell)                        # output gate
        hs.append(hidden)
        cs.append(cell)
    return torch.stack(hs), torch.stack(cs)


@torch.no_grad()
def explain(tagger: Tagger, text: str, standard: str | None = None) -> dict:
    """Per-character tag probabilities, decoded tags and words, and every layer's states (a
    multi-criteria model reads the text between its standard's markers; those steps are cut off)."""
    if not text:
        raise ValueError("nothing to explain: empty text")
    model = tagger.model.eval()
    network = networks.of_model(model)
    if not network.recurrent:
        raise TaggerError(f"tagger explain shows LSTM states; this model's network ({network.name}) has none")
    batch = collate([tagger.encoder.encode(text, standard=tagger.encoder.standard_of(standard))])
    own = slice(tagger.encoder.margin, tagger.encoder.margin + len(text))  # the text's own steps
    probs = torch.softmax(model(batch.inputs), -1)[0][own]
    tags = tagger.tag_chunks([text], standard=standard)[0]  # decoded as `segment` decodes
    x = model.embed(batch.inputs)[0]
    layers = []
    for number, (fwd, bwd) in enumerate(zip(model.forward_lstms, model.backward_lstms), start=1):
        h_f, c_f = lstm_states(fwd, x)
        h_b, c_b = lstm_states(bwd, x.flip(0))
        h_b, c_b = h_b.flip(0), c_b.flip(0)
        layers.append({"layer": number, "forward": {"hidden": h_f[own], "cell": c_f[own]},
                       "backward": {"hidden": h_b[own], "cell": c_b[own]}})
        x = torch.cat([h_f, h_b], dim=-1)
    return {"text": text, "tags": tags, "words": tags_to_words(text, tags), "probs": probs,
            "tag_names": list(tagger.tags), "layers": layers}


def _top_units(states: torch.Tensor, k: int) -> list[int]:
    """The k units whose activation varies most along the text (the interesting ones)."""
    spread = states.std(dim=0) if states.shape[0] > 1 else states.abs()[0]
    return spread.argsort(descending=True)[:k].tolist()


def _rows(result: dict, units: int) -> list[tuple[str, list[float]]]:
    rows = [(f"P({name})", result["probs"][:, j].tolist()) for j, name in enumerate(result["tag_names"])]
    for layer in result["layers"]:
        for direction in ("forward", "backward"):
            for kind in ("cell", "hidden"):
                states = layer[direction][kind]
                for unit in _top_units(states, units):
                    rows.append((f"L{layer['layer']} {direction} {kind} #{unit}", states[:, unit].tolist()))
    return rows


def _color(value: float, probability: bool) -> str:
    if probability:
        return f"rgba(40,120,40,{value:.2f})"
    value = max(-1.0, min(1.0, value))
    return f"rgba(200,40,40,{value:.2f})" if value >= 0 else f"rgba(40,70,200,{-value:.2f})"


def to_html(result: dict, units: int = 8) -> str:
    """A self-contained page: one column per character, one row per probability or unit."""
    chars = list(result["text"])
    head = "".join(f"<th>{html.escape(c)}<br><small>{t}</small></th>" for c, t in zip(chars, result["tags"]))
    body = []
    for name, values in _rows(result, units):
        cells = "".join(f'<td style="background:{_color(v, name.startswith("P("))}" title="{v:.3f}"></td>'
                        for v in values)
        body.append(f"<tr><td class=n>{html.escape(name)}</td>{cells}</tr>")
    words = " | ".join(html.escape(w) for w in result["words"])
    return ("<!doctype html><meta charset=utf-8><title>tagger explain</title><style>"
            "body{font-family:sans-serif}td,th{width:22px;height:14px;padding:0;text-align:center}"
            "td.n{width:auto;white-space:nowrap;font-size:11px;padding-right:6px;text-align:right}"
            "</style><h3>" + words + "</h3><p>Green: tag probability. Red positive, blue negative: "
            "LSTM cell/hidden activations (the units that vary most along the text). "
            "Hover a cell for its value.</p><table><tr><th></th>" + head + "</tr>" + "".join(body) + "</table>")


def to_png(result: dict, path: str, units: int = 8) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    rows = _rows(result, units)
    data = torch.tensor([values for _, values in rows])
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(result["text"]) + 3), 0.22 * len(rows) + 1.5))
    ax.imshow(data.numpy(), cmap="coolwarm", vmin=-1, vmax=1, aspect="auto")
    ax.set_yticks(range(len(rows)), [name for name, _ in rows], fontsize=6)
    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name or "Hei" in f.name]
    labels = [f"{c}\n{t}" if cjk else f"{i}\n{t}" for i, (c, t) in enumerate(zip(result["text"], result["tags"]))]
    ax.set_xticks(range(len(labels)), labels, fontsize=7, fontfamily=cjk[0] if cjk else None)
    fig.tight_layout()
    try:
        atomic_write_bytes(path, lambda handle: fig.savefig(handle, format="png", dpi=110))
    finally:
        plt.close(fig)
