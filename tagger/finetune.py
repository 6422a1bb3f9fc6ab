"""Fine-tuning a trained model on a (small) annotated corpus: `tagger train CORPUS --init MODEL`.

The model's weights, encoder and standards are kept; training continues from them on the new
corpus, with a share of the model's own training data replayed so it does not forget them.

- Vocabularies are extended with the corpus's new characters and bigrams. A new row starts as
  a copy of the table's <unk> row: until then the model read exactly that row for these unseen
  strings, so the extended model segments every text as before and training moves only what
  the corpus teaches. (Means of other rows would shift outputs the model never learned to read.)
- Standards: a multi-criteria model keeps all of its own. The corpus becomes a new standard
  (`--standard NAME`, a name the model lacks: its marker starts as a copy of the default
  standard's marker) or trains an existing one (`--standard pku`); without --standard, the
  model's default standard. A one-corpus model has no standards: it simply learns the corpus.
- Tags: tags the model lacks (a POS tag set with a new tag) get new output rows, zero weights
  and a low bias, so they are not predicted until learned.
- The recipe (FineTuneConfig) was measured on dev data (docs/training.md): a lower learning
  rate than training from scratch, few epochs, early stopping on the corpus's dev split, and
  one replayed sentence of the original training corpora per corpus sentence each epoch.
"""
from __future__ import annotations

import copy
import random
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Sequence

from .errors import TaggerError
from .trainconfig import LoopConfig
from .tasks import Sample, Task
from .vocab import Vocab, bigrams, normalize


DEFAULT_REPLAY = 3  # every third replayed sentence is read with the mixed standard, where that is the default


@dataclass
class FineTuneConfig(LoopConfig):
    """The fine-tuning recipe on top of the training loop's settings (tagger/trainconfig.py)."""
    lr: float = 3e-3
    patience: int = 3
    batch_chars: int = 1500
    lr_decay: float = 1.0        # no decay
    replay: float = 1.0          # replayed original sentences per corpus sentence, each epoch (0: none)

    def line(self, sources: str) -> str:
        replay = f"replay {self.replay:g} x the corpus from {sources} each epoch" if self.replay and sources \
            else "no replay"
        return (f"fine-tuning recipe: lr {self.lr:g}, at most {self.epochs} epochs, patience {self.patience}, "
                f"{replay}; new characters and bigrams start as <unk>")


def extended_vocab(vocab: Vocab, items: Iterable[str]) -> tuple[Vocab, int]:
    """(the vocabulary with the new items appended, in first-seen order; how many were new):
    old ids keep their meaning."""
    known = vocab.stoi
    new = list(dict.fromkeys(i for i in items if i not in known))
    return Vocab(vocab.itos[2:] + new), len(new)


def _grown(weight, rows: int, fill_row: int):
    """A copy of an embedding weight with `rows` more rows, each a copy of row `fill_row`."""
    import torch
    extra = weight[fill_row:fill_row + 1].expand(rows, -1)
    return torch.cat([weight, extra.to(weight.dtype)], dim=0)


class FineTuner:
    """Fine-tunes one loaded model (a torch-engine Tagger) in place; see the module docstring."""

    def __init__(self, tagger, config: FineTuneConfig, log: Callable[[str], None] | None = None):
        self.tagger = tagger
        self.config = config
        for table in ("char_embed", "bigram_embed"):  # a file's float16 tables train in float32
            if getattr(tagger.model, table, None) is not None:
                getattr(tagger.model, table).float()
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))

    # -- the model grown to fit the corpus ----------------------------------------------
    def standard_for(self, standard: str | None) -> str | None:
        """The standard the corpus trains: a new one is added to the encoder (and its marker)."""
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
        default_marker = encoder.chars.stoi[encoder.marker(encoder.default_standard)]
        encoder.standards = (*encoder.standards, standard)
        self._grow_chars([encoder.marker(standard)], default_marker)
        return standard

    def extend(self, samples: Sequence[Sample], standard: str | None) -> tuple[int, int]:
        """Grow the character and bigram tables by the corpus's new items; (chars, bigrams) added."""
        encoder = self.tagger.encoder
        seen = [encoder.wrap(normalize(s.text, encoder.classes), standard) for s in samples]
        added_chars = self._grow_chars((c for text in seen for c in text), 1)
        added_bigrams = 0
        if encoder.bigrams is not None:
            encoder.bigrams, added_bigrams = extended_vocab(encoder.bigrams, (b for t in seen for b in bigrams(t)))
            if added_bigrams:
                embed = self.tagger.model.bigram_embed
                embed.weight = _parameter(_grown(embed.weight.data, added_bigrams, 1))
                embed.num_embeddings = len(encoder.bigrams)
                self.tagger.model.config.bigram_vocab = len(encoder.bigrams)
        encoder._tables = None  # encode_batch's lookup tables are rebuilt for the new ids
        return added_chars, added_bigrams

    def _grow_chars(self, chars: Iterable[str], fill_row: int) -> int:
        encoder, model = self.tagger.encoder, self.tagger.model
        encoder.chars, added = extended_vocab(encoder.chars, chars)
        if added:
            model.char_embed.weight = _parameter(_grown(model.char_embed.weight.data, added, fill_row))
            model.char_embed.num_embeddings = len(encoder.chars)
            model.config.char_vocab = len(encoder.chars)
        encoder._tables = None
        return added

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
            replay: Sequence[tuple[Sample, str | None]] = ()) -> dict:
        """Train on `train` (read with `standard`) plus each epoch's replayed sentences, keep the
        epoch with the best dev F1 (the unchanged model is epoch 0; without dev, the last
        epoch), by the epochs of tagger/loop.py; a summary for the metadata."""
        from torch import nn

        from .loop import Epoch, Loop, Score, seeded
        cfg, model = self.config, self.tagger.model
        rng = seeded(cfg)
        data = self._encode([(s, standard) for s in train])
        replay_data = self._encode(list(replay)) if replay else []
        loop = Loop(cfg, model, rng, self.log)
        loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
        if dev:
            loop.state.update(best_f1=self._dev_f1(dev, standard), best_state=copy.deepcopy(model.state_dict()))
            self.log(f"epoch  0  dev F1 {loop.state['best_f1']:.4f} (the model as it was)")

        def work(epoch: int) -> Epoch:
            items = data + rng.sample(replay_data, min(len(replay_data), round(cfg.replay * len(data))))
            return Epoch([len(d[0][0]) for d in items], lambda ids: self._batch_loss(items, ids, loss_fn))

        def score() -> Score:
            if not dev:
                return Score(None, {"dev_f1": None}, "(no dev text)")
            f1 = self._dev_f1(dev, standard)
            return Score(f1, {"dev_f1": f1}, f"dev F1 {f1:.4f}")

        loop.run(work, score)
        if loop.best_f1 is not None:
            self.log(f"best dev F1 {loop.best_f1:.4f} at epoch {loop.state['best_epoch']}")
        return {"best_epoch": loop.state["best_epoch"], "dev_f1": loop.best_f1, "minutes": round(loop.minutes(), 2)}

    def _encode(self, items: Sequence[tuple[Sample, str | None]]) -> list:
        encoder, task = self.tagger.encoder, self.tagger.task
        index = {t: i for i, t in enumerate(self.tagger.tags)}
        marker = [index[task.scheme.filler]] * encoder.margin if encoder.margin else []
        return [(encoder.encode(s.text, None, standard), marker + [index[t] for t in task.tags(s)] + marker)
                for s, standard in items]

    def _batch_loss(self, data, ids, loss_fn):
        """The step function: (the mean loss of the sentences `ids` of `data`, their characters)."""
        from .encode import collate
        model = self.tagger.model
        batch = collate([data[i][0] for i in ids], [data[i][1] for i in ids])
        logits = model(batch.inputs)
        if model.config.crf:
            return model.crf_loss(logits, batch.tags), batch.num_chars
        return loss_fn(logits.reshape(-1, logits.shape[-1]), batch.tags.reshape(-1)), batch.num_chars

    def _dev_f1(self, dev: Sequence[Sample], standard: str | None) -> float:
        if not dev:
            return 0.0
        predicted = self.tagger.label_texts([s.text for s in dev], standard=standard)
        return self.tagger.task.score(dev, predicted).f1


