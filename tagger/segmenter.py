"""`Segmenter`: a loaded model that turns lines of text into words, many lines at a time.

Load once, segment many. A line is split into whitespace runs and text chunks; whitespace runs
become tokens of their own (like jieba), text chunks go through the model in length-grouped
batches and constrained Viterbi. Joining a line's words always gives the line back exactly.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from .decode import Decoder, atomic_spans, force_boundaries_mask, keep_whole_mask, standalone_spans
from .encode import Encoder, WordEncoder, blocks, length_grouped_batches
from .errors import TaggerError
from .metrics import spans as word_spans
from .tags import BMES, tags_to_words
from .tasks import Task
from .userdict import UserDict

if TYPE_CHECKING:  # the network is torch's BiLSTMTagger or lite.NumpyBiLSTM; see `model` below
    from .model import BiLSTMTagger

MAX_CHUNK = 200  # longer text runs are cut (at a sentence end when possible) before the model:
# the model was trained on sentences, and shorter rows make wider, faster LSTM batches
BATCH_CHARS = 5000  # characters per network batch: as fast as 20,000 here, with half the peak memory
_SPACES = re.compile(r"(\s+)")
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)]*")


def split_long(text: str, limit: int = MAX_CHUNK) -> list[str]:
    """Cut a run longer than `limit` after sentence ends, else hard, into pieces <= limit."""
    if len(text) <= limit:
        return [text]
    pieces, start = [], 0
    while len(text) - start > limit:
        window = text[start:start + limit]
        ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() < len(window)]
        cut = ends[-1] if ends and ends[-1] > limit // 4 else limit
        pieces.append(text[start:start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


def _check_texts(lines: Sequence) -> None:
    """Only text is segmented: str() of a number, of bytes or of pandas' NaN would be segmented
    as if it were the input (NaN as the word "nan"), so the caller hears of it instead."""
    for number, value in enumerate(lines):
        if not isinstance(value, str):
            hint = " (a missing value? cut_series keeps missing values missing)" if isinstance(value, float) else \
                " (decode bytes first)" if isinstance(value, bytes) else ""
            raise TypeError(f"text number {number}: expected str, got {type(value).__name__}{hint}")


def require_cpu(device) -> None:
    """A one-line error unless `device` is the CPU: the numpy engine's models have no other."""
    if str(device) != "cpu":
        raise TaggerError(f"the numpy engine runs on the CPU only, not {device}; use the torch engine")


