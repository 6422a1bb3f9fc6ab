"""Fine-tuning a trained model on a (small) annotated corpus: `tagger train CORPUS --init MODEL`.

The model's weights, encoder and standards are kept; training continues from them on the new
corpus, with a share of the model's own training data replayed so it does not forget them.

- Vocabularies are extended with the corpus's new characters and bigrams. A new row starts as
  a copy of the table's <unk> row: until then the model read exactly that row for these unseen
  strings, so the extended model segments every text as before and training moves only what
  the corpus teaches. (Means of other rows would shift outputs the model never learned to read.)
- Dictionary features: where the model's dictionary held its own training words, the corpus's
  words join it by the same rule (jackknifed while training; extend_dictionary).
- Standards: a multi-criteria model keeps all of its own. The corpus becomes a new standard
  (`--standard NAME`, a name the model lacks: its marker starts as a copy of the marker of the
  standard that reads the corpus best) or trains an existing one (`--standard pku`); without
  --standard, the model's default standard. A one-corpus model has no standards: it simply
  learns the corpus.
- No harm by default: when another standard than the default trains, the default standard's
  outputs are held to the model's own (a divergence term, and replayed sentences with the
  model's own labels), and no epoch is kept whose default standard loses more than
  `max_harm` F1 on the dev sentences of the model's own corpora (tagger/replay.py).
- Tags: tags the model lacks (a POS tag set with a new tag) get new output rows, zero weights
  and a low bias, so they are not predicted until learned.
- The recipe (FineTuneConfig) was measured on dev data (docs/training.md): a lower learning
  rate than training from scratch, few epochs, early stopping on the corpus's dev split, and
  one replayed sentence of the original training corpora per corpus sentence each epoch.
"""
from __future__ import annotations

import copy
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Sequence

from .errors import TaggerError
from .replay import guard_sets, replay_samples, samples_of
from .trainconfig import LoopConfig
from .tasks import Sample
from .vocab import Vocab, bigrams, normalize


@dataclass
class FineTuneConfig(LoopConfig):
    """The fine-tuning recipe on top of the training loop's settings (tagger/trainconfig.py)."""
    lr: float = 1e-3
    epochs: int = 30
    patience: int = 6
    batch_chars: int = 1500
    lr_decay: float = 1.0        # no decay
    replay: float = 1.0          # replayed original sentences per corpus sentence, each epoch (0: none)
    anchor: float = 1.0          # weight of holding the default standard's outputs (0: not held)
    dictionary: bool = True      # the corpus's words join the dictionary features (by the model's rule)
    max_harm: float = 0.005      # most F1 the default standard may lose on its corpora's dev (the guard)

    def line(self, sources: str) -> str:
        replay = f"replay {self.replay:g} x the corpus from {sources} each epoch" if self.replay and sources \
            else "no replay"
        anchor = (f"; another standard than the default one holds the default's outputs (weight {self.anchor:g}) "
                  f"and keeps no epoch where the default loses over {self.max_harm:g} F1 on its corpora's dev") \
            if self.anchor else ""
        words = "; the corpus's words join the dictionary features (jackknifed)" if self.dictionary else ""
        return (f"fine-tuning recipe: lr {self.lr:g}, at most {self.epochs} epochs, patience {self.patience}, "
                f"{replay}; new characters and bigrams start as <unk>{words}{anchor}")


def extended_vocab(vocab: Vocab, items: Iterable[str]) -> tuple[Vocab, int]:
    """(the vocabulary with the new items appended, in first-seen order; how many were new):
    old ids keep their meaning."""
    known = vocab.stoi
    new = list(dict.fromkeys(i for i in items if i not in known))
    return Vocab(vocab.itos[2:] + new), len(new)


TABLES = {"chars": ("char_embed", "char_vocab"), "bigrams": ("bigram_embed", "bigram_vocab")}  # vocab: (table, size)


