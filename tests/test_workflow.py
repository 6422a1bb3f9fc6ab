"""Cross-validation, final models, learning curves and the model summary, on tiny data."""
import pandas as pd
import pytest

from tagger.cli import main
from tagger.curves import diagnose
from tagger.model import BiLSTMTagger, ModelConfig
from tagger.modelio import read_payload
from tagger.summary import layer_rows, multiply_adds_per_step

TINY = ["--epochs", "2", "--hidden", "8", "--char-dim", "8", "--bigram-dim", "4", "--batch-chars", "400",
        "--lr", "0.01", "--quiet"]


def test_cv_writes_table_markdown_and_plot(tiny_corpus, tmp_path, capsys):
    train_path, _, _ = tiny_corpus
    prefix = str(tmp_path / "cv")
    assert main(["cv", str(train_path), "--folds", "2", "--repeats", "2", "-o", prefix, *TINY]) == 0
    table = pd.read_csv(prefix + ".csv")
    assert len(table) == 4 and set(table["fold"]) == {1, 2} and set(table["repeat"]) == {1, 2}
    assert table["seed"].nunique() == 4
    assert {"precision", "recall", "f1", "oov_recall", "best_epoch", "train_minutes"} <= set(table.columns)
    assert table["f1"].between(0, 1).all()
    markdown = (tmp_path / "cv.md").read_text(encoding="utf-8")
    assert "| f1 |" in markdown and "95% CI" in markdown
    assert (tmp_path / "cv.png").stat().st_size > 1000
    assert "F1 " in capsys.readouterr().out


def test_cv_python_api_returns_dataframe(tiny_corpus):
    from tagger.corpora import read_part, training_parts
    from tagger.cv import cross_validate, final_epochs, summarize
    from tagger.train import TrainConfig
    train_path, _, _ = tiny_corpus
    sentences = list(read_part(training_parts(str(train_path))[0]))
    table, histories = cross_validate(sentences, folds=2, model_config=ModelConfig(char_dim=4, bigram_dim=0, hidden=4),
                                      train_config=TrainConfig(epochs=1, batch_chars=400), progress=False)
    assert isinstance(table, pd.DataFrame) and len(table) == 2 and len(histories) == 2
    assert summarize(table).loc["f1", "std"] >= 0
    assert final_epochs(table) == 1


def test_final_model_uses_cv_epochs_and_all_data(tiny_corpus, tmp_path):
    train_path, _, _ = tiny_corpus
    table = tmp_path / "cv.csv"
    pd.DataFrame({"best_epoch": [2, 3, 3]}).to_csv(table, index=False)
    out = tmp_path / "final.model"
    assert main(["train", str(train_path), "-o", str(out), "--final", "--cv-table", str(table), *TINY]) == 0
    payload = read_payload(out)
    assert payload["metadata"]["final"] is True and "mean best epoch" in payload["metadata"]["epochs_rule"]
    assert payload["metadata"]["best_epoch"] == 3
    history = pd.read_csv(tmp_path / "final.history.csv")
    assert len(history) == 3 and history["dev_loss"].isna().all()
    assert payload["metadata"]["train_sentences"] == 300


