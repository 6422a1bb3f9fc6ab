"""Training: length-grouped mini-batches, Adam, gradient clipping, early stopping on dev F1.

The trainer is task-agnostic: a task (tagger/tasks.py) turns what the reader gives into samples
(text + labeled spans), samples into tags, and predictions into a dev score. Segmentation plugs
in BMES tags and the SIGHAN word F1; NER BIOES tags and entity F1; joint POS typed BMES tags and
word+POS F1.
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import io
import math
import os
import random
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from . import checkpoints, distributed, embeddings, networks, recipe
from .checkpoints import Training
from .trainconfig import TrainConfig
from .dictionary import Dictionary
from .encode import Encoder, WordEncoder, collate, length_grouped_batches
from .errors import EmptyDevError, TaggerError
from .model import BiLSTMTagger, ModelConfig
from .pipeline import Tagger
from .trainset import MIXED, balanced_epoch, build_dictionaries, build_encoder, mixed_standards, split_sample
from .tasks import Sample, Task


class DevScore(NamedTuple):
    """Dev precision, recall and F1: one corpus's, or the mean over a multi-criteria model's
    corpora (each scored with its own standard), with the per-corpus F1s beside it."""
    precision: float
    recall: float
    f1: float
    per_corpus: dict


class Trainer:
    """Trains a BiLSTM segmenter and keeps the epoch with the best dev word F1."""

    def __init__(self, model_config: ModelConfig, train_config: TrainConfig,
                 log: Callable[[str], None] | None = None, progress: bool | None = None):
        self.model_config = model_config
        self.config = train_config
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.progress = progress  # None: a bar only when stderr is a terminal
        self.history: list[dict] = []
        self._average: AveragedModel | None = None  # the weights' moving average (TrainConfig.ema)
        self.recipe: dict | None = None  # what tagger/recipe.py chose for TrainConfig.auto, and why

    def _check_settings(self) -> None:
        """Out-of-range settings as one-line errors, before the corpus is read and encoded."""
        if not 0.0 <= self.config.ema < 1.0:
            raise TaggerError(f"--ema must lie between 0 and 1 (a decay per step such as 0.999), "
                              f"not {self.config.ema}")
        for option, rate in (("--embed-dropout", self.model_config.embed_dropout),
                             ("--lstm-dropout", self.model_config.lstm_dropout)):
            if not 0.0 <= rate < 1.0:
                raise TaggerError(f"{option} (or --dropout) must lie in [0, 1), not {rate}")

    def fit(self, train_sentences: Iterable, dev_sentences: Iterable | None,
            metadata: dict | None = None, checkpoint: str | None = None, resume: bool = False) -> Tagger:
        """Train, keeping the best epoch by dev F1 (word F1, word+POS F1 or entity F1).

        Sentences are what the task's readers give: word lists (seg), (word, POS) lists (pos),
        (units, spans or tags) pairs (ner); see `Task.sample`.

        With `dev_sentences=None` it trains a final model: every sentence is training data and
        all `epochs` run (choose them by cross-validation); the last epoch is kept.

        With `checkpoint`, the full training state is written there (atomically) after every
        epoch; `resume=True` continues from it after an interruption, with the same result as an
        uninterrupted run.
        """
        cfg = self.config
        self._check_settings()
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        rng = random.Random(cfg.seed)

        task = Task(cfg.task, cfg.units)
        multi = isinstance(train_sentences, Mapping)
        final = dev_sentences is None  # a final model: all data, fixed epochs, nothing held out
        if multi and (task.name == "pos" or task.units != "chars"):
            raise TaggerError("training on several corpora (standards) is for segmentation and character NER")
        train_sets = dict(train_sentences) if multi else {None: train_sentences}
        dev_sets = {} if final else dict(dev_sentences) if multi else {None: dev_sentences}
        train_sents, standards, members = [], [], {}
        for name, items in train_sets.items():
            samples = self._prepare(items, task)
            if not samples:
                raise TaggerError(f"the training corpus {name} has no sentences" if name else
                                  "the training corpus has no sentences")
            members[name] = range(len(train_sents), len(train_sents) + len(samples))
            standards += mixed_standards(name, len(samples), cfg.mixed_share) if multi else [None] * len(samples)
            train_sents += samples
        names = (*train_sets, *([MIXED] if cfg.mixed_share > 0 else [])) if multi else ()
        dev = {name: [s for s in (task.sample(item) for item in items) if s.text] for name, items in dev_sets.items()}
        if not final and not all(dev.values()):
            raise EmptyDevError("the dev corpus has no sentences")
        dev_sents = [s for samples in dev.values() for s in samples]
        cfg = self._choose_recipe(train_sents, task)

        words = [s.words for s in train_sents] if task.segments else []
        model_cfg = dataclasses.replace(self.model_config, units=cfg.units)
        if cfg.units == "words":
            encoder = WordEncoder.build([s.text for s in train_sents])
            fold_dictionaries = None
            model_cfg.char_vocab, model_cfg.word_char_vocab = len(encoder.words), len(encoder.chars)
            model_cfg.bigram_dim = model_cfg.bigram_vocab = model_cfg.dictionary_bits = 0
        else:
            encoder = build_encoder([[s.text] for s in train_sents], cfg,
                                    use_bigrams=self.model_config.bigram_dim > 0, standards=standards, names=names)
            encoder.dictionary, fold_dictionaries = build_dictionaries(words, cfg.dictionary, cfg.dictionary_folds, cfg.classes)
            model_cfg.char_vocab, model_cfg.bigram_vocab = len(encoder.chars), len(encoder.bigrams or [])
            model_cfg.dictionary_bits = encoder.dictionary.bits if encoder.dictionary is not None else 0
            model_cfg.marker_ids = encoder.marker_ids() if model_cfg.standard_dim > 0 else []
        tags = task.tag_set(train_sents + dev_sents)
        model_cfg.num_tags = len(tags)
        model = networks.of_config(model_cfg.to_dict()).torch_class()(model_cfg).to(cfg.device)
        resuming = bool(resume and checkpoint and os.path.exists(checkpoint))
        if not resuming:  # a checkpoint brings its own weights
            embeddings.start(model, encoder, cfg, [s.text for s in train_sents], self.log)
        lexicon = {word for sentence in words for word in sentence}
        segmenter = Tagger(model, encoder, tags, metadata, lexicon=lexicon, task=task).to(cfg.device)

        train_data = self._encode(train_sents, encoder, task, tags, fold_dictionaries, standards)
        dev_data = self._encode(dev_sents, encoder, task, tags, None,
                                [name for name, samples in dev.items() for _ in samples]) if dev_sents else []
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        self._average = self._moving_average(model)
        net = distributed.wrap(model)  # the model itself, or its DDP wrapper under torchrun
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=cfg.lr_decay,
                                                               patience=cfg.lr_patience)
        loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
        self.log(f"training on {len(train_sents)} sentences ({sum(len(d[0][0]) for d in train_data)} {cfg.units}), "
                 f"dev {len(dev_sents)}; {len(encoder.chars)} chars, {len(encoder.bigrams or [])} bigrams, "
                 f"{sum(p.numel() for p in model.parameters())} parameters")

        state = {"epoch": 0, "best_f1": -1.0, "best_state": None, "best_epoch": 0, "stale": 0, "elapsed": 0.0}
        if resuming:
            state, self.history = checkpoints.restore(checkpoint, Training(model, optimizer, scheduler, rng, self._average),
                                                      encoder, cfg.to_dict(), TrainConfig().to_dict())
            self.log(f"resumed from {checkpoint} after epoch {state['epoch']}")
        started = time.monotonic() - state["elapsed"]
        for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
            epoch_start = time.monotonic()
            epoch_data = [train_data[i] for i in balanced_epoch(members, rng)] if multi else train_data
            train_loss, chars_per_s = self._train_epoch(net, epoch_data, optimizer, loss_fn, rng, epoch)
            with self._averaged_weights(model):  # scored and kept: the average, if one is kept
                if final:
                    dev_loss, dev_score = float("nan"), None
                else:
                    dev_loss = self._loss(model, dev_data, loss_fn)
                    dev_score = self._dev_score(segmenter, dev)
                if final or dev_score.f1 > state["best_f1"]:
                    state.update(best_f1=dev_score.f1 if dev_score else float("nan"), best_epoch=epoch, stale=0,
                                 best_state=copy.deepcopy(model.state_dict()))
                elif state["best_f1"] > 0:  # no stall counts before the first dev F1 above 0
                    state["stale"] += 1
            seconds = time.monotonic() - epoch_start
            row = dict(epoch=epoch, train_loss=train_loss, dev_loss=dev_loss,
                       dev_precision=dev_score.precision if dev_score else float("nan"),
                       dev_recall=dev_score.recall if dev_score else float("nan"),
                       dev_f1=dev_score.f1 if dev_score else float("nan"), lr=optimizer.param_groups[0]["lr"],
                       seconds=round(seconds, 1), chars_per_s=round(chars_per_s))
            if multi and dev_score:
                row.update({f"dev_f1_{name}": f1 for name, f1 in dev_score.per_corpus.items()})
            self.history.append(row)
            dev_text = (f"dev loss {dev_loss:.4f}  dev P {dev_score.precision:.4f} R {dev_score.recall:.4f} "
                        f"F1 {dev_score.f1:.4f}") if dev_score else "(final model: no dev)"
            if multi and dev_score:
                dev_text += " (" + ", ".join(f"{n} {f1:.4f}" for n, f1 in dev_score.per_corpus.items()) + ")"
            self.log(f"epoch {epoch:>2}  train loss {train_loss:.4f}  {dev_text}  "
                     f"lr {row['lr']:.2g}  {seconds:.0f}s  {chars_per_s:.0f} chars/s")
            state["epoch"] = epoch
            if not final and state["best_f1"] > 0:  # nor any decay: an all-"O" start is no plateau
                scheduler.step(dev_score.f1)
            state["elapsed"] = time.monotonic() - started
            if checkpoint and distributed.is_main():
                checkpoints.save(checkpoint, state, Training(model, optimizer, scheduler, rng, self._average),
                                 encoder, cfg.to_dict(), self.history)
            if state["stale"] >= cfg.patience:
                self.log(f"early stop: no dev F1 gain for {state['stale']} epochs")
                break
            if cfg.max_minutes and state["elapsed"] + seconds > cfg.max_minutes * 60:
                self.log(f"stopping: another epoch would pass the {cfg.max_minutes} minute budget")
                break
        model.load_state_dict(state["best_state"])
        model.eval()
        segmenter.metadata.update(best_epoch=state["best_epoch"], dev_f1=state["best_f1"],
                                  train_minutes=round((time.monotonic() - started) / 60, 2),
                                  train_config=cfg.to_dict(), train_sentences=len(train_sents))
        if self.recipe is not None:
            segmenter.metadata["recipe"] = self.recipe
        if not final:
            self.log(f"best dev F1 {state['best_f1']:.4f} at epoch {state['best_epoch']}")
        if multi:
            self._choose_default_standard(segmenter, dev, {name: len(ids) for name, ids in members.items()})
        return segmenter

    def _choose_default_standard(self, segmenter: Tagger, dev: Mapping[str, Sequence[Sample]],
                                 sizes: Mapping[str, int]) -> None:
        """Set the multi-criteria model's default standard: the one with the best mean dev F1
        over all the corpora (text whose standard the user does not know), MIXED for a final
        model (no dev). Each standard's dev F1s go into the metadata."""
        encoder = segmenter.encoder
        table = {}
        if dev:
            table = {standard: {name: self._dev_score(segmenter, {name: samples}, standard).f1
                                for name, samples in dev.items()} for standard in encoder.standards}
            best = max(table, key=lambda standard: sum(table[standard].values()))
        else:
            best = MIXED if MIXED in encoder.standards else encoder.standards[0]
        encoder.default_standard = best
        segmenter.metadata.update(standards=list(encoder.standards), default_standard=best,
                                  standard_dev_f1=table, corpus_sentences=dict(sizes),
                                  sampling="each epoch: as many sentences as all corpora, corpus shares "
                                           "proportional to the square root of their sizes")
        for standard, scores in table.items():
            mean = sum(scores.values()) / len(scores)
            self.log(f"standard {standard}: mean dev F1 {mean:.4f} ("
                     + ", ".join(f"{n} {f1:.4f}" for n, f1 in scores.items()) + ")")
        self.log(f"default standard: {best}")

    def _choose_recipe(self, samples: Sequence[Sample], task: Task) -> TrainConfig:
        """Fill the settings of TrainConfig.auto from the corpus's size (tagger/recipe.py), log
        the choice in one line, and return the resulting config."""
        if not self.config.auto:
            return self.config
        units = sum(len(s.text) for s in samples)
        chosen = recipe.choose(task.name, len(samples), units, task.units)
        self.config, self.model_config = recipe.apply(chosen, self.config, self.model_config, self.config.auto)
        line = chosen.line(self.config.auto)
        self.recipe = {"line": line, "size": chosen.size,
                       "settings": {k: v for k, v in chosen.settings.items() if k in self.config.auto}}
        self.log(f"recipe: {line}")
        return self.config

    def _moving_average(self, model: BiLSTMTagger) -> AveragedModel | None:
        """An exponential moving average of the weights, updated after every step (torch's
        AveragedModel), when TrainConfig.ema > 0. Why: Adam's last steps leave the weights
        jittering around a good region; their average usually scores a little higher on dev and
        varies less from seed to seed (Polyak averaging)."""
        decay = self.config.ema
        if not decay:
            return None
        return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)

    @contextmanager
    def _averaged_weights(self, model: BiLSTMTagger):
        """Inside: the model holds the averaged weights (if an average is kept); after: its own."""
        if self._average is None:
            yield
            return
        live = copy.deepcopy(model.state_dict())
        model.load_state_dict(self._average.module.state_dict())
        try:
            yield
        finally:
            model.load_state_dict(live)

    # -- pieces ----------------------------------------------------------------------------
    def _prepare(self, sentences: Iterable, task: Task) -> list[Sample]:
        """Samples, long segmented paragraphs cut at sentence ends (entity data is kept as given)."""
        out = []
        for item in sentences:
            sample = task.sample(item)
            if not sample.text:
                continue
            cut = self.config.split_sentences and task.segments
            out.extend(split_sample(sample) if cut else [sample])
        return out

    @staticmethod
    def _encode(samples: Sequence[Sample], encoder: Encoder, task: Task, tags: Sequence[str],
                fold_dictionaries: Sequence[Dictionary] | None = None,
                standards: Sequence[str | None] | None = None) -> list:
        """(encoded text, tag ids) per sample; sample i takes fold i's dictionary if given, and
        is read with standard i (multi-criteria models), whose marker steps are tagged S (a word
        of their own) or, for entities, O."""
        index = {t: i for i, t in enumerate(tags)}
        folds = len(fold_dictionaries) if fold_dictionaries else 0
        marker_tags = [index[task.scheme.filler]] * encoder.margin if encoder.margin else []
        standards = standards or [None] * len(samples)
        return [(encoder.encode(sample.text, fold_dictionaries[i % folds] if folds else None, standards[i]),
                 marker_tags + [index[t] for t in task.tags(sample)] + marker_tags)
                for i, sample in enumerate(samples)]

    def _batch_loss(self, net, data, ids, loss_fn, unk_dropout: bool = False):
        """(mean loss over the batch's characters, the batch) for the sentences `ids` of `data`."""
        batch = collate([data[i][0] for i in ids], [data[i][1] for i in ids]).to(self.config.device)
        inputs = batch.inputs
        if unk_dropout:  # bigrams for character models, the words themselves for word-level ones
            name = "chars" if self.config.units == "words" else "bigrams"
            inputs = inputs._replace(**{name: self._unk_dropout(getattr(inputs, name))})
        logits = net(inputs)
        if self.model_config.crf:  # the CRF's parameters live on the model, outside a DDP wrapper's forward
            return getattr(net, "module", net).crf_loss(logits, batch.tags), batch
        return loss_fn(logits.reshape(-1, logits.shape[-1]), batch.tags.reshape(-1)), batch

    def _train_epoch(self, net, data, optimizer, loss_fn, rng, epoch) -> tuple[float, float]:
        net.train()
        lengths = [len(d[0][0]) for d in data]
        batches = distributed.shard(length_grouped_batches(lengths, self.config.batch_chars, rng))
        total_loss, total_chars, start = 0.0, 0, time.monotonic()
        bar = tqdm(total=sum(lengths), desc=f"epoch {epoch}", unit="char", unit_scale=True, leave=False,
                   disable=None if self.progress is None else not self.progress, file=sys.stderr)
        for ids in batches:
            loss, batch = self._batch_loss(net, data, ids, loss_fn, unk_dropout=True)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), self.config.clip)
            optimizer.step()
            if self._average is not None:
                self._average.update_parameters(getattr(net, "module", net))
            total_loss += loss.item() * batch.num_chars
            total_chars += batch.num_chars
            rate = total_chars / max(time.monotonic() - start, 1e-9)
            bar.update(batch.num_chars)
            bar.set_postfix(loss=f"{total_loss / total_chars:.4f}", chars_s=f"{rate:.0f}")
        bar.close()
        if not math.isfinite(total_loss):
            raise TaggerError("training diverged (loss is not finite); try a lower --lr")
        return total_loss / total_chars, total_chars / max(time.monotonic() - start, 1e-9)

    def _unk_dropout(self, ids: torch.Tensor | None) -> torch.Tensor | None:
        """Replace a share of the (non-padding) bigram ids by <unk> (id 1), so the model learns
        to segment around bigrams it has never seen, as the test text has many."""
        p = self.config.unk_dropout
        if ids is None or p <= 0:
            return ids
        drop = (torch.rand(ids.shape, device=ids.device) < p) & (ids > 0)
        return ids.masked_fill(drop, 1)

    def _loss(self, model, data, loss_fn) -> float:
        model.eval()
        lengths = [len(d[0][0]) for d in data]
        total, chars = 0.0, 0
        with torch.inference_mode():
            for ids in length_grouped_batches(lengths, 20000):
                loss, batch = self._batch_loss(model, data, ids, loss_fn)
                total += loss.item() * batch.num_chars
                chars += batch.num_chars
        return total / max(chars, 1)

    @staticmethod
    def _dev_score(segmenter: Tagger, dev: Mapping[str | None, Sequence[Sample]],
                   standard: str | None = None) -> DevScore:
        """Dev P/R/F1: a corpus's own score, or the mean over several corpora, each read with
        its own standard unless `standard` is given."""
        segmenter.model.eval()
        scores = {}
        for name, samples in dev.items():
            predicted = segmenter.label_texts([s.text for s in samples], standard=standard or name)
            scores[name] = segmenter.task.score(samples, predicted)
        mean = lambda values: sum(values) / len(values)  # noqa: E731
        return DevScore(mean([x.precision for x in scores.values()]), mean([x.recall for x in scores.values()]),
                        mean([x.f1 for x in scores.values()]), {name: x.f1 for name, x in scores.items()})

    def history_csv(self) -> str:
        buffer = io.StringIO()
        if self.history:
            writer = csv.DictWriter(buffer, fieldnames=list(self.history[0]))
            writer.writeheader()
            writer.writerows(self.history)
        return buffer.getvalue()
