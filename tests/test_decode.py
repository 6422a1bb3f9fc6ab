import itertools

import numpy as np
import torch
from hypothesis import given, settings, strategies as st

from tagger.decode import Decoder, force_boundaries_mask, keep_whole_mask
from tagger.tags import BMES

from .test_tags import is_valid


def brute_force(scores: torch.Tensor, mask: torch.Tensor | None):
    """Best valid path by trying every tag sequence."""
    best, best_path = None, None
    for path in itertools.product(range(4), repeat=scores.shape[0]):
        if not is_valid([BMES[t] for t in path]):
            continue
        if mask is not None and not all(mask[i, t] for i, t in enumerate(path)):
            continue
        total = sum(float(scores[i, t]) for i, t in enumerate(path))
        if best is None or total > best:
            best, best_path = total, list(path)
    return best, best_path


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(0, 10_000))
def test_viterbi_matches_brute_force(length, seed):
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(length, 4, generator=generator)
    path = Decoder().viterbi(scores.unsqueeze(0), torch.tensor([length]))[0]
    best, _ = brute_force(scores, None)
    assert is_valid([BMES[t] for t in path])
    assert abs(sum(float(scores[i, t]) for i, t in enumerate(path)) - best) < 1e-4


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(0, 10_000))
def test_viterbi_with_mask_matches_brute_force(length, seed):
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(length, 4, generator=generator)
    mask = keep_whole_mask(length, [(0, 2)])
    path = Decoder().viterbi(scores.unsqueeze(0), torch.tensor([length]), mask[None])[0]
    _, expected = brute_force(scores, mask)
    assert path == expected
    assert BMES[path[0]] == "B"  # the span (0, 2) stays one piece


def test_batched_viterbi_equals_one_by_one():
    generator = torch.Generator().manual_seed(3)
    lengths = [5, 1, 3, 7]
    scores = torch.randn(len(lengths), max(lengths), 4, generator=generator)
    decoder = Decoder()
    batched = decoder.viterbi(scores, torch.tensor(lengths))
    for i, n in enumerate(lengths):
        assert batched[i] == decoder.viterbi(scores[i:i + 1, :n], torch.tensor([n]))[0]


def test_forced_boundary():
    scores = torch.zeros(1, 4, 4)
    scores[0, :, 1] = 5.0  # the model would like one long word
    mask = force_boundaries_mask(4, [2])
    path = Decoder().viterbi(scores, torch.tensor([4]), mask[None])[0]
    assert [BMES[t] for t in path][1] in ("E", "S") and [BMES[t] for t in path][2] in ("B", "S")


@settings(max_examples=60)
@given(st.integers(1, 7), st.integers(0, 10_000), st.floats(0.5, 8.0))
def test_greedy_shortcut_gives_the_full_viterbi_score(length, seed, sharpness):
    """viterbi() skips the search for rows whose greedy path is valid; the score it returns is
    always the best valid one (sharper scores make more greedy paths valid)."""
    decoder = Decoder(BMES)
    torch.manual_seed(seed)
    scores = (torch.randn(6, length, 4) * sharpness).log_softmax(-1).numpy()
    lengths = np.array([length, max(1, length - 1), 1, length, max(1, length - 2), length])
    fast = decoder.viterbi(scores, lengths)
    full = decoder._viterbi(scores, lengths)
    for row, (a, b) in enumerate(zip(fast, full)):
        assert is_valid([BMES[t] for t in a])
        total = lambda path: sum(scores[row, t, k] for t, k in enumerate(path))  # noqa: E731
        assert abs(total(a) - total(b)) < 1e-4


TYPED_BMES = [f"{p}-{t}" for t in ("n", "v", "ns") for p in "BMES"]
BIOES = ["O"] + [f"{p}-{t}" for t in ("PER", "LOC") for p in "BIES"]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([(BMES, "BMES"), (TYPED_BMES, "BMES"), (BIOES, "BIOES"), (BIOES, "BIO")]),
       st.integers(1, 9), st.integers(0, 10_000), st.floats(0.0, 0.3))
def test_sparse_viterbi_equals_full_viterbi(tags_scheme, length, seed, forbid):
    """The grouped-predecessor search returns exactly the full search's paths, also where a
    random mask leaves some sequences no valid path at all."""
    tags, scheme = tags_scheme
    decoder = Decoder(tags, scheme)
    rng = np.random.default_rng(seed)
    scores = np.log(rng.dirichlet(np.ones(len(tags)), size=(5, length))).astype(np.float32)
    scores = np.where(rng.random(scores.shape) < forbid, np.float32(-1e9), scores)
    lengths = rng.integers(1, length + 1, size=5)
    assert decoder._sparse_viterbi(scores, lengths) == decoder._viterbi(scores, lengths)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([(BMES, "BMES"), (TYPED_BMES, "BMES"), (BIOES, "BIOES"), (BIOES, "BIO")]),
       st.integers(1, 9), st.integers(0, 10_000), st.floats(0.0, 0.3))
def test_bucketed_viterbi_with_learned_transitions_equals_full_viterbi(tags_scheme, length, seed, forbid):
    """With a CRF's learned scores, searching each tag's allowed predecessors only gives exactly
    the full search's paths, also where a mask leaves a row no valid path (searched again)."""
    tags, scheme = tags_scheme
    decoder = Decoder(tags, scheme)
    rng = np.random.default_rng(seed)
    learned = tuple(rng.normal(size=s).astype(np.float32) * 2
                    for s in ((len(tags), len(tags)), (len(tags),), (len(tags),)))
    scores = np.log(rng.dirichlet(np.ones(len(tags)), size=(5, length))).astype(np.float32)
    scores = np.where(rng.random(scores.shape) < forbid, np.float32(-1e9), scores)
    lengths = rng.integers(1, length + 1, size=5)
    bucketed = decoder._viterbi(scores, lengths, learned, sparse=True)
    assert bucketed == decoder._viterbi(scores, lengths, learned, sparse=False)


def test_bucketed_search_is_used_where_it_pays():
    assert Decoder(BIOES, "BIOES")._learned_sparse_pays()
    assert not Decoder(BMES, "BMES")._learned_sparse_pays()


def test_sparse_viterbi_is_used_for_many_tags_only():
    pos_tags = [f"{p}-{t}" for t in range(44) for p in "BMES"]
    assert Decoder(pos_tags, "BMES")._sparse_pays()
    assert not Decoder(BMES, "BMES")._sparse_pays()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=9), st.integers(0, 10_000), st.integers(1, 40))
def test_pooled_search_equals_viterbi_row_by_row(lengths, seed, batch_steps):
    """search() batches rows of like length however it likes (here, tiny batches too): each
    row's path is the one Viterbi finds for that row alone."""
    decoder = Decoder(BMES)
    rng = np.random.default_rng(seed)
    rows = [np.log(rng.dirichlet(np.ones(4), size=n)).astype(np.float32) for n in lengths]
    pooled = decoder.search(rows, batch_steps=batch_steps)
    for row, path in zip(rows, pooled):
        assert path == decoder._viterbi(row[None], np.array([len(row)]))[0]


def test_tagging_gives_the_same_tags_however_the_search_is_pooled(tiny_model, monkeypatch):
    import tagger.pipeline as pipeline
    lines = ["我们喜欢北京的学生。中国人民喜欢和平，他是学生。", "他喜欢苹果和香蕉", "2024年买iPhone15"] * 5
    whole = tiny_model.segment_lines(lines)
    monkeypatch.setattr(pipeline, "SEARCH_POOL", 1)  # search after every batch
    assert tiny_model.segment_lines(lines, batch_chars=40) == whole