def test_plot_command_counts_curves(tiny_corpus, tmp_path, capsys):
    frames = []
    for k in range(3):
        path = tmp_path / f"run{k}.history.csv"
        pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [0.5, 0.3, 0.2], "dev_loss": [0.6, 0.4, 0.5 + k],
                      "dev_f1": [0.8, 0.9, 0.85]}).to_csv(path, index=False)
        frames.append(str(path))
    out = tmp_path / "curves.png"
    assert main(["plot", *frames, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "(6 loss curves)" in printed and printed.count("overfit: validation loss rising after epoch 2") == 3
    assert out.stat().st_size > 1000


def test_diagnosis():
    frame = lambda dev: pd.DataFrame({"epoch": range(1, len(dev) + 1), "train_loss": [1.0] * len(dev),  # noqa
                                      "dev_loss": dev})
    assert diagnose(frame([0.5, 0.4, 0.3])).startswith("underfit")
    assert diagnose(frame([0.5, 0.3, 0.4])).startswith("overfit: validation loss rising after epoch 2")
    assert diagnose(frame([0.5, 0.3, 0.3])).startswith("good fit")


@pytest.mark.parametrize("layers, bigram_dim", [(1, 0), (2, 6)])
def test_summary_counts_match_closed_forms(layers, bigram_dim):
    cfg = ModelConfig(char_dim=10, bigram_dim=bigram_dim, hidden=7, layers=layers, char_vocab=30,
                      bigram_vocab=40, num_tags=4)
    rows = {name.split(" ")[0]: params for name, _, params in layer_rows(BiLSTMTagger(cfg))}
    inputs = 10 + 2 * bigram_dim
    assert rows["char_embed"] == 30 * 10
    assert rows["lstm1_forward"] == rows["lstm1_backward"] == lstm_direction_params(inputs, 7)
    assert lstm_direction_params(inputs, 7) == 4 * (inputs * 7 + 7 * 7 + 2 * 7)
    if layers == 2:
        assert rows["lstm2_forward"] == lstm_direction_params(14, 7)
    assert rows["output"] == dense_params(14, 4) == 14 * 4 + 4
    assert sum(rows.values()) == sum(p.numel() for p in BiLSTMTagger(cfg).parameters())


@pytest.mark.parametrize("layers, bigram_dim, dictionary_bits", [(1, 0, 0), (2, 6, 5)])
def test_multiply_adds_per_step_of_a_bilstm(layers, bigram_dim, dictionary_bits):
    cfg = ModelConfig(char_dim=10, bigram_dim=bigram_dim, hidden=7, layers=layers, char_vocab=30, bigram_vocab=40,
                      num_tags=4, dictionary_bits=dictionary_bits)
    inputs = 10 + 2 * bigram_dim + dictionary_bits
    per_direction = [4 * 7 * (inputs + 7)] + [4 * 7 * (14 + 7)] * (layers - 1)
    assert multiply_adds_per_step(BiLSTMTagger(cfg)) == 2 * sum(per_direction) + 14 * 4


@pytest.mark.parametrize("iterations", [1, 2])
def test_multiply_adds_per_step_of_an_idcnn(iterations):
    from tagger.idcnn import IDCNNConfig, IDCNNTagger
    cfg = IDCNNConfig(char_dim=8, bigram_dim=4, channels=16, dilations=[1, 2], iterations=iterations, num_tags=4,
                      char_vocab=30, bigram_vocab=40, dictionary_bits=3, context=True)
    first, block, output = 3 * (8 + 4 + 3) * 16, 2 * 3 * 16 * 16, 16 * 4  # the context layer runs once per text
    assert multiply_adds_per_step(IDCNNTagger(cfg)) == first + iterations * block + output


def test_summary_command(tiny_model, tmp_path, capsys):
    from tagger.modelio import save_model
    path = tmp_path / "m.model"
    save_model(tiny_model, path)
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    total = sum(p.numel() for p in tiny_model.model.parameters())
    assert f"Total params: {total:,}" in out and "lstm1_forward (LSTM)" in out


def test_cv_keeps_documents_together(tmp_path):
    """PD 1998 paragraphs of one article never straddle a fold (GroupKFold on article ids)."""
    from tagger.cv import _splits
    from tagger.readers import read_pd1998, read_pd1998_documents
    lines = []
    for article in range(10):
        for paragraph in range(1, 5):
            lines.append(f"19980101-01-{article:03d}-{paragraph:03d}/m  我们/r  喜欢/v  苹果/n")
    path = tmp_path / "pd.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    groups = list(read_pd1998_documents(path))
    assert len(groups) == len(list(read_pd1998(path))) == 40 and len(set(groups)) == 10
    for train_idx, test_idx in _splits(40, 5, 1, groups):
        assert not {groups[i] for i in train_idx} & {groups[i] for i in test_idx}


def test_lazy_cross_validate_export():
    import tagger
    from tagger.cv import cross_validate
    assert tagger.cross_validate is cross_validate


def test_cv_without_matplotlib_claims_no_png_and_still_diagnoses(tiny_corpus, tmp_path, capsys, monkeypatch):
    import tagger.curves
    def no_matplotlib(*args, **kwargs):
        raise ImportError("No module named 'matplotlib'")
    monkeypatch.setattr(tagger.curves, "plot_histories", no_matplotlib)
    train_path, _, _ = tiny_corpus
    prefix = str(tmp_path / "cv")
    args = ["cv", str(train_path), "--folds", "2", "-o", prefix, *[a for a in TINY if a != "--quiet"]]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert not (tmp_path / "cv.png").exists()
    assert "cv.png" not in captured.out and "cv.csv" in captured.out
    assert "fit" in captured.err  # the diagnosis: underfit / overfit / good fit


@pytest.mark.parametrize("crf, dictionary_bits", [(False, 0), (True, 10)])
def test_summary_shows_every_input_width_and_adds_up(crf, dictionary_bits):
    cfg = ModelConfig(char_dim=10, bigram_dim=6, hidden=7, char_vocab=30, bigram_vocab=40, num_tags=4,
                      dictionary_bits=dictionary_bits, crf=crf)
    model = BiLSTMTagger(cfg)
    rows = layer_rows(model)
    concatenated = next(shape for name, shape, _ in rows if name.startswith("concatenate"))
    assert concatenated == f"(batch, time, {10 + 12 + dictionary_bits})"
    assert concatenated == f"(batch, time, {model.forward_lstms[0].input_size})"
    assert sum(params for _, _, params in rows) == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("command", [["train", "CORPUS", "-o", "DIR"], ["segment", "-o", "DIR"],
                                     ["explain", "你好", "-o", "DIR"], ["cv", "CORPUS", "-o", "DIR/"]])
def test_an_output_that_is_a_directory_is_a_one_line_error_before_work(command, tiny_corpus, tmp_path, capsys):
    train_path, _, _ = tiny_corpus
    args = [str(train_path) if a == "CORPUS" else str(tmp_path) + ("/" if a.endswith("/") else "")
            if a.startswith("DIR") else a for a in command]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tagger: error:" in err
    assert not list(tmp_path.glob("*.ckpt"))


def lstm_direction_params(inputs: int, hidden: int) -> int:
    """Closed form for one direction of one PyTorch LSTM layer (two bias vectors, as summary.py's docstring says)."""
    return 4 * (inputs * hidden + hidden * hidden + 2 * hidden)


def dense_params(inputs: int, outputs: int) -> int:
    return inputs * outputs + outputs
