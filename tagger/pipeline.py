"""`Tagger`: a loaded model that labels many lines of text at a time, for every task.

Load once, label many. A line is split into whitespace runs and text chunks; the chunks of all
lines go through the network together in length-grouped batches, then through Viterbi decoding
held to the task's valid tag sequences and to the allowed-tag masks (atomic runs, user words).
The result is labeled spans, (start, end, label) offsets into each line; segmentation (words),
POS (words with tags) and NER (entities) are views over them. Joining a line's words always
gives the line back exactly.

The network is anything with the `Network` interface: torch's `model.BiLSTMTagger`, the numpy
engine's `lite.NumpyBiLSTM`, or an ensemble (`ensemble.MeanOfModels`).
"""
from __future__ import annotations

import itertools
import re
from typing import Iterable, Iterator, NamedTuple, Protocol, Sequence, runtime_checkable

import numpy as np

from .batch_threads import batch_workers, in_order
from .batching import ShapedBatch, blocks, pad_inputs, shaped_batches
from .chunks import CONTEXT, MAX_CHUNK, chunk_cuts, covering, joined_spans, owned_spans, windows
from .decode import Decoder, force_boundaries_mask, free_edges, keep_whole_mask
from .encode import Encoder, Inputs, WordEncoder
from .entity_guard import entity_breaks, entity_mask
from .errors import TaggerError
from .memory import release_free_memory
from .metrics import spans as word_spans
from .spanviews import WHITESPACE_FLAG, flagged_words, words_of
from .tags import BMES
from .tasks import Span, Task
from .tokens import Tokens, find_tokens
from .userdict import UserDict

SEARCH_POOL = 4_000_000  # scores (steps x tags) pooled for one Viterbi search: 16 MB of float32
BATCH_CHARS = 5000  # characters per network batch: as fast as 20,000 here, with half the peak memory
BATCH_LINES = 2048  # lines a stream reads and tags together (see iter_label)
_WORD = re.compile(r"\S+")
_NON_SPACE = re.compile(r"\S")
_INNER_SPACE = re.compile(r"\S\s+\S")  # whitespace between two runs: a line of several


class Chunk(NamedTuple):
    """A piece of a line as the network reads it (`Tagger._chunks`)."""
    offset: int                # where `text` starts in the line (in an entity model's joined runs)
    text: str
    mask: np.ndarray | None    # allowed tags per character (None: all)
    joined: bool               # continues a token cut before it: its first span joins the last one
    owns: tuple[int, int] | None = None  # the offsets it answers for, where chunks overlap; None: all


def _pieces(line: str) -> list[tuple[int, str]]:
    """(offset, run) of the line's non-whitespace runs."""
    return [(m.start(), m.group()) for m in _WORD.finditer(line)]


def _unspaced(line: str) -> list[int]:
    """The line's offset of each non-whitespace character, in order (where an entity model's
    joined runs, `Tagger._chunks`, lie in the line)."""
    return [m.start() for m in _NON_SPACE.finditer(line)]


@runtime_checkable
class Network(Protocol):
    """What the pipeline needs of a network, whichever engine runs it."""

    def log_probs(self, inputs: Inputs) -> np.ndarray:
        """Tag log-probabilities (batch, time, tags) for padded numpy inputs."""

    def crf_scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(transitions, start, end) learned by a CRF layer, or None (softmax alone)."""

    def to(self, device) -> "Network":
        """The network on `device`; the numpy engine refuses any but the CPU in one line."""

    def eval(self) -> "Network":
        """Inference mode: no dropout."""


def check_texts(lines: Sequence) -> None:
    """Only text is labeled: str() of a number, of bytes or of pandas' NaN would be segmented
    as if it were the input (NaN as the word "nan"), so the caller hears of it instead."""
    for number, value in enumerate(lines):
        if not isinstance(value, str):
            hint = " (a missing value? cut_series keeps missing values missing)" if isinstance(value, float) else \
                " (decode bytes first)" if isinstance(value, bytes) else ""
            raise TypeError(f"text number {number}: expected str, got {type(value).__name__}{hint}")


def without_line_end(line: str) -> str:
    """A line read from a file, without its line end ("\n" or "\r\n"): `iter_segment(open(f))`
    must give a line's words, not a newline token after them (and [] for an empty line)."""
    return line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith("\n") else line


