"""Constrained decoding: the best tag path that the scheme allows, batched.

`viterbi` takes per-step tag scores (log-probabilities) and returns, for every sequence, the
highest-scoring path that obeys the scheme's transition rules and an optional per-position mask
of allowed tags. The mask is how outside knowledge reaches the decoder without post-editing the
words: the tokens that must stay whole (URLs, addresses, paths, options, runs of Latin letters
and digits: tagger/tokens.py finds them), and user dictionary words (a word that must be kept
whole forbids a boundary inside it).

It runs on numpy (torch tensors are accepted as input), so inference without torch
(tagger/lite.py) decodes with the very same code.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .tags import BMES, Scheme, boundary_columns, transition_rules

NEG_INF = -1e9

def keep_whole_mask(length: int, spans: Sequence[tuple[int, int]], tags: Sequence[str] = BMES,
                    mask: np.ndarray | None = None) -> np.ndarray | None:
    """A (length, num_tags) bool mask forbidding any word boundary strictly inside each span.

    Inside a span, a character that is not the span's last cannot end a word (no E, no S), and
    one that is not its first cannot begin a word (no B, no S). The span's own edges stay free,
    so it may still join its neighbours.
    """
    if not spans:
        return mask
    begins, ends = boundary_columns(tags)[:2]
    if mask is None:
        mask = np.ones((length, len(tags)), dtype=bool)
    for start, end in spans:
        mask[start:end - 1, ends] = False
        mask[start + 1:end, begins] = False
    return mask


def free_edges(mask: np.ndarray, tags: Sequence[str], first: bool, last: bool) -> np.ndarray:
    """A copy of a chunk's `mask` whose first step may begin a word (`first`) and whose last may
    end one (`last`). Why: a token longer than a chunk is cut into chunks, each decoded as a word
    of its own, and their spans are joined again (tagger/chunks.py); inside the token the mask
    forbids those edges, and the chunk would have no valid path."""
    mask = mask.copy()
    begins, ends = boundary_columns(tags)[:2]
    if first:
        mask[0, begins] = True
    if last:
        mask[-1, ends] = True
    return mask


def force_boundaries_mask(length: int, cuts: Sequence[int], tags: Sequence[str] = BMES,
                          mask: np.ndarray | None = None) -> np.ndarray:
    """Require a word boundary before each position in `cuts` (0 < cut < length)."""
    open_word, inside = boundary_columns(tags)[2:]
    if mask is None:
        mask = np.ones((length, len(tags)), dtype=bool)
    for cut in cuts:
        mask[cut - 1, open_word] = False
        mask[cut, inside] = False
    return mask


def _array(values) -> np.ndarray:
    """numpy view of a numpy array or a torch tensor (detached, on the CPU)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def _predecessor_buckets(allowed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Tags grouped by their set of allowed predecessors, groups bucketed by that set's size.

    Each bucket: (its tags, each tag's group within the bucket, (groups, width) predecessor
    indices in ascending order). A tag no tag may follow gets the padding column (num_tags).
    """
    num_tags = allowed.shape[0]
    groups: dict[tuple[int, ...], list[int]] = {}
    for tag in range(num_tags):
        groups.setdefault(tuple(np.flatnonzero(allowed[:, tag]).tolist()) or (num_tags,), []).append(tag)
    by_width: dict[int, list[tuple[tuple[int, ...], list[int]]]] = {}
    for prev, tags in groups.items():
        by_width.setdefault(len(prev), []).append((prev, tags))
    buckets = []
    for width, members in sorted(by_width.items()):
        tags = np.array([t for _, ts in members for t in ts], dtype=np.int64)
        group_of_tag = np.array([g for g, (_, ts) in enumerate(members) for _ in ts], dtype=np.int64)
        group_prev = np.array([prev for prev, _ in members], dtype=np.int64).reshape(len(members), width)
        buckets.append((tags, group_of_tag, group_prev))
    return buckets


class Decoder:
    """Constrained Viterbi over a fixed tag scheme."""

    def __init__(self, tags: Sequence[str] = BMES, scheme: str | Scheme = "BMES"):
        allowed, start, end = transition_rules(tags, scheme)
        self.tags = tuple(tags)
        self.transitions = np.where(np.array(allowed, dtype=bool), 0.0, NEG_INF).astype(np.float32)
        self.start = np.where(np.array(start, dtype=bool), 0.0, NEG_INF).astype(np.float32)
        self.end = np.where(np.array(end, dtype=bool), 0.0, NEG_INF).astype(np.float32)
        self._allowed = (np.array(allowed, dtype=bool), np.array(start, dtype=bool), np.array(end, dtype=bool))
        self._buckets = _predecessor_buckets(self._allowed[0])
        self._search = self._sparse_viterbi if self._sparse_pays() else self._viterbi  # fixed by the tags
        self._tag_buckets = [(tags, group_prev[group_of_tag]) for tags, group_of_tag, group_prev in self._buckets]

    def viterbi(self, scores, lengths, mask=None, learned=None) -> list[list[int]]:
        """Best valid tag ids for each sequence.

        scores: (batch, time, tags) log-probabilities; lengths: (batch,); mask: optional
        (batch, time, tags) bool, False where a tag is forbidden. numpy arrays or CPU tensors.
        learned: optional (transitions, start, end) scores of a CRF, added to the constraints.
        """
        paths, pending = self.greedy(scores, lengths, mask, learned)
        for i, path in zip(pending, self.search(list(pending.values()), learned)):
            paths[i] = path
        return paths

    def greedy(self, scores, lengths, mask=None, learned=None) -> tuple[list[list[int] | None], dict]:
        """(paths, pending): the best tag at each step where those already form a valid
        sequence, None where they do not; pending maps each such row to its (length, tags)
        masked scores, for `search`.

        Why this is exact: a valid path of the best tag at each step is the best of all paths,
        so also of the valid ones. Only the other rows need Viterbi; a caller may pool them over
        several batches (tagger.pipeline does), so the search's per-step overhead is paid once.
        With learned CRF scores every row is pending.
        """
        scores = _array(scores).astype(np.float32, copy=False)
        lengths = _array(lengths).astype(np.int64, copy=False).tolist()
        if mask is not None:
            scores = np.where(_array(mask).astype(bool, copy=False), scores, np.float32(NEG_INF))
        if learned is not None or scores.shape[1] == 0:
            return [None] * len(lengths), {i: scores[i, :n] for i, n in enumerate(lengths)}
        greedy = scores.argmax(axis=2)
        valid = self._valid(greedy, scores, np.asarray(lengths)).tolist()
        paths = [greedy[i, :n].tolist() if ok else None for i, (n, ok) in enumerate(zip(lengths, valid))]
        return paths, {i: scores[i, :lengths[i]] for i, ok in enumerate(valid) if not ok}

    def search(self, rows: Sequence[np.ndarray], learned=None, batch_steps: int = 50_000) -> list[list[int]]:
        """Viterbi for each (length, tags) row of masked scores, rows of like length batched
        together (sorted by length, about `batch_steps` steps a batch, so padding stays small)."""
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        paths: list[list[int]] = [[] for _ in rows]
        start = 0
        while start < len(order):
            stop = start + 1  # at least one row a batch, however long
            while stop < len(order) and (stop - start + 1) * len(rows[order[stop]]) <= batch_steps:
                stop += 1
            group = order[start:stop]
            time = len(rows[group[-1]])
            batch = np.zeros((len(group), time, len(self.tags)), dtype=np.float32)
            for k, i in enumerate(group):
                batch[k, :len(rows[i])] = rows[i]
            lengths = np.array([len(rows[i]) for i in group], dtype=np.int64)
            found = self._viterbi(batch, lengths, learned) if learned is not None else self._search(batch, lengths)
            for i, path in zip(group, found):
                paths[i] = path
            start = stop
        return paths

    def _sparse_pays(self) -> bool:
        """Whether grouping predecessors saves work: with typed tags (44 POS types x BMES: 176
        tags) a step looks at about 2 x 176 predecessor scores instead of 176 x 176; with the 4
        plain BMES tags the full step is as cheap."""
        work = sum(group_prev.size for _, _, group_prev in self._buckets)
        return work * 4 < len(self.tags) ** 2

    def _sparse_viterbi(self, scores: np.ndarray, lengths: np.ndarray) -> list[list[int]]:
        """Viterbi for 0/-inf constraint transitions, exact and faster with many tags.

        Why it is exact: with constraints only, the best way into tag j is the best of its
        allowed predecessors, and tags with the same allowed predecessors (every B-x and S-x
        follows any E-y or S-y) share that maximum, so each group's maximum is taken once. Ties go
        to the lowest tag index, as in `_viterbi`. The two can differ only where the mask leaves a
        sequence no valid path (the full search then still returns some path); such rows are
        searched again with `_viterbi`.
        """
        batch, time, num_tags = scores.shape
        if time == 0:
            return [[] for _ in range(batch)]
        best = scores[:, 0] + self.start
        backpointers = np.zeros((batch, time, num_tags), dtype=np.int64)
        padded = np.full((batch, num_tags + 1), -np.inf, dtype=np.float32)  # last column: padding
        for t in range(1, time):
            padded[:, :num_tags] = best
            step = np.empty_like(best)
            for tags, group_of_tag, group_prev in self._buckets:
                candidates = padded[:, group_prev]                      # (batch, groups, width)
                choice = candidates.argmax(axis=2)                      # (batch, groups)
                value = np.take_along_axis(candidates, choice[:, :, None], axis=2)[:, :, 0]
                previous = group_prev[np.arange(len(group_prev)), choice]
                step[:, tags] = value[:, group_of_tag]
                backpointers[:, t, tags] = previous[:, group_of_tag]
            active = (t < lengths)[:, None]
            best = np.where(active, step + scores[:, t], best)
        return _valid_or_redone(backpointers, best + self.end, lengths,
                                lambda stuck: self._viterbi(scores[stuck], lengths[stuck]))

    def _valid(self, paths: np.ndarray, scores: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(batch,) bool: each path obeys the start, transition and end rules and the mask."""
        allowed, may_start, may_end = self._allowed
        inside = np.arange(paths.shape[1])[None, :] < lengths[:, None]
        steps = allowed[paths[:, :-1], paths[:, 1:]] | ~inside[:, 1:]
        chosen = np.take_along_axis(scores, paths[:, :, None], axis=2)[:, :, 0]
        last = paths[np.arange(len(paths)), np.maximum(lengths - 1, 0)]
        return (steps.all(axis=1) & ((chosen > NEG_INF / 2) | ~inside).all(axis=1)
                & may_start[paths[:, 0]] & may_end[last])

    def _learned_sparse_pays(self) -> bool:
        """Whether looking only at each tag's allowed predecessors saves work with learned
        transitions: with BIOES and 4 entity types a step then looks at 97 of 289 pairs, and
        took 0.45 ms instead of 0.84 (1,000 rows, one core); with the 4 BMES tags, 8 of 16."""
        work = sum(prev.size for _, prev in self._tag_buckets)
        return work * 2 < len(self.tags) ** 2

    def _viterbi(self, scores: np.ndarray, lengths: np.ndarray, learned=None,
                 sparse: bool | None = None) -> list[list[int]]:
        """Constrained Viterbi proper over masked float32 scores. `sparse` (default: where it
        pays) searches learned transitions among each tag's allowed predecessors only
        (`_bucketed_viterbi`); the paths are the same."""
        batch, time, num_tags = scores.shape
        if time == 0:
            return [[] for _ in range(batch)]
        if learned is not None and (self._learned_sparse_pays() if sparse is None else sparse):
            return self._bucketed_viterbi(scores, lengths, learned)
        transitions, start, end = self._rules_plus(learned)
        into = np.ascontiguousarray(transitions.T)          # (next, prev): see the loop
        best = scores[:, 0] + start                        # (batch, tags)
        backpointers, active = _search_arrays(lengths, time, num_tags)
        for t in range(1, time):
            # (batch, next, prev): the maximum runs along the last, contiguous axis, 2.6 times as
            # fast as along the middle one (1,250 rows, 17 tags); ties still go to the lowest previous tag
            candidates = best[:, None, :] + into
            pointers = candidates.argmax(axis=2)
            backpointers[:, t] = pointers
            top = np.take_along_axis(candidates, pointers[:, :, None], axis=2)[:, :, 0]  # the max, without a 2nd pass
            best = np.where(active[:, t], top + scores[:, t], best)
        path = backtrace(backpointers, (best + end).argmax(axis=1), lengths)
        return [path[i, :n].tolist() for i, n in enumerate(lengths.tolist())]

    def _rules_plus(self, learned=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(transitions, start, end): the scheme's 0 / NEG_INF rules, plus a CRF's `learned` scores."""
        if learned is None:
            return self.transitions, self.start, self.end
        return tuple(a + np.asarray(b, dtype=np.float32)  # type: ignore[return-value]
                     for a, b in zip((self.transitions, self.start, self.end), learned))

    def _bucketed_viterbi(self, scores: np.ndarray, lengths: np.ndarray, learned) -> list[list[int]]:
        """`_viterbi` with learned `transitions`, each tag's best predecessor sought among its
        allowed ones only (tags bucketed by how many they have).

        Why it is exact: a forbidden transition costs NEG_INF, so a path with a valid way
        through never takes one; among the allowed predecessors, listed in ascending order,
        ties go to the lowest tag, as in the full search. A row left no valid path (by its
        mask) is searched again in full, which then still returns some path.
        """
        transitions, start, end = self._rules_plus(learned)
        batch, time, num_tags = scores.shape
        padded = np.full((batch, num_tags + 1), -np.inf, dtype=np.float32)  # last column: padding
        plan = []
        for tags, prev in self._tag_buckets:
            width = prev.shape[1]
            moves = np.append(transitions, np.zeros((1, num_tags), np.float32), axis=0)[prev, tags[:, None]]
            pointer_of = np.where(prev == num_tags, 0, prev).ravel()  # padding is never on a valid path
            plan.append((tags, prev.ravel(), width, moves, pointer_of, np.arange(len(tags)) * width))
        best = scores[:, 0] + start
        backpointers, active = _search_arrays(lengths, time, num_tags)
        step = np.empty_like(best)
        for t in range(1, time):
            padded[:, :num_tags] = best
            for tags, flat_prev, width, moves, pointer_of, offsets in plan:
                candidates = np.take(padded, flat_prev, axis=1).reshape(batch, len(tags), width)
                candidates += moves
                choice = candidates.argmax(axis=2)
                step[:, tags] = np.take_along_axis(candidates, choice[:, :, None], axis=2)[:, :, 0]
                backpointers[:, t, tags] = np.take(pointer_of, choice + offsets)
            best = np.where(active[:, t], step + scores[:, t], best)
        return _valid_or_redone(backpointers, best + end, lengths,
                                lambda stuck: self._viterbi(scores[stuck], lengths[stuck], learned, sparse=False))


def _search_arrays(lengths: np.ndarray, time: int, num_tags: int) -> tuple[np.ndarray, np.ndarray]:
    """(backpointers (batch, time, tags), zeros; whether each row is still inside its length at
    each step (batch, time, 1)). Tag ids are int16 where they fit: a quarter of int64's memory
    traffic."""
    small = np.int16 if num_tags < 2**15 else np.int64
    backpointers = np.zeros((len(lengths), time, num_tags), dtype=small)
    return backpointers, (np.arange(time)[None, :] < lengths[:, None])[:, :, None]


def _valid_or_redone(backpointers: np.ndarray, final: np.ndarray, lengths: np.ndarray,
                     full_search) -> list[list[int]]:
    """Each row's best path from a search over allowed predecessors only (`final`: its scores
    at the last step, ends included); a row whose best scores NEG_INF / 2 or less had no valid
    path under its mask, and takes `full_search(rows)`'s path instead, as the full search
    still returns some path there."""
    batch = len(lengths)
    path = backtrace(backpointers, final.argmax(axis=1), lengths)
    paths = [path[i, :n].tolist() for i, n in enumerate(lengths.tolist())]
    rows = np.arange(batch)
    stuck = np.flatnonzero(final[rows, path[rows, np.maximum(lengths - 1, 0)]] <= NEG_INF / 2)
    if len(stuck):
        for i, redone in zip(stuck, full_search(stuck)):
            paths[i] = redone
    return paths


def backtrace(backpointers: np.ndarray, last: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(batch, time) best paths from (batch, time, tags) backpointers and each row's best tag
    at its last step, `last`; a row's steps past its length repeat its last tag."""
    batch, time, _ = backpointers.shape
    path = np.zeros((batch, time), dtype=np.int64)
    rows, current = np.arange(batch), last
    for t in range(time - 1, -1, -1):
        if t < time - 1:
            current = np.where(t < lengths - 1, backpointers[rows, t + 1, current], current)
        path[:, t] = current
    return path
