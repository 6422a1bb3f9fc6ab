"""Export a model for deployment without tagger's training code: TorchScript or ONNX.

The exported graph maps (chars, bigrams, lengths[, dictionary]) id tensors to per-character tag
log-probabilities. The vocabularies and the normalization settings go into a JSON file beside
it (`OUT.json`), with the Traditional -> Simplified fold the encoder applies, so a deployment
needs only torch (or onnxruntime) and a few lines of encoding, shown in docs/api.md.
"""
from __future__ import annotations

import io
import json
import warnings

import torch

from .encode import Inputs
from .errors import TaggerError, install_hint
from .files import atomic_write_bytes, discard_output, write_text_atomic
from .pipeline import Tagger
from .vocab import traditional_to_simplified

FORMATS = ("torchscript", "onnx")


class _LogProbs(torch.nn.Module):
    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, chars: torch.Tensor, bigrams: torch.Tensor, lengths: torch.Tensor,
                dictionary: torch.Tensor | None = None) -> torch.Tensor:
        return torch.log_softmax(self.model(Inputs(chars, lengths, bigrams, dictionary)), -1)


def _input_names(tagger: Tagger) -> list[str]:
    names = ["chars", "bigrams", "lengths"]
    return names + ["dictionary"] if tagger.encoder.dictionary is not None else names


def sidecar(tagger: Tagger) -> dict:
    """What a deployment needs to encode text and read the output."""
    return {"tags": list(tagger.tags), "vocab": tagger.encoder.to_dict(),
            "normalization": "NFKC per character (kept when it gives one character), then the t2s table "
                             "(Traditional -> Simplified); with classes, digits -> '0' and ASCII letters -> 'a'; "
                             "then the stand_ins table (a bracket or quote the model never saw -> one it knows)",
            "t2s": traditional_to_simplified(),
            "stand_ins": {chr(code): mark for code, mark in tagger.encoder.known_marks().items()},
            "bigram": "id of text[i] + text[i+1], or text[i] + '</s>' at the end; unknown -> 1",
            "dictionary_features": "bit n-2 of dictionary[i]: a vocab.dictionary word of n characters "
                                   "starts at i; bit max_len-1+n-2: one ends at i (n = 2..max_len)",
            "inputs": _input_names(tagger), "output": "log_probs (batch, time, tags)",
            "crf": None if tagger.model.crf_scores() is None else dict(zip(
                ("transitions", "start", "end"), (a.tolist() for a in tagger.model.crf_scores()))),
            "metadata": {k: v for k, v in tagger.metadata.items() if isinstance(v, (str, int, float))}}


def _example(tagger: Tagger) -> tuple[torch.Tensor, ...]:
    # distinct tensors: a tracer given one tensor twice would wire both inputs to it
    example = (torch.tensor([[2, 3, 4, 5]]), torch.tensor([[6, 7, 8, 9]]), torch.tensor([4]))
    return example + (torch.tensor([[1, 10, 0, 3]]),) if tagger.encoder.dictionary is not None else example


def export(tagger: Tagger, path: str, fmt: str = "torchscript") -> str:
    """Write the exported model to `path` and its JSON sidecar to `path + '.json'`."""
    if fmt not in FORMATS:
        raise TaggerError(f"unknown export format {fmt!r}; choose {', '.join(FORMATS)}")
    if tagger.encoder.bigrams is None:
        raise TaggerError("export needs a model with bigram features")
    net = _LogProbs(tagger.model).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notice; the trace is checked by tests
        if fmt == "torchscript":
            traced = torch.jit.trace(net, _example(tagger))
            atomic_write_bytes(path, lambda handle: torch.jit.save(traced, handle))
        else:
            _export_onnx(net, path, _example(tagger), _input_names(tagger))
    try:
        write_text_atomic(path + ".json", [json.dumps(sidecar(tagger), ensure_ascii=False)])
    except BaseException:
        discard_output(path)  # an exported model without its vocabularies is no use: neither is left
        raise
    return path


def _export_onnx(net: torch.nn.Module, path: str, example: tuple, names: list[str]) -> None:
    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError:
        raise TaggerError(f"ONNX export needs the onnx package: {install_hint('export')}") from None
    axes = {"chars": {0: "batch", 1: "time"}, "bigrams": {0: "batch", 1: "time"}, "lengths": {0: "batch"},
            "dictionary": {0: "batch", 1: "time"}, "log_probs": {0: "batch", 1: "time"}}
    axes = {name: axis for name, axis in axes.items() if name in names or name == "log_probs"}
    graph = io.BytesIO()  # the exporter writes a path or a buffer; the file itself goes through tagger/files.py
    torch.onnx.export(net, example, graph, input_names=names, output_names=["log_probs"],
                      dynamic_axes=axes, dynamo=False)
    atomic_write_bytes(path, lambda handle: handle.write(graph.getbuffer()))