def _parameter(tensor):
    from torch import nn
    return nn.Parameter(tensor.contiguous())


def samples_of(items: Iterable, task: Task) -> list[Sample]:
    """Samples of a corpus's items, long segmented paragraphs cut at sentence ends (as training does)."""
    from .trainset import prepare
    return prepare(items, task)


def replay_samples(tagger, count: int, seed: int, log: Callable[[str], None],
                   corpora: Mapping[str | None, Iterable] | None = None) -> tuple[list, str]:
    """Up to `count` sentences of the model's own training data, each with its standard;
    (sentences, where they come from). `corpora`: {standard or None: items} given by the
    caller; by default the corpora named in the model's metadata that are registered here."""
    from .corpora import corpus_list, get_corpus, is_name, read_part
    from .trainset import MIXED
    if corpora is None:
        spec = str(tagger.metadata.get("corpus", ""))
        names = [n for n in (corpus_list(spec) or [spec]) if n and is_name(n)]
        corpora = {name: _lazy(lambda name=name: read_part(get_corpus(name).train, task=tagger.task.name))
                   for name in names}
    if not corpora or count <= 0:
        return [], ""
    rng = random.Random(seed)
    standards = set(tagger.encoder.standards)
    per_corpus = max(1, count // len(corpora))
    out = []
    for name, items in corpora.items():
        try:
            samples = samples_of(items, tagger.task)
        except (TaggerError, OSError) as error:
            log(f"replay: {name} left out ({error})")
            continue
        standard = name if name in standards else None
        shared = MIXED if tagger.encoder.default_standard == MIXED else None  # trained on every corpus's sentences
        for k, sample in enumerate(rng.sample(samples, min(per_corpus, len(samples)))):
            # a default standard shared by all the corpora (mixed) is replayed too, or it drifts
            out.append((sample, shared if shared is not None and k % DEFAULT_REPLAY == 0 else standard))
    return out, ",".join(str(name) for name in corpora)


def _lazy(read: Callable[[], Iterable]) -> Iterable:
    """An iterable that opens its corpus only when iterated (a missing corpus fails there)."""
    yield from read()


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
    standard = tuner.standard_for(standard)
    tuner.extend_tags(init.task.tag_set(samples + dev))
    chars, bigram_count = tuner.extend(samples + dev, standard)
    replay, sources = replay_samples(init, round(config.replay * len(samples)) * 4, config.seed, log,
                                     replay_corpora) if config.replay > 0 else ([], "")
    log(config.line(sources))
    log(f"fine-tuning on {len(samples)} sentences, dev {len(dev)}; {chars} new characters, "
        f"{bigram_count} new bigrams" + (f"; standard {standard}" if standard else ""))
    summary = tuner.fit(samples, dev, standard, replay)
    init.metadata["fine_tuned"] = {
        "from": init_name, "corpus": corpus, "standard": standard, "sentences": len(samples),
        "new_chars": chars, "new_bigrams": bigram_count, "replay_from": sources,
        "recipe": {**asdict(config), "line": config.line(sources)}, **summary,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if standard and init.encoder.standards:
        init.metadata["standards"] = list(init.encoder.standards)
    return init
