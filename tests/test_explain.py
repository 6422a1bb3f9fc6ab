import torch

from tagger.cli import main
from tagger.encode import collate
from tagger.explain import explain, lstm_states
from tagger.modelio import save_model


def test_manual_lstm_states_match_nn_lstm():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(5, 3, batch_first=True)
    x = torch.randn(7, 5)
    expected, _ = lstm(x.unsqueeze(0))
    hidden, cell = lstm_states(lstm, x)
    assert torch.allclose(hidden, expected[0], atol=1e-5)
    assert cell.shape == (7, 3)


def test_explain_agrees_with_the_model(tiny_model):
    text = "我们喜欢苹果"
    result = explain(tiny_model, text)
    assert result["words"] == tiny_model.segment(text)
    assert result["probs"].shape == (len(text), 4)
    assert torch.allclose(result["probs"].sum(-1), torch.ones(len(text)))
    layer = result["layers"][-1]  # the last layer's states are what the output layer reads
    encoded = tiny_model.model.encode(collate([tiny_model.encoder.encode(text)]).inputs)  # (time, batch, 2*hidden)
    assert torch.allclose(torch.cat([layer["forward"]["hidden"], layer["backward"]["hidden"]], -1),
                          encoded[:, 0], atol=1e-5)


def test_explain_command_html_and_png(tiny_model, tmp_path, capsys):
    path = tmp_path / "m.model"
    save_model(tiny_model, path)
    page = tmp_path / "e.html"
    assert main(["explain", "我们喜欢苹果", "--model", str(path), "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.count("<th>") == 1 + 6 and "P(B)" in text and "cell" in text
    png = tmp_path / "e.png"
    assert main(["explain", "我们喜欢苹果", "--model", str(path), "-o", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["explain", "  ", "--model", str(path)]) == 1
