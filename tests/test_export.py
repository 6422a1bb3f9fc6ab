"""Exported models give the same tags as the original (parity), without tagger's model code."""
import json

import numpy as np
import torch

from tagger.cli import main
from tagger.modelio import save_model


def encode_like_a_deployment(text: str, meta: dict) -> tuple[list[int], list[int]]:
    """The README's recipe, written independently of tagger.vocab."""
    import unicodedata
    chars = {c: i for i, c in enumerate(meta["vocab"]["chars"])}
    bigrams = {b: i for i, b in enumerate(meta["vocab"]["bigrams"])}
    seen = ""
    for c in text:
        n = unicodedata.normalize("NFKC", c)
        c = n if len(n) == 1 else c
        if meta["vocab"]["classes"]:
            c = "0" if c.isdigit() or unicodedata.category(c) == "Nd" else ("a" if c.isascii() and c.isalpha() else c)
        seen += c
    pairs = [seen[i:i + 2] if i + 1 < len(seen) else seen[i] + "</s>" for i in range(len(seen))]
    return [chars.get(c, 1) for c in seen], [bigrams.get(b, 1) for b in pairs]


def tags_from(log_probs: torch.Tensor, lengths: torch.Tensor, segmenter) -> list[list[int]]:
    return segmenter.decoder.viterbi(log_probs, lengths)


def batch(texts, meta):
    encoded = [encode_like_a_deployment(t, meta) for t in texts]
    time = max(len(c) for c, _ in encoded)
    chars = torch.zeros(len(texts), time, dtype=torch.long)
    bigrams = torch.zeros(len(texts), time, dtype=torch.long)
    for i, (c, b) in enumerate(encoded):
        chars[i, :len(c)] = torch.tensor(c)
        bigrams[i, :len(b)] = torch.tensor(b)
    return chars, bigrams, torch.tensor([len(t) for t in texts])


def reference_tags(segmenter, texts):
    """Tags from the original model and tagger's own encoder (no atomic-run masks: the raw model)."""
    from tagger.encode import collate
    b = collate([segmenter.encoder.encode(t) for t in texts])
    with torch.no_grad():
        log_probs = torch.log_softmax(segmenter.model(b.inputs), -1)
    return segmenter.decoder.viterbi(log_probs, b.inputs.lengths)


def test_torchscript_and_onnx_parity(tiny_model, tiny_corpus, tmp_path):
    model_path = tmp_path / "m.model"
    save_model(tiny_model, model_path)
    _, _, dev = tiny_corpus
    texts = ["".join(s) for s in dev] + ["ABC12和3.5公斤"]
    expected = reference_tags(tiny_model, texts)
    ts = str(tmp_path / "m.pt")
    assert main(["export", str(model_path), "--format", "torchscript", "-o", ts]) == 0
    meta = json.loads(open(ts + ".json", encoding="utf-8").read())
    chars, bigrams, lengths = batch(texts, meta)
    scripted = torch.jit.load(ts)
    got = tags_from(scripted(chars, bigrams, lengths), lengths, tiny_model)
    assert got == expected

    import onnxruntime
    onnx_path = str(tmp_path / "m.onnx")
    assert main(["export", str(model_path), "--format", "onnx", "-o", onnx_path]) == 0
    session = onnxruntime.InferenceSession(onnx_path)
    out = session.run(None, {"chars": chars.numpy(), "bigrams": bigrams.numpy(), "lengths": lengths.numpy()})[0]
    reference = scripted(chars, bigrams, lengths).detach().numpy()
    mask = np.arange(chars.shape[1])[None, :] < lengths.numpy()[:, None]
    assert np.abs(out - reference)[mask].max() < 1e-4
    assert tags_from(torch.from_numpy(out), lengths, tiny_model) == got


def test_the_sidecar_carries_the_traditional_fold(tiny_model):
    """A deployment reads Traditional script as the model does without tagger's data files."""
    from tagger.export import sidecar
    from tagger.vocab import normalize, traditional_to_simplified
    fold = sidecar(tiny_model)["t2s"]
    assert fold == traditional_to_simplified() and len(fold) > 3000
    assert "".join(fold.get(c, c) for c in "臺北們說") == normalize("臺北們說", False) == "台北们说"