class FineTuner:
    """Fine-tunes one loaded model (a torch-engine Tagger) in place; see the module docstring."""

    def __init__(self, tagger, config: FineTuneConfig, log: Callable[[str], None] | None = None):
        self.tagger = tagger
        self.config = config
        for table in ("char_embed", "bigram_embed"):  # a file's float16 tables train in float32
            if getattr(tagger.model, table, None) is not None:
                getattr(tagger.model, table).float()
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.started_from: str | None = None  # the standard a new standard's marker was copied from
        self.teacher = None  # the model as it was, while its default standard is held (fit)

    # -- the model grown to fit the corpus ----------------------------------------------
    def standard_for(self, standard: str | None, samples: Sequence[Sample] = ()) -> str | None:
        """The standard the corpus trains: a new one is added to the encoder, its marker a copy
        of the marker of the model's standard closest to the corpus (closest_standard), else of
        the default standard's."""
        encoder = self.tagger.encoder
        if not encoder.standards:
            if standard:
                raise TaggerError(f"--standard {standard}: this model was trained on one corpus and has no standards")
            return None
        if standard is None or standard in encoder.standards:
            return encoder.standard_of(standard)
        if self.tagger.model.config.standard_embedding:
            raise TaggerError(f"--standard {standard}: a model with a standard embedding (--standard-dim) can "
                              f"only fine-tune one of its standards ({', '.join(encoder.standards)})")
        start = self.closest_standard(samples) if samples else encoder.default_standard
        encoder.standards = (*encoder.standards, standard)
        self.grow("chars", [encoder.marker(standard)], encoder.chars.stoi[encoder.marker(start)])
        self.started_from = start
        return standard

    def closest_standard(self, samples: Sequence[Sample], most: int = 500) -> str:
        """The model's standard whose output scores best on (up to `most` of) the corpus's
        sentences. A new standard starts from it: a corpus is seldom as far from every standard
        as from the default (the shipped model reads CTB6 at F1 0.945 with its weibo standard and
        0.883 with its default), and training then has only the difference left to learn."""
        encoder = self.tagger.encoder
        chosen = list(samples[:most])
        scores = {name: self._dev_f1(chosen, name) for name in encoder.standards}
        best = max(scores, key=lambda name: (scores[name], name == encoder.default_standard))
        self.log("the corpus read with each standard: " + ", ".join(f"{n} {f:.4f}" for n, f in scores.items())
                 + f"; the new standard starts from {best}")
        return best

    def extend(self, samples: Sequence[Sample], standard: str | None) -> tuple[int, int]:
        """Grow the character and bigram tables by the corpus's new items; (chars, bigrams) added."""
        encoder = self.tagger.encoder
        # normalized, without known_marks' stand-ins: a bracket new to the model joins the vocabulary
        seen = [encoder.wrap(normalize(s.text, encoder.classes), standard) for s in samples]
        added_chars = self.grow("chars", (c for text in seen for c in text))
        added_bigrams = self.grow("bigrams", (b for t in seen for b in bigrams(t))) if encoder.bigrams is not None else 0
        return added_chars, added_bigrams

    def grow(self, kind: str, tokens: Iterable[str], fill_row: int = 1, rows=None) -> int:
        """Append the tokens the vocabulary `kind` ("chars" or "bigrams") lacks, in first-seen
        order, and as many rows to its embedding table: `rows` (one per new token, in that
        order) where given, else copies of row `fill_row` (<unk>); how many were new."""
        import torch
        encoder, model = self.tagger.encoder, self.tagger.model
        embed_name, size_name = TABLES[kind]
        vocab, added = extended_vocab(getattr(encoder, kind), tokens)
        if added:
            embed = getattr(model, embed_name)
            extra = torch.as_tensor(rows) if rows is not None else embed.weight.data[fill_row:fill_row + 1].expand(added, -1)
            embed.weight = _parameter(torch.cat([embed.weight.data, extra.to(embed.weight.dtype)], dim=0))
            embed.num_embeddings = len(vocab)
            setattr(model.config, size_name, len(vocab))
        setattr(encoder, kind, vocab)
        encoder.forget_lookups()
        return added

    def extend_dictionary(self, samples: Sequence[Sample], folds: int = 5) -> list | None:
        """The corpus's words join the model's dictionary features, by the rule its training
        used for its own words: where the model's dictionary held its training words
        (`--dictionary ...,train`), the model gets the corpus's words too, and each training
        sentence reads a jackknifed dictionary without its own fold's words (dictionary.jackknife),
        so the network keeps weighing a match against the context. The per-sentence fold
        dictionaries, or None where the rule does not apply (no dictionary, no words to add)."""
        from .dictionary import Dictionary, jackknife
        tagger = self.tagger
        dictionary = tagger.encoder.dictionary
        sources = str(tagger.metadata.get("train_config", {}).get("dictionary", ""))
        if dictionary is None or not tagger.task.segments or "train" not in sources.split(","):
            return None
        sentences = [sample.words for sample in samples]
        held = dictionary.words
        tagger.encoder.dictionary = Dictionary(held | {normalize(w, dictionary.classes) for s in sentences for w in s},
                                               dictionary.max_len, dictionary.classes)
        tagger.encoder._tables = None
        tagger.set_lexicon(tagger.lexicon | {w for s in sentences for w in s})
        return jackknife(sentences, sorted(held), folds, dictionary.max_len, dictionary.classes)

    def extend_tags(self, tags: Sequence[str]) -> int:
        """Add output rows for tags the model lacks; how many."""
        import torch
        new = [t for t in tags if t not in self.tagger.tags]
        if new:
            output = self.tagger.model.output
            weight = torch.cat([output.weight.data, torch.zeros(len(new), output.weight.shape[1])])
            bias = torch.cat([output.bias.data, torch.full((len(new),), float(output.bias.data.min()) - 2.0)])
            output.weight, output.bias = _parameter(weight), _parameter(bias)
            output.out_features = len(weight)
            self.tagger.model.config.num_tags = len(weight)
            from .decode import Decoder
            self.tagger.tags = (*self.tagger.tags, *new)
            self.tagger.decoder = Decoder(self.tagger.tags, self.tagger.task.scheme)
        return len(new)

    # -- training -------------------------------------------------------------------------
    def fit(self, train: Sequence[Sample], dev: Sequence[Sample], standard: str | None,
            replay: Sequence[tuple[Sample, str | None]] = (), fold_dictionaries: Sequence | None = None,
            guard: Mapping[str, Sequence[Sample]] | None = None) -> dict:
        """Train on `train` (read with `standard`) plus each epoch's replayed sentences, keep the
        epoch with the best dev F1 (the unchanged model is epoch 0; without dev, the last
        epoch), by the epochs of tagger/loop.py; a summary for the metadata.

        guard: {corpus: dev sentences} of the model's own corpora. An epoch whose default
        standard loses more than config.max_harm of F1 on any of them (against epoch 0) is
        never kept: "no harm by default", checked on dev data while training."""
        from torch import nn

        from .loop import Epoch, Loop, Score, seeded
        cfg, model = self.config, self.tagger.model
        rng = seeded(cfg)
        anchor = self.anchor_standard(standard)
        data = self._encode([(s, standard) for s in train], anchor, fold_dictionaries)
        replay_data = self._encode(list(replay), anchor) if replay else []
        self.teacher = _frozen(model) if anchor is not None else None
        if self.teacher is not None:
            self.log(f"the default standard ({anchor}) is held to the model's own outputs (weight {cfg.anchor:g})")
        loop = Loop(cfg, model, rng, self.log)
        loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
        guard = guard or {}
        baseline = {name: self._dev_f1(samples, None) for name, samples in guard.items()}
        if dev:
            loop.state.update(best_f1=self._dev_f1(dev, standard), best_state=copy.deepcopy(model.state_dict()))
            self.log(f"epoch  0  dev F1 {loop.state['best_f1']:.4f} (the model as it was)")
        elif guard:  # no dev text: the latest epoch within the bound is kept, else the model as it was
            loop.state.update(best_f1=0.0, best_state=copy.deepcopy(model.state_dict()))
        scored = [0]

        def work(epoch: int) -> Epoch:
            items = data + rng.sample(replay_data, min(len(replay_data), round(cfg.replay * len(data))))
            return Epoch([len(d[0][0]) for d in items], lambda ids: self._batch_loss(items, ids, loss_fn))

        def score() -> Score:
            scored[0] += 1
            f1 = self._dev_f1(dev, standard) if dev else None
            if not guard:
                return Score(f1, {"dev_f1": f1}, f"dev F1 {f1:.4f}") if dev else \
                    Score(None, {"dev_f1": None}, "(no dev text)")
            harm = max(baseline[name] - self._dev_f1(samples, None) for name, samples in guard.items())
            kept = harm <= cfg.max_harm
            key = (f1 if dev else float(scored[0])) if kept else 0.0  # what the loop keeps the best of
            return Score(key, {"dev_f1": f1, "default_standard_loss": round(harm, 4)},
                         (f"dev F1 {f1:.4f}, " if dev else "") + f"default standard {-harm:+.4f} on its corpora's dev"
                         + ("" if kept else f" (more than {cfg.max_harm:g} lost: not kept)"))

        loop.run(work, score)
        best_epoch = loop.state["best_epoch"]
        if dev:
            self.log(f"best dev F1 {loop.best_f1:.4f} at epoch {best_epoch}")
        elif guard:
            self.log(f"kept epoch {best_epoch}" + (" (the model as it was)" if best_epoch == 0 else ""))
        return {"best_epoch": best_epoch, "dev_f1": loop.best_f1 if dev else None, "minutes": round(loop.minutes(), 2)}

    def anchor_standard(self, standard: str | None) -> str | None:
        """The standard whose outputs fine-tuning holds in place: the default one, when the
        corpus trains another standard of a multi-criteria model (so the default's outputs, which
        users get, change only as little as the shared weights must) and the anchor is on
        (config.anchor > 0), else None."""
        encoder = self.tagger.encoder
        if not encoder.standards or self.tagger.model.config.crf or self.config.anchor <= 0:
            return None
        default = encoder.default_standard
        return default if standard != default else None

    def _encode(self, items: Sequence[tuple[Sample, str | None]], anchor: str | None = None,
                fold_dictionaries: Sequence | None = None) -> list:
        """(inputs, tags, the same text's inputs read with the `anchor` standard or None) of each
        item; item i reads fold i's dictionary where fold dictionaries are given."""
        from .dictionary import fold_of
        encoder, task = self.tagger.encoder, self.tagger.task
        index = {t: i for i, t in enumerate(self.tagger.tags)}
        marker = [index[task.scheme.filler]] * encoder.margin if encoder.margin else []
        folds = len(fold_dictionaries) if fold_dictionaries else 0
        out = []
        for i, (sample, standard) in enumerate(items):
            dictionary = fold_dictionaries[fold_of(i, folds)] if folds else None
            inputs = encoder.encode(sample.text, dictionary, standard)
            held = inputs if anchor is None or anchor == standard else encoder.encode(sample.text, dictionary, anchor)
            out.append((inputs, marker + [index[t] for t in task.tags(sample)] + marker,
                        held if anchor is not None else None))
        return out

    def _batch_loss(self, data, ids, loss_fn):
        """The step function: (the mean loss of the sentences `ids` of `data`, their characters).
        With an anchor, the loss adds the divergence of the model's tag distributions from the
        model before fine-tuning on the same sentences read with the default standard
        (learning without forgetting, Li & Hoiem 2016)."""
        from .encode import collate
        model = self.tagger.model
        batch = collate([data[i][0] for i in ids], [data[i][1] for i in ids])
        logits = model(batch.inputs)
        if model.config.crf:
            return model.crf_loss(logits, batch.tags), batch.num_chars
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), batch.tags.reshape(-1))
        if self.teacher is not None:
            loss = loss + self.config.anchor * self._anchor_loss(collate([data[i][2] for i in ids], [data[i][1] for i in ids]))
        return loss, batch.num_chars

    def _anchor_loss(self, batch):
        """Mean KL divergence, over real positions, from the frozen model's tag distribution to the model's."""
        import torch
        from torch.nn import functional as F
        with torch.no_grad():
            target = F.log_softmax(self.teacher(batch.inputs).float(), dim=-1)
        log_probs = F.log_softmax(self.tagger.model(batch.inputs).float(), dim=-1)
        per_position = F.kl_div(log_probs, target, log_target=True, reduction="none").sum(-1)
        real = (batch.tags != -100).float()
        return (per_position * real).sum() / real.sum().clamp(min=1.0)

    def _dev_f1(self, dev: Sequence[Sample], standard: str | None) -> float:
        if not dev:
            return 0.0
        predicted = self.tagger.label_texts([s.text for s in dev], standard=standard)
        return self.tagger.task.score(dev, predicted).f1