class Tagger:
    """A trained network with its encoder and tags: labels text for its task (seg, pos or ner).

    `label_lines` gives spans for every task; `segment_lines` gives words (seg and pos models);
    `tag` gives one text's spans as dicts. `user_dict` holds words a segmenting model keeps
    whole (tagger.Tokenizer's jieba-style calls fill it)."""

    def __init__(self, model: Network, encoder: Encoder | WordEncoder, tags: Sequence[str] = BMES,
                 metadata: dict | None = None, keep_atomic: bool = True,
                 lexicon: Sequence[str] = (), task: str | Task = "seg"):
        self.model = model.eval()
        self.encoder = encoder
        self.tags = tuple(tags)
        self.task = task if isinstance(task, Task) else Task(task, encoder.units)
        self.decoder = Decoder(self.tags, self.task.scheme)
        self.metadata = dict(metadata or {})
        self.keep_atomic = keep_atomic
        # training words, for search and full mode: kept as one string, as 100k small str
        # objects would add about 10 MB to every loaded model that never uses them
        # (a str is that text already, sorted and unique: as the model file stores it)
        self._lexicon = lexicon if isinstance(lexicon, str) else "\n".join(sorted(set(lexicon)))
        self.user_dict = UserDict()
        self.device = "cpu"

    @property
    def lexicon(self) -> frozenset[str]:
        """The model's training words (for search and full mode; built on each call)."""
        return frozenset(self._lexicon.split("\n")) if self._lexicon else frozenset()

    def set_lexicon(self, words: Iterable[str]) -> None:
        """Replace the training words (tagger adapt adds the new words it found)."""
        self._lexicon = "\n".join(sorted(set(words)))

    @property
    def units(self) -> str:
        """"chars" or "words": what one step of the network reads (the encoder decides)."""
        return self.encoder.units

    @property
    def standards(self) -> tuple[str, ...]:
        """The segmentation standards a multi-criteria model can follow (empty for one corpus)."""
        return self.encoder.standards

    def to(self, device) -> "Tagger":
        """Run the network on `device` ("cpu", "cuda", "cuda:1"); decoding stays on the CPU."""
        self.model.to(device)
        self.device = device
        return self

    # -- the network, in batches -------------------------------------------------------
    def allowed_tags(self, text: str) -> np.ndarray | None:
        """Allowed tags per character (None: all): tokens kept whole stay whole, `#`, `@`,
        emoji, URLs and the like are words of their own, user-dictionary words are exact words."""
        return self._allowed(text, self._tokens(text))

    def _tokens(self, text: str) -> Tokens:
        return find_tokens(text) if self.keep_atomic else Tokens([], [])

    def _allowed(self, text: str, tokens: Tokens) -> np.ndarray | None:
        if not self.task.segments:  # no entity cuts into a URL, e-mail, @mention or #hashtag
            return entity_mask(text, tokens, self.tags) if self.keep_atomic else None
        words = tokens.words
        if len(self.user_dict):
            # a dictionary word may cover a token, never cut into one
            kept = sorted(tokens.runs + tokens.words)
            words = words + [(s, e) for s, e in self.user_dict.find(text)
                             if covering(kept, s) is None and covering(kept, e) is None]
        mask = keep_whole_mask(len(text), tokens.runs + words, self.tags)
        cuts = sorted({c for s, e in words for c in (s, e) if 0 < c < len(text)})
        if cuts:
            mask = force_boundaries_mask(len(text), cuts, self.tags, mask)
        return mask

    def _chunks(self, line: str) -> Iterator[Chunk]:
        """The chunks of the non-whitespace runs of a line, long runs cut by `chunk_cuts`. The
        masks are made over whole runs, so a token is kept whole even where a chunk ends inside
        it. An entity model's chunks overlap where a cut ends no sentence (`chunks.windows`).

        Entities: the runs are read as one text without the whitespace between them (offsets
        into that text; `_unspaced` maps them back), each run's mask its own, and no entity
        crosses from one run into the next. Why: read run by run, a name lost the words around
        it; with a space after every word of MSRA NER's dev text, entity F1 fell from 0.931 to
        0.850 (docs/tagging.md)."""
        pieces = _pieces(line)
        if self._joins_runs(line):
            yield from self._cut(0, *self._joined([piece for _, piece in pieces]))
            return
        for offset, piece in pieces:
            tokens = self._tokens(piece)
            yield from self._cut(offset, piece, tokens, self._allowed(piece, tokens))

    def _joins_runs(self, line: str) -> bool:
        """Whether the line's whitespace-separated runs are read as one text (`_chunks`): an
        entity model's line of two or more runs. The task is asked first, so a segmenter's
        lines cost no search."""
        return not self.task.segments and _INNER_SPACE.search(line) is not None

    def _joined(self, pieces: Sequence[str]) -> tuple[str, Tokens, np.ndarray, list[int]]:
        """One text of an entity model's whitespace-separated runs: their tokens, their masks
        side by side with an entity break where each run begins, and where those breaks are."""
        runs, words, masks, starts, at = [], [], [], [], 0
        for piece in pieces:
            tokens = self._tokens(piece)
            runs += [(s + at, e + at) for s, e in tokens.runs]
            words += [(s + at, e + at) for s, e in tokens.words]
            mask = self._allowed(piece, tokens)
            masks.append(np.ones((len(piece), len(self.tags)), dtype=bool) if mask is None else mask)
            starts.append(at)
            at += len(piece)
        return ("".join(pieces), Tokens(runs, words), entity_breaks(np.concatenate(masks), starts[1:], self.tags),
                starts[1:])

    def _cut(self, offset: int, piece: str, tokens: Tokens, mask: np.ndarray | None, breaks: Sequence[int] = ()):
        """The chunks of one whitespace-free text at `offset`, long ones cut by `chunk_cuts`
        (at a sentence end, else at one of the `breaks` between joined runs, when near)."""
        whole = sorted(tokens.runs + tokens.words)
        cuts = chunk_cuts(piece, MAX_CHUNK, whole, breaks)
        segments = self.task.segments  # words tile the text: no overlap, a token's pieces joined again
        for a, b, own_a, own_b in windows(piece, cuts, breaks, 0 if segments else CONTEXT):
            joined = segments and mask is not None and covering(whole, a) is not None
            yield Chunk(offset + a, piece[a:b], self._edge_mask(mask, whole, a, b), joined,
                        (offset + own_a, offset + own_b) if (a, b) != (own_a, own_b) else None)

    def _edge_mask(self, mask: np.ndarray | None, whole: Sequence[tuple[int, int]], a: int, b: int):
        """`mask` of the chunk [a, b), its edges freed where they fall inside a token kept whole
        (else that edge would leave the chunk no valid path)."""
        if mask is None:
            return None
        first, last = covering(whole, a) is not None, covering(whole, b) is not None
        return free_edges(mask[a:b], self.tags, first, last) if first or last else mask[a:b]

    def tag_chunks(self, chunks: Sequence, batch_chars: int = BATCH_CHARS,
                   masks: Sequence[np.ndarray | None] | None = None,
                   standard: str | None = None) -> list[list[str]]:
        """Tags for each non-empty, whitespace-free chunk (a string, or a word tuple for a
        word-level model), predicted in length-grouped batches.

        `masks` (one per chunk) replace the usual allowed-tag masks (atomic runs, user words).
        `standard` picks the segmentation standard of a multi-criteria model (default: its own).
        """
        return [[self.tags[t] for t in path] for path in self.tag_paths(chunks, batch_chars, masks, standard)]

    def tag_paths(self, chunks: Sequence, batch_chars: int = BATCH_CHARS,
                  masks: Sequence[np.ndarray | None] | None = None,
                  standard: str | None = None) -> list[list[int]]:
        """tag_chunks() as tag ids (indices into self.tags). The network's batches may run in
        worker threads meanwhile (`log_prob_batches`); they come back in order."""
        results: list[list[int] | None] = [None] * len(chunks)
        learned = self.model.crf_scores()
        pending: dict[int, np.ndarray] = {}  # chunk -> scores of rows whose best tags are not valid
        for batch_ids, texts, log_probs, lengths in self.log_prob_batches(chunks, batch_chars, standard):
            mask = self._batch_mask(texts, [masks[i] for i in batch_ids] if masks is not None else None,
                                    log_probs.shape[1])
            paths, unsolved = self.decoder.greedy(log_probs, lengths, mask, learned)
            for i, path in zip(batch_ids, paths):
                if path is not None:
                    results[i] = path
            pending.update((batch_ids[row], scores) for row, scores in unsolved.items())
            if sum(map(len, pending.values())) * len(self.tags) > SEARCH_POOL:
                self._search(pending, results, learned)
        self._search(pending, results, learned)
        return results  # type: ignore[return-value]

    def log_prob_batches(self, chunks: Sequence, batch_chars: int = BATCH_CHARS,
                         standard: str | None = None) -> Iterator[tuple[list[int], list, np.ndarray, np.ndarray]]:
        """(chunk ids, their texts, tag log-probabilities (rows, steps, tags), lengths) of each
        length-grouped batch of the chunks: the network's view, before any decoding (what
        tag_paths decodes, and what new-word discovery reads its boundary confidence from).

        A torch network on the CPU runs the batches in as many worker threads as the caller
        has torch threads, one each, a few batches ahead of the caller, each batch a worker's
        share of `batch_chars` (tagger/batch_threads.py says why); the numpy engine and a GPU
        run them one at a time here."""
        workers = batch_workers(self.model, self.device)
        if workers > 1:  # as many characters in the network at once as one batch: the same peak memory
            batch_chars = max(1, batch_chars // workers)
        batches = shaped_batches([len(c) for c in chunks], batch_chars)
        workers = workers if len(batches) > 1 else 1
        yield from in_order(lambda batch: self._log_probs_of(chunks, batch, standard), batches, workers)

    def _log_probs_of(self, chunks: Sequence, batch: ShapedBatch, standard: str | None):
        """One batch of `log_prob_batches`: encoded, padded to its shape, through the network."""
        texts = [chunks[i] for i in batch.ids]
        inputs = self.encoder.encode_batch(texts, standard)
        rows, time = inputs.chars.shape[:2]  # the network sees the grid's shape; the decoder the batch's own
        padded = pad_inputs(inputs, batch.rows, batch.time + 2 * self.encoder.margin)
        log_probs, lengths = self.encoder.unwrap(self.model.log_probs(padded)[:rows, :time], inputs.lengths)
        return batch.ids, texts, log_probs, lengths

    def _search(self, pending: dict[int, np.ndarray], results: list, learned) -> None:
        """Viterbi for the pooled rows whose best tags were not valid, into `results`; empties
        the pool. Pooled over batches, the search's per-step numpy calls are paid once for many
        rows (on the PKU test, 40-50% of the rows have some invalid step)."""
        for i, path in zip(pending, self.decoder.search(list(pending.values()), learned)):
            results[i] = path
        pending.clear()

    def _batch_mask(self, texts: Sequence, given: Sequence[np.ndarray | None] | None, time: int) -> np.ndarray | None:
        """The allowed-tag mask of one padded batch (time steps of the texts themselves, without
        marker steps), or None when no text restricts its tags."""
        masks = given if given is not None else [self.allowed_tags(t) if isinstance(t, str) else None for t in texts]
        if all(m is None for m in masks):
            return None
        mask = np.ones((len(texts), time, len(self.tags)), dtype=bool)
        for row, m in enumerate(masks):
            if m is not None:
                mask[row, :m.shape[0]] = m
        return mask

    # -- lines -> labeled spans ----------------------------------------------------------
    def label_lines(self, lines: Sequence[str], batch_chars: int = BATCH_CHARS,
                    standard: str | None = None) -> list[list[Span]]:
        """Labeled spans (start, end, label) of each line, offsets into the line: words with
        their POS (pos), words with label '' (seg), or entities (ner). Whitespace is never in a
        span. `standard`: which segmentation standard a multi-criteria model follows.

        A word-level model reads each line as whitespace-separated words; its spans still give
        character offsets into the line."""
        check_texts(lines)
        self.encoder.standard_of(standard)  # an unknown standard fails before any work
        if self.units == "words":
            return self._label_word_lines(lines, batch_chars)
        layout = [list(self._chunks(line)) for line in lines]
        chunks = [chunk.text for pieces in layout for chunk in pieces]
        offsets = [chunk.offset for pieces in layout for chunk in pieces]
        masks = [chunk.mask for pieces in layout for chunk in pieces]
        paths = self.tag_paths(chunks, batch_chars, masks, standard=standard) if chunks else []
        spans = iter(self.task.spans_of_paths(chunks, paths, self.tags, offsets))
        out = []
        for line, pieces in zip(lines, layout):
            per_chunk = itertools.islice(spans, len(pieces))
            if any(chunk.owns for chunk in pieces):
                line_spans = owned_spans((chunk.owns, found) for chunk, found in zip(pieces, per_chunk))
            else:
                line_spans = list(itertools.chain.from_iterable(per_chunk))
            joins = {chunk.offset for chunk in pieces if chunk.joined}
            line_spans = joined_spans(line_spans, joins) if joins else line_spans
            if line_spans and self._joins_runs(line):
                where = _unspaced(line)
                line_spans = [(where[s], where[e - 1] + 1, label) for s, e, label in line_spans]
            out.append(line_spans)
        return out

    def label_texts(self, texts: Sequence, standard: str | None = None) -> list[list[Span]]:
        """Spans of sample texts as the model reads them: strings for character models, word
        tuples for word-level ones (what training's dev score and evaluation both need)."""
        return self.label_units(texts) if self.units == "words" else self.label_lines(texts, standard=standard)

    def iter_label(self, lines: Iterable[str], batch_lines: int = BATCH_LINES, batch_chars: int = BATCH_CHARS,
                   standard: str | None = None) -> Iterator[tuple[str, list[Span]]]:
        """Stream: (line, its labeled spans) for each line, in order, reading `batch_lines`
        lines at a time; the network sees at most ~`batch_chars` characters at once. A line's
        end ("\n", "\r\n"), as an open file gives it, is not part of the line.

        Why 2,048 lines a block: the lines of a block are sorted by length into batches, and
        the fewer lines there are, the more each batch pads its shorter lines. On the PKU test
        text, blocks of 512 lines padded 13% of the steps, blocks of 2,048 6%: `tagger segment`
        on ten copies of it took 13 s instead of 16 (`batch_lines` memory: a few MB per 1,000
        lines). After each block the heap's free pages go back to the system
        (tagger/memory.py): without that, peak memory crept up with the input's length."""
        for block in blocks(map(without_line_end, lines), batch_lines):
            yield from zip(block, self.label_lines(block, batch_chars, standard))
            release_free_memory()

    def label_units(self, unit_lists: Sequence[Sequence[str]], batch_chars: int = BATCH_CHARS) -> list[list[Span]]:
        """Spans over units (characters or words) of pre-split texts; empty texts give []."""
        keep = [i for i, units in enumerate(unit_lists) if len(units)]
        tags = self.tag_chunks([tuple(unit_lists[i]) for i in keep], batch_chars) if keep else []
        out: list[list[Span]] = [[] for _ in unit_lists]
        for i, t in zip(keep, tags):
            out[i] = self.task.spans(unit_lists[i], t)
        return out

    def _label_word_lines(self, lines: Sequence[str], batch_chars: int) -> list[list[Span]]:
        offsets = [[m.span() for m in _WORD.finditer(line)] for line in lines]
        spans = self.label_units([[line[s:e] for s, e in offs] for line, offs in zip(lines, offsets)], batch_chars)
        return [[(offs[s][0], offs[e - 1][1], label) for s, e, label in line_spans]
                for offs, line_spans in zip(offsets, spans)]

    def label_lines_given_words(self, word_lists: Sequence[Sequence[str]]) -> list[list[Span]]:
        """Like `label_lines`, with the decoder held to the given words: a POS model then tags
        exactly these words (POS accuracy on gold segmentation)."""
        texts = ["".join(words) for words in word_lists]
        masks = []
        for text, words in zip(texts, word_lists):
            spans = word_spans(words)
            mask = keep_whole_mask(len(text), spans, self.tags)
            masks.append(force_boundaries_mask(len(text), [s for s, _ in spans[1:]], self.tags, mask))
        tags = self.tag_chunks(texts, masks=masks)
        return [self.task.spans(text, t) for text, t in zip(texts, tags)]

    def tag(self, text: str, standard: str | None = None) -> list[dict]:
        """Spans of one text as dicts {"text", "start", "end", "label"} (character offsets)."""
        return [{"text": text[s:e], "start": s, "end": e, "label": label}
                for s, e, label in self.label_lines([text], standard=standard)[0]]

    def entities(self, text: str, standard: str | None = None) -> list[tuple[int, int, str, str]]:
        """(start, end, type, text) of each entity of an NER model in `text` (offsets into it)."""
        if self.task.name != "ner":
            raise TaggerError(f"a {self.task.name} model finds no entities; load an NER model (\"ner\")")
        return [(s, e, label, text[s:e]) for s, e, label in self.label_lines([text], standard=standard)[0]]

    # -- the segmentation view -----------------------------------------------------------
    def segment_lines(self, lines: Sequence[str], batch_chars: int = BATCH_CHARS,
                      standard: str | None = None) -> list[list[str]]:
        """Words of each line; whitespace runs are kept as tokens; empty lines give [].
        `standard`: which segmentation standard a multi-criteria model follows (see `standards`)."""
        self._require_segmenting()
        return [words_of(line, spans) for line, spans in zip(lines, self.label_lines(lines, batch_chars, standard))]

    def segment(self, text: str, standard: str | None = None) -> list[str]:
        """Words of one text (newlines are kept as whitespace tokens)."""
        return [] if text is None or text == "" else self.segment_lines([text], standard=standard)[0]

    def flag_lines(self, lines: Sequence[str], batch_chars: int = BATCH_CHARS, standard: str | None = None,
                   whitespace: str = WHITESPACE_FLAG) -> list[list[tuple[str, str]]]:
        """(word, flag) pairs of each line (`flagged_words`, with this model's user words): the
        words and POS tags of a joint segmentation + POS model."""
        return [flagged_words(line, spans, self.user_dict, whitespace)
                for line, spans in zip(lines, self.label_lines(lines, batch_chars, standard))]

    def lcut(self, text: str, standard: str | None = None) -> list[str]:
        """`segment` under jieba's name, for code written against jieba's `lcut`."""
        return self.segment(text, standard)

    def iter_segment(self, lines: Iterable[str], batch_lines: int = BATCH_LINES, batch_chars: int = BATCH_CHARS,
                     standard: str | None = None) -> Iterator[list[str]]:
        """Stream: words for each line, in order, reading `batch_lines` lines at a time; the
        network sees at most ~`batch_chars` characters at once (memory grows with it)."""
        self._require_segmenting()
        for line, spans in self.iter_label(lines, batch_lines, batch_chars, standard):
            yield words_of(line, spans)

    def _require_segmenting(self) -> None:
        if not self.task.segments or self.units == "words":
            raise TaggerError("this model finds entities; it does not segment (use `tag`)")


