"""Training a tagger from a corpus: samples, encoder, network, and the epochs of tagger/loop.py
(length-grouped mini-batches, Adam, gradient clipping, early stopping on dev F1).

The trainer is task-agnostic: a task (tagger/tasks.py) turns what the reader gives into samples
(text + labeled spans), samples into tags, and predictions into a dev score. Segmentation plugs
in BMES tags and the SIGHAN word F1; NER BIOES tags and entity F1; joint POS typed BMES tags and
word+POS F1.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import os
import sys
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import torch
from torch import nn

from . import checkpoints, distributed, embeddings, networks, recipe
from .checkpoints import Training
from .trainconfig import TrainConfig
from .dictionary import Dictionary, fold_of
from .batching import length_grouped_batches
from .encode import Encoder, WordEncoder, collate
from .errors import TaggerError
from .model import ModelConfig
from .pipeline import Tagger
from .loop import Epoch, Loop, Score, seeded
from .trainset import MIXED, TrainingSet, assemble, balanced_epoch, build_dictionaries, build_encoder
from .tasks import Sample, Task


class DevScore(NamedTuple):
    """Dev precision, recall and F1: one corpus's, or the mean over a multi-criteria model's
    corpora (each scored with its own standard), with the per-corpus F1s beside it."""
    precision: float
    recall: float
    f1: float
    per_corpus: dict


class Trainer:
    """Trains a network for a task (seg, pos or ner) and keeps the epoch with the best dev F1 (word,
    word+POS or entity F1)."""

    def __init__(self, model_config: ModelConfig, train_config: TrainConfig,
                 log: Callable[[str], None] | None = None, progress: bool | None = None):
        self.model_config = model_config
        self.config = train_config
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.progress = progress  # None: a bar only when stderr is a terminal
        self.history: list[dict] = []
        self.recipe: dict | None = None  # what tagger/recipe.py chose for TrainConfig.auto, and why
        self.choices: torch.Tensor | None = None  # what an open tag id allows (tagger/partial.py)

    def _check_settings(self) -> None:
        """Out-of-range settings as one-line errors, before the corpus is read and encoded."""
        character_ner = self.config.task == "ner" and self.config.units == "chars"
        for option, name in (("--swap-names", "swap_names"), ("--unpunctuated", "unpunctuated"),
                             ("--posted", "posted")):  # NER copies
            share = getattr(self.config, name)
            if share and not character_ner:
                raise TaggerError(f"{option} is for character NER models (--task ner)")
            if not 0.0 <= share <= 1.0:
                raise TaggerError(f"{option} must lie between 0 and 1, not {share}")
        if not 0.0 <= self.config.ema < 1.0:
            raise TaggerError(f"--ema must lie between 0 and 1 (a decay per step such as 0.999), "
                              f"not {self.config.ema}")
        for option, name in (("--embed-dropout", "embed_dropout"), ("--lstm-dropout", "lstm_dropout")):
            rate = getattr(self.model_config, name, 0.0)  # settings of the BiLSTM: another network may lack them
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
        rng = seeded(cfg)

        task = Task(cfg.task, cfg.units, cfg.scheme or None)
        data = assemble(train_sentences, dev_sentences, task, cfg.split_sentences, cfg.mixed_share,
                        cfg.swap_names, cfg.seed, cfg.unpunctuated, cfg.posted)
        train_sents, standards, members, dev, final, multi, swapped, unpunctuated, posted, _ = data
        if cfg.swap_names:
            self.log(f"name swapping: {swapped} sentences again with made-up names")
        if cfg.unpunctuated:
            self.log(f"unpunctuated copies: {unpunctuated} sentences again without their punctuation")
        if cfg.posted:
            self.log(f"posted copies: {posted} sentences again with made-up post pieces between their clauses")
        dev_sents = [s for samples in dev.values() for s in samples]
        cfg = self._choose_recipe(train_sents, task, final)
        resuming = bool(resume and checkpoint and os.path.exists(checkpoint))
        tagger, fold_dictionaries = self._network(data, task, cfg, metadata, resuming)
        model, encoder, tags = tagger.model, tagger.encoder, tagger.tags

        open_ids = self._open_labels(data, task, tags)
        train_data = self._encode(train_sents, encoder, task, tags, fold_dictionaries, standards, open_ids)
        dev_data = self._encode(dev_sents, encoder, task, tags, None,
                                [name for name, samples in dev.items() for _ in samples]) if dev_sents else []
        loop = Loop(cfg, model, rng, self.log, self.progress, net=distributed.wrap(model))
        loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
        self.log(f"training on {len(train_sents)} sentences ({sum(len(d[0][0]) for d in train_data)} {cfg.units}), "
                 f"dev {len(dev_sents)}; {len(encoder.chars)} chars, {len(encoder.bigrams or [])} bigrams, "
                 f"{sum(p.numel() for p in model.parameters())} parameters")
        training = Training(model, loop.optimizer, loop.scheduler, rng, loop.average)
        if resuming:
            loop.state, loop.history = checkpoints.restore(checkpoint, training, encoder, cfg.to_dict(),
                                                           TrainConfig().to_dict())
            self.log(f"resumed from {checkpoint} after epoch {loop.state['epoch']}")
        self.history = loop.history

        def epoch_work(epoch: int) -> Epoch:
            items = [train_data[i] for i in balanced_epoch(members, rng)] if multi else train_data
            return Epoch([len(d[0][0]) for d in items], lambda ids: self._batch_loss(loop.net, items, ids, loss_fn, True))

        def save_checkpoint() -> None:
            if checkpoint and distributed.is_main():
                checkpoints.save(checkpoint, loop.state, training, encoder, cfg.to_dict(), loop.history)

        loop.run(epoch_work, lambda: self._epoch_score(tagger, dev, dev_data, loss_fn), save_checkpoint)
        tagger.metadata.update(best_epoch=loop.state["best_epoch"], dev_f1=loop.best_f1,
                                  train_minutes=round(loop.minutes(), 2),
                                  train_config=cfg.to_dict(), train_sentences=len(train_sents))
        if self.recipe is not None:
            tagger.metadata["recipe"] = self.recipe
        if not final:
            self.log(f"best dev F1 {loop.best_f1:.4f} at epoch {loop.state['best_epoch']}")
        if multi:
            self._choose_default_standard(tagger, dev, {name: len(ids) for name, ids in members.items()})
        return tagger

    def _network(self, data: TrainingSet, task: Task, cfg: TrainConfig, metadata: dict | None,
                 resuming: bool) -> tuple[Tagger, list[Dictionary] | None]:
        """(the untrained tagger: vocabularies, dictionary, tags and network built from the
        training samples, embeddings started unless a checkpoint brings the weights; the
        jackknifed dictionaries of the training sentences, if any)."""
        samples = data.samples
        own = data.own_samples()  # the copies' made-up pieces (tagger/posted.py) get no rows or vectors
        words = [s.words for s in samples] if task.segments else []
        model_cfg = dataclasses.replace(self.model_config, units=cfg.units)
        if cfg.units == "words":
            encoder = WordEncoder.build([s.text for s in samples])
            fold_dictionaries = None
            model_cfg.char_vocab, model_cfg.word_char_vocab = len(encoder.words), len(encoder.chars)
            model_cfg.bigram_dim = model_cfg.bigram_vocab = model_cfg.dictionary_bits = 0
        else:
            encoder = build_encoder([[samples[i].text] for i in own], cfg, use_bigrams=self.model_config.bigram_dim > 0,
                                    standards=[data.standards[i] for i in own], names=data.names(cfg.mixed_share))
            encoder.dictionary, fold_dictionaries = build_dictionaries(words, cfg.dictionary, cfg.dictionary_folds, cfg.classes)
            model_cfg.char_vocab, model_cfg.bigram_vocab = len(encoder.chars), len(encoder.bigrams or [])
            model_cfg.dictionary_bits = encoder.dictionary.bits if encoder.dictionary is not None else 0
            model_cfg.marker_ids = encoder.marker_ids() if getattr(model_cfg, "standard_dim", 0) > 0 else []
        tags = task.tag_set(samples + [s for dev in data.dev.values() for s in dev])
        model_cfg.num_tags = len(tags)
        model = networks.of_config(model_cfg.to_dict()).torch_class()(model_cfg).to(cfg.device)
        if not resuming:  # a checkpoint brings its own weights
            embeddings.start(model, encoder, cfg, [samples[i].text for i in own], self.log)
        lexicon = {word for sentence in words for word in sentence}
        return Tagger(model, encoder, tags, metadata, lexicon=lexicon, task=task).to(cfg.device), fold_dictionaries

    def _choose_default_standard(self, tagger: Tagger, dev: Mapping[str, Sequence[Sample]],
                                 sizes: Mapping[str, int]) -> None:
        """Set the multi-criteria model's default standard: the one with the best mean dev F1
        over all the corpora (text whose standard the user does not know), MIXED for a final
        model (no dev). Each standard's dev F1s go into the metadata."""
        encoder = tagger.encoder
        table = {}
        if dev:
            table = {standard: {name: self._dev_score(tagger, {name: samples}, standard).f1
                                for name, samples in dev.items()} for standard in encoder.standards}
            best = max(table, key=lambda standard: sum(table[standard].values()))
        else:
            best = MIXED if MIXED in encoder.standards else encoder.standards[0]
        encoder.default_standard = best
        tagger.metadata.update(standards=list(encoder.standards), default_standard=best,
                                  standard_dev_f1=table, corpus_sentences=dict(sizes),
                                  sampling="each epoch: as many sentences as all corpora, corpus shares "
                                           "proportional to the square root of their sizes")
        for standard, scores in table.items():
            mean = sum(scores.values()) / len(scores)
            self.log(f"standard {standard}: mean dev F1 {mean:.4f} ("
                     + ", ".join(f"{n} {f1:.4f}" for n, f1 in scores.items()) + ")")
        self.log(f"default standard: {best}")

    def _choose_recipe(self, samples: Sequence[Sample], task: Task, final: bool = False) -> TrainConfig:
        """Fill the settings of TrainConfig.auto from the corpus's size (tagger/recipe.py), log
        the choice in one line, and return the resulting config."""
        if not self.config.auto:
            return self.config
        units = sum(len(s.text) for s in samples)
        chosen = recipe.choose(task.name, len(samples), units, task.units)
        self.config, self.model_config = recipe.apply(chosen, self.config, self.model_config, self.config.auto)
        line = chosen.line(self.config.auto, final)
        self.recipe = {"line": line, "size": chosen.size,
                       "settings": {k: v for k, v in chosen.settings.items() if k in self.config.auto}}
        self.log(f"recipe: {line}")
        return self.config

    # -- pieces ----------------------------------------------------------------------------
    def _open_labels(self, data, task: Task, tags: Sequence[str]) -> list[int | None] | None:
        """Per training sample, the id its O steps take when they are left open (tagger/partial.py:
        a sentence that trains MIXED from a corpus that never tags some type); None: none open.
        Sets self.choices, the table the loss reads those ids with."""
        from .partial import choices, open_choices, untagged_types
        self.choices = None
        if task.segments or not data.multi:
            return None
        labels = {name: {lab for i in ids for _, _, lab in data.samples[i].spans} for name, ids in data.members.items()}
        missing = untagged_types(labels)
        if not missing or MIXED not in data.standards:
            return None
        open_id = {name: len(tags) + k for k, name in enumerate(missing)}
        self.choices = choices(len(tags), [open_choices(tags, types, task.scheme.filler) for types in missing.values()])
        for name, types in missing.items():
            self.log(f"partial labels: {name} tags no {', '.join(sorted(types))}; where its sentences train "
                     f"{MIXED}, their O characters may also be {', '.join(sorted(types))}")
        corpus_of = {i: name for name, ids in data.members.items() for i in ids}
        return [open_id.get(corpus_of[i]) if standard == MIXED else None for i, standard in enumerate(data.standards)]

    @staticmethod
    def _encode(samples: Sequence[Sample], encoder: Encoder, task: Task, tags: Sequence[str],
                fold_dictionaries: Sequence[Dictionary] | None = None,
                standards: Sequence[str | None] | None = None, open_ids: Sequence[int | None] | None = None) -> list:
        """(encoded text, tag ids) per sample; sample i takes fold i's dictionary if given, and
        is read with standard i (multi-criteria models), whose marker steps are tagged S (a word
        of their own) or, for entities, O. open_ids[i], when given, replaces sample i's O tags
        (tagger/partial.py)."""
        index = {t: i for i, t in enumerate(tags)}
        folds = len(fold_dictionaries) if fold_dictionaries else 0
        filler = index.get(task.scheme.filler)
        marker_tags = [filler] * encoder.margin if encoder.margin else []
        standards = standards or [None] * len(samples)
        open_ids = open_ids or [None] * len(samples)

        def ids(i: int, sample: Sample) -> list[int]:
            own = [index[t] for t in task.tags(sample)]
            if open_ids[i] is not None:
                own = [open_ids[i] if t == filler else t for t in own]
            return marker_tags + own + marker_tags

        return [(encoder.encode(sample.text, fold_dictionaries[fold_of(i, folds)] if folds else None, standards[i]),
                 ids(i, sample)) for i, sample in enumerate(samples)]

    def _batch_loss(self, net, data, ids, loss_fn, unk_dropout: bool = False) -> tuple[torch.Tensor, int]:
        """(mean loss over the batch's characters, their count) for the sentences `ids` of `data`."""
        batch = collate([data[i][0] for i in ids], [data[i][1] for i in ids]).to(self.config.device)
        inputs = batch.inputs
        if unk_dropout:  # bigrams for character models, the words themselves for word-level ones
            name = "chars" if self.config.units == "words" else "bigrams"
            inputs = inputs._replace(**{name: self._unk_dropout(getattr(inputs, name))})
        logits = net(inputs)
        choices = self.choices.to(logits.device) if self.choices is not None else None
        if getattr(self.model_config, "crf", False):  # the CRF's parameters live on the model, outside a DDP wrapper's forward
            return getattr(net, "module", net).crf_loss(logits, batch.tags, choices), batch.num_chars
        if choices is not None:
            from .partial import softmax_loss
            return softmax_loss(logits, batch.tags, choices), batch.num_chars
        return loss_fn(logits.reshape(-1, logits.shape[-1]), batch.tags.reshape(-1)), batch.num_chars

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
                loss, count = self._batch_loss(model, data, ids, loss_fn)
                total += loss.item() * count
                chars += count
        return total / max(chars, 1)

    def _epoch_score(self, tagger: Tagger, dev: Mapping[str | None, Sequence[Sample]], dev_data: list,
                     loss_fn) -> Score:
        """The epoch's dev loss and P/R/F1 (per corpus too, for several), as the loop keeps them."""
        if not dev:
            nan = float("nan")
            return Score(None, dict(dev_loss=nan, dev_precision=nan, dev_recall=nan, dev_f1=nan),
                         "(final model: no dev)")
        dev_loss = self._loss(tagger.model, dev_data, loss_fn)
        score = self._dev_score(tagger, dev)
        fields = dict(dev_loss=dev_loss, dev_precision=score.precision, dev_recall=score.recall, dev_f1=score.f1)
        text = f"dev loss {dev_loss:.4f}  dev P {score.precision:.4f} R {score.recall:.4f} F1 {score.f1:.4f}"
        if None not in dev:  # several corpora
            fields.update({f"dev_f1_{name}": f1 for name, f1 in score.per_corpus.items()})
            text += " (" + ", ".join(f"{n} {f1:.4f}" for n, f1 in score.per_corpus.items()) + ")"
        return Score(score.f1, fields, text)

    @staticmethod
    def _dev_score(tagger: Tagger, dev: Mapping[str | None, Sequence[Sample]],
                   standard: str | None = None) -> DevScore:
        """Dev P/R/F1: a corpus's own score, or the mean over several corpora, each read with
        its own standard unless `standard` is given."""
        tagger.model.eval()
        scores = {}
        for name, samples in dev.items():
            predicted = tagger.label_texts([s.text for s in samples], standard=standard or name)
            scores[name] = tagger.task.score(samples, predicted)
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