def _frozen(model):
    """A copy of the model as it is, in eval mode and without gradients: the anchor's reference."""
    teacher = copy.deepcopy(model).eval()
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    return teacher


def _parameter(tensor):
    from torch import nn
    return nn.Parameter(tensor.contiguous())


def fine_tune(init, train_items: Iterable, dev_items: Iterable | None, standard: str | None = None,
              config: FineTuneConfig | None = None, corpus: str = "", log: Callable[[str], None] | None = None,
              init_name: str | None = None, replay_corpora: Mapping[str | None, Iterable] | None = None):
    """Fine-tune the model `init` (a file, a shipped name or a loaded torch-engine Tagger) on a
    corpus's items (what its reader gives) and return the fine-tuned Tagger. dev_items: for
    early stopping; None carves every 20th sentence of the corpus (as `tagger train` does).
    replay_corpora: the original training data to replay, {standard or None: items} (default:
    the model's own corpora, where they are registered corpora here)."""
    from .corpora import is_dev_index
    config = config or FineTuneConfig()
    if isinstance(init, str) or hasattr(init, "__fspath__"):
        from .modelio import load_model, resolve
        init_name, init = str(init), load_model(resolve(init))
    else:
        init_name = init_name or str(init.metadata.get("corpus", "a loaded model"))
    if config.threads:
        import torch
        torch.set_num_threads(config.threads)
    tuner = FineTuner(init, config, log)
    log = tuner.log
    samples = samples_of(train_items, init.task)
    if dev_items is None:
        dev = [s for i, s in enumerate(samples) if is_dev_index(i)]
        samples = [s for i, s in enumerate(samples) if not is_dev_index(i)]
    else:
        dev = samples_of(dev_items, init.task)
    if not samples:
        raise TaggerError("the fine-tuning corpus has no sentences")
    standard = tuner.standard_for(standard, samples)
    tuner.extend_tags(init.task.tag_set(samples + dev))
    chars, bigram_count = tuner.extend(samples + dev, standard)
    fold_dictionaries = tuner.extend_dictionary(samples) if config.dictionary else None
    hold = tuner.anchor_standard(standard) is not None
    replay, sources = replay_samples(init, round(config.replay * len(samples)) * 4, config.seed, log,
                                     replay_corpora, hold_default=hold) if config.replay > 0 else ([], "")
    guard = guard_sets(init, config.seed, log) if hold and replay_corpora is None else {}
    log(config.line(sources))
    log(f"fine-tuning on {len(samples)} sentences, dev {len(dev)}; {chars} new characters, "
        f"{bigram_count} new bigrams" + (f"; standard {standard}" if standard else ""))
    summary = tuner.fit(samples, dev, standard, replay, fold_dictionaries, guard)
    init.metadata["fine_tuned"] = {
        "from": init_name, "corpus": corpus, "standard": standard, "sentences": len(samples),
        "new_chars": chars, "new_bigrams": bigram_count, "replay_from": sources,
        "dictionary_words_added": fold_dictionaries is not None,
        "new_standard_started_from": tuner.started_from,
        "default_standard_checked_on": sorted(guard),
        "recipe": {**asdict(config), "line": config.line(sources)}, **summary,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if standard and init.encoder.standards:
        init.metadata["standards"] = list(init.encoder.standards)
    return init
