"""What a loaded torch model computes in: float16 tables read exactly, bfloat16 where the CPU
has it (auto) or when asked, float32 for evaluation; and a vocabulary kept as one string."""
import numpy as np
import pytest
import torch

from tagger import load
from tagger.cli import main
from tagger.engine import choose_engine, choose_precision, native_bfloat16
from tagger.errors import TaggerError
from tagger.modelio import load_model, round_to_half, save_model
from tagger.vocab import Vocab


@pytest.fixture
def half_path(tiny_model, tmp_path):
    path = tmp_path / "half.model"
    save_model(tiny_model, path, half=True)
    return path


def test_float16_tables_stay_float16_and_give_float32_words(half_path, tiny_model, tiny_corpus):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev]
    loaded = load_model(half_path)
    assert loaded.model.bigram_embed.weight.dtype == torch.float16
    assert loaded.model.forward_lstms[0].weight_ih_l0.dtype == torch.float32
    numpy_engine = load_model(half_path, engine="numpy")  # float32 tables throughout
    assert loaded.segment_lines(lines) == numpy_engine.segment_lines(lines)
    texts = lines[:5]
    inputs = loaded.encoder.encode_batch(texts)
    assert np.abs(loaded.model.log_probs(inputs) - numpy_engine.model.log_probs(inputs)).max() < 1e-4


def test_a_float32_file_keeps_float32_tables(tiny_model, tmp_path):
    path = tmp_path / "full.model"
    save_model(tiny_model, path)
    assert load_model(path).model.bigram_embed.weight.dtype == torch.float32


def test_native_bfloat16_reads_the_cpu_flags(tmp_path):
    with_bf16, without = tmp_path / "a", tmp_path / "b"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    without.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw\n")
    assert native_bfloat16(str(with_bf16)) and not native_bfloat16(str(without))
    assert not native_bfloat16(str(tmp_path / "missing"))


def test_precision_choice(monkeypatch):
    import tagger.engine as engine
    monkeypatch.setattr(engine, "native_bfloat16", lambda: True)
    assert choose_precision("auto") == "bfloat16" and choose_precision("auto", "numpy") == "float32"
    monkeypatch.setattr(engine, "native_bfloat16", lambda: False)
    assert choose_precision("auto") == "float32" and choose_precision("bfloat16") == "bfloat16"
    with pytest.raises(TaggerError, match="numpy engine computes in float32"):
        choose_precision("bfloat16", "numpy")
    with pytest.raises(TaggerError, match="unknown precision"):
        choose_precision("half")
    assert choose_engine("auto", "-", precision="bfloat16") == "torch"
    assert choose_engine("auto", "-", torch_from_bytes=0) == "torch"  # a model only torch runs


def test_bfloat16_is_lossless_and_close_to_float32(half_path, tiny_corpus):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev]
    exact, fast = load(str(half_path), precision="float32"), load(str(half_path), precision="bfloat16")
    assert not exact.model.bfloat16_inference and fast.model.bfloat16_inference
    assert callable(fast.model.bfloat16)  # nn.Module's own method is not shadowed
    words, fast_words = exact.segment_lines(lines), fast.segment_lines(lines)
    assert ["".join(w) for w in fast_words] == lines
    assert sum(a == b for a, b in zip(words, fast_words)) >= 0.8 * len(lines)


def test_evaluation_runs_in_float32(half_path, tiny_corpus, monkeypatch):
    import tagger.engine as engine
    import tagger.modelio as modelio
    monkeypatch.setattr(engine, "native_bfloat16", lambda: True)
    assert load(str(half_path), engine="torch").model.bfloat16_inference  # auto, on a CPU with bfloat16
    real, seen = modelio.load_model, []

    def spy(path, engine="torch", precision="float32"):
        seen.append(precision)
        return real(path, engine, precision)
    monkeypatch.setattr(modelio, "load_model", spy)
    _, dev_path, _ = tiny_corpus
    assert main(["evaluate", str(half_path), str(dev_path)]) == 0
    assert seen == ["float32"]


def test_bfloat16_on_the_numpy_engine_is_a_one_line_error(half_path, tmp_path, capsys):
    text = tmp_path / "in.txt"
    text.write_text("我们喜欢苹果。\n", encoding="utf-8")
    code = main(["segment", str(text), "--model", str(half_path), "--engine", "numpy", "--precision", "bfloat16"])
    err = capsys.readouterr().err
    assert code != 0 and "numpy engine computes in float32" in err and len(err.strip().splitlines()) == 1


def test_rounded_model_scores_what_its_half_file_gives(tiny_model, half_path, tiny_corpus):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev]
    import copy
    rounded = copy.deepcopy(tiny_model)
    round_to_half(rounded)
    assert rounded.segment_lines(lines) == load_model(half_path).segment_lines(lines)


def test_vocab_keeps_its_strings_in_order():
    vocab = Vocab(["我们", "a", "", "北京</s>", "<unk>", "x\ny"])
    assert vocab.itos == ["<pad>", "<unk>", "我们", "a", "", "北京</s>", "x\ny"]
    assert len(vocab) == 7 and vocab.stoi["北京</s>"] == 5 and vocab.ids(["a", "zz"]) == [3, 1]