class Segmenter:
    """A trained tagger with its vocabularies: segments text (task seg), segments and POS-tags
    it (pos), or finds entities (ner). `segment*` gives words, `tag`/`label_lines` labeled spans."""

    def __init__(self, model: "BiLSTMTagger", encoder: Encoder, tags: Sequence[str] = BMES,
                 metadata: dict | None = None, keep_atomic: bool = True,
                 lexicon: Sequence[str] = (), task: str = "seg"):
        self.model = model.eval()
        self.encoder = encoder
        self.tags = tuple(tags)
        self.units = "words" if isinstance(encoder, WordEncoder) else "chars"
        self.task = Task(task, self.units)
        self.decoder = Decoder(self.tags, self.task.scheme)
        self.metadata = dict(metadata or {})
        self.keep_atomic = keep_atomic
        self.lexicon = frozenset(lexicon)  # training words, for cut_for_search
        self.user_dict = UserDict()
        self.device = "cpu"

    def to(self, device) -> "Segmenter":
        """Run the network on `device` ("cpu", "cuda", "cuda:1"); decoding stays on the CPU."""
        if not hasattr(self.model, "to"):
            require_cpu(device)
            return self
        import torch
        self.device = torch.device(device)
        self.model.to(self.device)
        return self

    # -- dictionaries ------------------------------------------------------------------
    def load_userdict(self, source) -> None:
        """Add words from a jieba-format file (`word [freq] [tag]` lines); they are kept whole."""
        self.user_dict.load(source)

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        self.user_dict.add(word, freq, tag)

    def del_word(self, word: str) -> None:
        self.user_dict.remove(word)

    # -- tagging -----------------------------------------------------------------------
    def _mask(self, text: str) -> np.ndarray | None:
        """Allowed tags per character: atomic runs stay whole, `#`, `@` and emoji are words of
        their own, dictionary words are exact words."""
        if not self.task.segments:
            return None  # entity tags say nothing about word boundaries
        atomic = atomic_spans(text) if self.keep_atomic else []
        alone = standalone_spans(text, atomic) if self.keep_atomic else []
        words = alone
        if len(self.user_dict):
            # a dictionary word may cover an atomic run, never cut into one
            words = words + [(s, e) for s, e in self.user_dict.find(text)
                             if not any(a < e and s < b and not (s <= a and b <= e) for a, b in atomic + alone)]
        mask = keep_whole_mask(len(text), atomic + words, self.tags)
        cuts = sorted({c for s, e in words for c in (s, e) if 0 < c < len(text)})
        if cuts:
            mask = force_boundaries_mask(len(text), cuts, self.tags, mask)
        return mask

    @property
    def standards(self) -> tuple[str, ...]:
        """The segmentation standards a multi-criteria model can follow (empty for one corpus)."""
        return self.encoder.standards

    def tag_chunks(self, chunks: Sequence[str], batch_chars: int = BATCH_CHARS,
                   masks: Sequence[np.ndarray | None] | None = None,
                   standard: str | None = None) -> list[list[str]]:
        """Tags for each non-empty, whitespace-free chunk, predicted in length-grouped batches.

        `masks` (one per chunk) replace the usual allowed-tag masks (atomic runs, user words).
        `standard` picks the segmentation standard of a multi-criteria model (default: its own).
        (Encoding the next batch in a helper thread while the network runs was measured: no
        faster on 2 cores, as the threads contend for the GIL between torch calls.)
        """
        results: list[list[str] | None] = [None] * len(chunks)
        learned = self.model.crf_scores()
        for batch_ids in length_grouped_batches([len(c) for c in chunks], batch_chars):
            inputs, mask = self._prepare_batch(chunks, batch_ids, masks, standard)
            log_probs, lengths = self.encoder.unwrap(self.model.log_probs(*inputs), inputs[2])
            self._decode_batch(results, batch_ids, log_probs, lengths, mask, learned)
        return results  # type: ignore[return-value]

    def _prepare_batch(self, chunks: Sequence[str], batch_ids: Sequence[int],
                       masks: Sequence[np.ndarray | None] | None,
                       standard: str | None = None) -> tuple[tuple, np.ndarray | None]:
        """(padded network inputs, allowed-tag mask or None) for the chunks `batch_ids`; the mask
        covers the texts themselves (no marker steps)."""
        texts = [chunks[i] for i in batch_ids]
        inputs = self.encoder.encode_batch(texts, standard)
        masks_here = [masks[i] for i in batch_ids] if masks is not None else [self._mask(t) for t in texts]
        mask = None
        if any(m is not None for m in masks_here):
            time = inputs[0].shape[1] - 2 * self.encoder.margin
            mask = np.ones((len(texts), time, len(self.tags)), dtype=bool)
            for row, m in enumerate(masks_here):
                if m is not None:
                    mask[row, :m.shape[0]] = m
        return inputs, mask

    def _decode_batch(self, results: list, batch_ids: Sequence[int], log_probs: np.ndarray,
                      lengths: np.ndarray, mask: np.ndarray | None, learned) -> None:
        """Viterbi over one batch; the tag lists go to `results` at the chunks' places."""
        paths = self.decoder.viterbi(log_probs, lengths, mask, learned)
        for i, path in zip(batch_ids, paths):
            results[i] = [self.tags[t] for t in path]

    # -- segmentation ------------------------------------------------------------------
    def _tag_lines(self, lines: Sequence[str], batch_chars: int, standard: str | None = None):
        """(layout, chunks, tags): each line as whitespace runs and chunk numbers, the chunks, and
        the tags of each chunk (all lines' chunks tagged together in length-grouped batches)."""
        layout: list[list[tuple[bool, int | str]]] = []
        chunks: list[str] = []
        _check_texts(lines)
        self.encoder.standard_of(standard)  # an unknown standard fails before any work
        for line in lines:
            parts: list[tuple[bool, int | str]] = []
            for piece in _SPACES.split(line):
                if not piece:
                    continue
                if piece.isspace():
                    parts.append((False, piece))
                else:
                    for chunk in split_long(piece):
                        parts.append((True, len(chunks)))
                        chunks.append(chunk)
            layout.append(parts)
        tags = self.tag_chunks(chunks, batch_chars, standard=standard) if chunks else []
        return layout, chunks, tags

    def segment_lines(self, lines: Sequence[str], batch_chars: int = BATCH_CHARS,
                      standard: str | None = None) -> list[list[str]]:
        """Words of each line; whitespace runs are kept as tokens; empty lines give [].
        `standard`: which segmentation standard a multi-criteria model follows (see `standards`)."""
        if not self.task.segments or self.units == "words":
            raise TaggerError("this model finds entities; it does not segment (use `tag`)")
        layout, chunks, tags = self._tag_lines(lines, batch_chars, standard)
        output = []
        for parts in layout:
            words: list[str] = []
            for is_chunk, ref in parts:
                if is_chunk:
                    words.extend(tags_to_words(chunks[ref], tags[ref]))
                else:
                    words.append(ref)
            output.append(words)
        return output

    def label_lines(self, lines: Sequence[str], batch_chars: int = BATCH_CHARS,
                    standard: str | None = None) -> list[list[tuple[int, int, str]]]:
        """Labeled spans (start, end, label) of each line, offsets into the line: words with
        their POS (pos), words with label '' (seg), or entities (ner). Whitespace is never in a span.

        A word-level model reads each line as whitespace-separated words; its spans still give
        character offsets into the line."""
        if self.units == "words":
            self.encoder.standard_of(standard)
            return self._label_word_lines(lines, batch_chars)
        layout, chunks, tags = self._tag_lines(lines, batch_chars, standard)
        output = []
        for parts in layout:
            spans, offset = [], 0
            for is_chunk, ref in parts:
                if is_chunk:
                    spans.extend((offset + s, offset + e, lab) for s, e, lab in self.task.spans(chunks[ref], tags[ref]))
                    offset += len(chunks[ref])
                else:
                    offset += len(ref)
            output.append(spans)
        return output

    def label_texts(self, texts: Sequence, standard: str | None = None) -> list[list[tuple[int, int, str]]]:
        """Spans of sample texts as the model reads them: strings for character models, word
        tuples for word-level ones (what training's dev score and evaluation both need)."""
        return self.label_units(texts) if self.units == "words" else self.label_lines(texts, standard=standard)

    def iter_label(self, lines: Iterable[str], batch_lines: int = 512, batch_chars: int = BATCH_CHARS,
                   standard: str | None = None) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
        """Stream: (line, its labeled spans) for each line, in order, like `iter_segment`."""
        for block in blocks(lines, batch_lines):
            yield from zip(block, self.label_lines(block, batch_chars, standard))

    def label_units(self, unit_lists: Sequence[Sequence[str]],
                    batch_chars: int = BATCH_CHARS) -> list[list[tuple[int, int, str]]]:
        """Spans over units (characters or words) of pre-split texts; empty texts give []."""
        keep = [i for i, units in enumerate(unit_lists) if len(units)]
        tags = self.tag_chunks([tuple(unit_lists[i]) for i in keep], batch_chars) if keep else []
        out: list[list[tuple[int, int, str]]] = [[] for _ in unit_lists]
        for i, t in zip(keep, tags):
            out[i] = self.task.spans(unit_lists[i], t)
        return out

    def _label_word_lines(self, lines: Sequence[str], batch_chars: int) -> list[list[tuple[int, int, str]]]:
        _check_texts(lines)
        offsets = [[m.span() for m in _WORD.finditer(line)] for line in lines]
        word_spans = self.label_units([[line[s:e] for s, e in offs] for line, offs in zip(lines, offsets)],
                                      batch_chars)
        return [[(offs[s][0], offs[e - 1][1], lab) for s, e, lab in spans]
                for offs, spans in zip(offsets, word_spans)]

    def label_lines_given_words(self, word_lists: Sequence[Sequence[str]]) -> list[list[tuple[int, int, str]]]:
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
        return [{"text": text[s:e], "start": s, "end": e, "label": lab}
                for s, e, lab in self.label_lines([text], standard=standard)[0]]

    def segment(self, text: str, standard: str | None = None) -> list[str]:
        """Words of one text (newlines are kept as whitespace tokens)."""
        return [] if text is None or text == "" else self.segment_lines([text], standard=standard)[0]

    def iter_segment(self, lines: Iterable[str], batch_lines: int = 512, batch_chars: int = BATCH_CHARS,
                     standard: str | None = None) -> Iterator[list[str]]:
        """Stream: words for each line, in order, reading `batch_lines` lines at a time; the
        network sees at most ~`batch_chars` characters at once (memory grows with it)."""
        for block in blocks(lines, batch_lines):
            yield from self.segment_lines(block, batch_chars, standard)

    # -- jieba-style API ---------------------------------------------------------------
    def cut(self, text: str, standard: str | None = None) -> Iterator[str]:
        """jieba-style generator of words."""
        yield from self.segment(text, standard)

    def lcut(self, text: str, standard: str | None = None) -> list[str]:
        """jieba-style list of words."""
        return self.segment(text, standard)

    def tokenize(self, text: str, standard: str | None = None) -> list[tuple[str, int, int]]:
        """(word, start, end) for each word, offsets into `text`."""
        out, start = [], 0
        for word in self.segment(text, standard):
            out.append((word, start, start + len(word)))
            start += len(word)
        return out

    def known_parts(self, word: str) -> Iterator[tuple[int, str]]:
        """(offset, part) for the 2- and 3-character parts of a longer word that are known words
        (in the model's training vocabulary or the user dictionary), as jieba's search mode."""
        for n in (2, 3):
            if len(word) > n:
                for i in range(len(word) - n + 1):
                    part = word[i:i + n]
                    if part in self.lexicon or part in self.user_dict:
                        yield i, part

    def cut_for_search(self, text: str, standard: str | None = None) -> Iterator[str]:
        """Like jieba: each word, preceded by its known 2- and 3-character parts when it is longer."""
        for word in self.segment(text, standard):
            yield from (part for _, part in self.known_parts(word))
            yield word

    def lcut_for_search(self, text: str, standard: str | None = None) -> list[str]:
        return list(self.cut_for_search(text, standard))

    def segment_series(self, series, standard: str | None = None):
        """A pandas Series of texts -> a Series of word lists with the same index.

        Missing values (None, NaN) stay missing, as with pandas' own `.str` methods; before, they
        became the word "nan". Any other value that is not text is a TypeError."""
        import pandas as pd
        missing = series.isna().tolist()
        words = iter(self.segment_lines([text for text, gap in zip(series, missing) if not gap], standard=standard))
        return pd.Series([text if gap else next(words) for text, gap in zip(series, missing)],
                         index=series.index, name=series.name, dtype=object)
