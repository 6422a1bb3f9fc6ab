"""Inference batches on a fixed grid of shapes: every text once, nothing cut, few shapes, and
padding that changes no output."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.batching import grid_length, pad_inputs, shaped_batches


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=300), st.integers(50, 6000))
def test_shaped_batches_hold_every_text_once_in_a_grid_shape(lengths, max_chars):
    batches = shaped_batches(lengths, max_chars)
    assert sorted(i for b in batches for i in b.ids) == list(range(len(lengths)))
    for number, batch in enumerate(batches):
        assert batch.time == grid_length(batch.time)                 # a grid width ...
        assert max(lengths[i] for i in batch.ids) <= batch.time      # ... that every text fits
        full = min(256, max(1, max_chars // batch.time))
        if number < len(batches) - 1:
            assert len(batch.ids) == batch.rows == full              # all but the last are full
        else:
            assert len(batch.ids) <= batch.rows <= full
            assert batch.rows == full or batch.rows & (batch.rows - 1) == 0  # or a power of two


def test_a_long_stream_meets_few_shapes():
    rng = np.random.default_rng(0)
    shapes = set()
    for _ in range(200):  # 200 blocks of varied lengths, as a stream of different texts
        lengths = rng.integers(1, 201, size=int(rng.integers(1, 2000))).tolist()
        shapes.update((b.rows, b.time) for b in shaped_batches(lengths, 5000))
    widths = {time for _, time in shapes}
    assert len(widths) <= len({grid_length(n) for n in range(1, 201)})
    assert len(shapes) < 400  # exact shapes: one per (rows, longest text) met, thousands here


def test_grid_length_rounds_up_to_its_steps():
    assert [grid_length(n) for n in (1, 2, 3, 64, 65, 66, 256, 257)] == [2, 2, 4, 64, 68, 68, 256, 288]


def test_padded_rows_and_steps_change_no_real_output(tiny_model):
    from tagger.idcnn import IDCNNConfig, IDCNNTagger
    texts = ["我们喜欢苹果。", "他是北京的学生", "和"]
    inputs = tiny_model.encoder.encode_batch(texts)
    padded = pad_inputs(inputs, 8, inputs.chars.shape[1] + 6)
    assert padded.chars.shape == (8, inputs.chars.shape[1] + 6) and padded.lengths.tolist()[3:] == [0] * 5
    student = IDCNNTagger(IDCNNConfig(char_dim=8, bigram_dim=4, channels=8, char_vocab=len(tiny_model.encoder.chars),
                                      bigram_vocab=len(tiny_model.encoder.bigrams),
                                      dictionary_bits=0, context=True)).eval()
    for network, given_inputs in ((tiny_model.model, inputs), (student, inputs._replace(word_edges=None))):
        alone = network.log_probs(given_inputs)
        with_padding = network.log_probs(pad_inputs(given_inputs, 8, given_inputs.chars.shape[1] + 6))
        for row, text in enumerate(texts):
            steps = len(text) + 2 * tiny_model.encoder.margin
            assert np.allclose(alone[row, :steps], with_padding[row, :steps], atol=1e-5)


def test_segmentation_does_not_depend_on_batch_size(tiny_model, tiny_corpus):
    _, _, dev = tiny_corpus
    lines = ["".join(s) for s in dev]
    assert tiny_model.segment_lines(lines, batch_chars=60) == tiny_model.segment_lines(lines, batch_chars=5000)
