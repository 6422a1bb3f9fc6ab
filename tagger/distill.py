"""Knowledge distillation: a small, fast student learns a teacher's per-character tag distributions.

    tagger distill TEACHER [TEACHER ...] -o fast.model [CORPUS or raw text ...]

The student reads text exactly as the teacher does: it takes the teacher's encoder (character
and bigram vocabularies, dictionary features, the markers of a multi-criteria model's
standards), so every standard carries over and the student is an ordinary model file. Only the
network is smaller: by default an iterated dilated CNN (tagger/idcnn.py), parallel over time,
or a narrower BiLSTM (`--network bilstm`).

What it learns from:
- the teacher's training text: the corpora named in its metadata (`corpus`), read and cut into
  sentences as `tagger train` did, train parts only (dev splits score the student, test text is
  never read);
- any further sources: a corpus name (labeled; its standard if the teacher has it) or a file of
  raw text (one text a line; its whitespace separates chunks).

Each training sentence is read with a standard, and the target is the teacher's distribution
under that standard: a multi-criteria teacher's corpus sentences are read with their own
standard and with the default one (usually `mixed`), one of the two drawn at random each epoch
(`mixed_share`), raw text with the default. Dictionary features of the teacher's own training
sentences come from the jackknifed dictionaries its training used (the words of the other folds),
so the student sees the teacher react to a dictionary as imperfect as on new text. Several
teachers (trained alike: one encoder) are averaged, as `tagger.ensemble` does.

Loss: the soft cross-entropy to the teacher's probabilities at every step (its KL divergence
up to a constant), optionally mixed with the gold tags of labeled sentences (`gold_weight`).
Epochs, length-grouped batches, Adam, clipping, the learning-rate decay on a dev plateau, early
stopping and the time budget are tagger/loop.py's, as for `tagger train`, and so are its rules;
the dev F1 is the mean, over the teacher's corpora, of the F1 under each corpus's own standard
and under the default standard.
"""
from __future__ import annotations

import copy
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence


from . import networks
from .encode import Inputs
from .errors import TaggerError
from .teacher import Store, load_teachers, read_labeled, read_raw_texts, teacher_passes
from .trainconfig import LoopConfig

NETWORKS = tuple(sorted(networks.NETWORKS, reverse=True))  # the command line's student choices: idcnn (default), bilstm


@dataclass
class DistillConfig(LoopConfig):
    """The student's settings on top of the training loop's (tagger/trainconfig.py)."""
    epochs: int = 30
    network: str = "idcnn"        # idcnn (tagger/idcnn.py) or bilstm (model.py)
    char_dim: int = 32
    bigram_dim: int = 16
    channels: int = 64            # idcnn: convolution width
    dilations: list = field(default_factory=lambda: [1, 2, 4])
    iterations: int = 1           # idcnn: the dilated block applied this many times
    context: bool = True          # idcnn: a vector of the whole text added at every step
    hidden: int = 64              # bilstm: units per direction
    dictionary: bool = True       # keep the teacher's dictionary features
    dropout: float = 0.1
    gold_weight: float = 0.0      # share of the loss from gold tags (labeled sentences, own standard)
    mixed_share: float = 0.5      # multi-criteria teacher: chance a sentence is read with the default standard
    teacher_corpora: bool = True  # learn from the teacher's training corpora (its metadata's `corpus`)
    init_from_teacher: bool = True  # start the embeddings from the teacher's, reduced by PCA
    cache: str | None = None      # an .npz file keeping the teacher pass for later runs with other students
    half: bool = True             # store the weights as float16


# -- the student ----------------------------------------------------------------------------
def build_student(config: DistillConfig, encoder, num_tags: int):
    chars, bigram_vocab = len(encoder.chars), len(encoder.bigrams) if encoder.bigrams is not None else 0
    bits = encoder.dictionary.bits if encoder.dictionary is not None else 0
    bigram_dim = config.bigram_dim if encoder.bigrams is not None else 0
    network = networks.get(config.network)
    # the student's settings, each taken by the networks that have it (configs.SavedConfig.from_dict)
    settings = network.config(dict(
        char_dim=config.char_dim, bigram_dim=bigram_dim, num_tags=num_tags, char_vocab=chars,
        bigram_vocab=bigram_vocab, dictionary_bits=bits, dropout=config.dropout, embed_dropout=config.dropout,
        lstm_dropout=config.dropout, hidden=config.hidden, channels=config.channels,
        dilations=list(config.dilations), iterations=config.iterations, context=config.context,
        marker_ids=encoder.marker_ids()))
    return network.torch_class()(settings)


def _pca_init(student_table, teacher_table) -> bool:
    """Start a student embedding from the teacher's, projected on its top principal directions and
    scaled to unit variance (row 0, padding, stays zero). False when the shapes do not allow it."""
    import torch
    source = teacher_table.weight.detach().float()
    target = student_table.weight
    if source.shape[0] != target.shape[0] or target.shape[1] > source.shape[1]:
        return False
    centered = source - source[1:].mean(0, keepdim=True)
    _, _, v = torch.linalg.svd(centered[1:], full_matrices=False)
    projected = centered @ v[:target.shape[1]].T
    projected = projected / projected[1:].std(0, keepdim=True).clamp_min(1e-6)
    with torch.no_grad():
        target.copy_(projected)
        target[0] = 0
    return True


def _soft_loss(logits, probs, gold, mask, gold_weight: float):
    import torch
    logq = torch.log_softmax(logits.float(), -1)
    steps = mask.sum().clamp(min=1)
    loss = -(probs * logq).sum(-1).mul(mask).sum() / steps
    if gold_weight > 0 and (gold >= 0).any():
        hard = torch.nn.functional.nll_loss(logq.reshape(-1, logq.shape[-1]), gold.reshape(-1), ignore_index=-100)
        loss = (1 - gold_weight) * loss + gold_weight * hard
    return loss


def _dev_score(student_tagger, dev: dict, default: str | None):
    """The epoch's score: the mean of the dev word F1s of each corpus under its own standard and
    under the default standard; none without dev text."""
    from .loop import Score
    if not dev:
        return Score(None, {"dev_f1": None}, "(no dev text)")
    scores = _dev_f1(student_tagger, dev, default)
    mean = sum(scores.values()) / len(scores)
    return Score(mean, {"dev_f1": mean, **scores},
                 f"dev F1 {mean:.4f} (" + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()) + ")")


def _dev_f1(student_tagger, dev: dict, default: str | None) -> dict:
    """Dev word F1 per corpus under its own standard and under the default standard."""
    from .metrics import score
    out = {}
    standards = set(student_tagger.encoder.standards)
    for name, samples in dev.items():
        texts, gold = [s.text for s in samples], [s.words for s in samples]
        own = name if name in standards else None
        out[name] = score(gold, student_tagger.segment_lines(texts, standard=own)).f1
        if standards and own != default:
            out[f"{name}@{default}"] = score(gold, student_tagger.segment_lines(texts, standard=default)).f1
    return out


def _training_text(config: DistillConfig, corpus: str | None, sources: Sequence[str], log, bad=None):
    """What the student learns from: (corpus specs with whether each is the teacher's own, their
    training sentences by standard name, the teacher's dev sentences by name, raw text files, raw
    texts). A teacher corpus that cannot be read is skipped with a note; a source given is required."""
    from .corpora import corpus_list, is_name, standard_name
    specs: list[tuple[str, bool]] = []  # (spec, is the teacher's)
    if config.teacher_corpora and corpus:
        specs += [(s, True) for s in (corpus_list(corpus) or [corpus])]
    raw_paths = []
    for source in sources:
        if is_name(source):
            specs.append((source, False))
        elif os.path.isfile(source):
            raw_paths.append(source)
        else:
            raise TaggerError(f"{source}: neither a corpus name nor a file")
    if not specs and not raw_paths:
        raise TaggerError("no training text: the teacher names no corpus it was trained on; "
                          "give corpora or raw text files")

    labeled: dict[str, list] = {}
    dev: dict[str, list] = {}
    for spec, own in specs:
        name = standard_name(spec)
        if name in labeled:
            raise TaggerError(f"{spec}: the corpus {name} is given twice")
        try:
            labeled[name], dev_samples = read_labeled(spec, bad)
        except TaggerError as err:
            if not own:
                raise
            log(f"skipping the teacher's corpus {spec}: {err}")
            continue
        if own and dev_samples:
            dev[name] = dev_samples
    raw = [text for path in raw_paths for text in read_raw_texts(path)]
    if not any(labeled.values()) and not raw:
        raise TaggerError("no training text found (the teacher's corpora are missing: set TAGGER_CORPORA, "
                          "or give corpora or raw text files)")
    return specs, labeled, dev, raw_paths, raw


def distill(teachers: Sequence[str], output: str | None = None, sources: Sequence[str] = (),
            config: DistillConfig | None = None, log: Callable[[str], None] | None = None,
            progress: bool | None = None, bad=None):
    """Distill the model file(s) `teachers` into a student; write it to `output` if given and
    return it (a loaded tagger, as `tagger.load` gives). `progress`: within-epoch progress (None:
    a bar on a terminal, plain lines at intervals otherwise; False: none). `bad`: a
    textlines.BadLines to record and skip the corpora's malformed lines in (--skip-bad-lines)."""
    from .loop import Epoch, Loop, seeded
    from .trainset import balanced_epoch
    config = config or DistillConfig()
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    if not teachers:
        raise TaggerError("distill needs a teacher model file")
    if config.network not in networks.NETWORKS:
        raise TaggerError(f"unknown student network {config.network!r}; choose {', '.join(NETWORKS)}")
    if not 0.0 <= config.gold_weight <= 1.0 or not 0.0 <= config.mixed_share <= 1.0:
        raise TaggerError("--gold-weight and --mixed-share must lie between 0 and 1")
    rng = seeded(config)
    started = time.monotonic()

    teacher, first = load_teachers(teachers)
    if teacher.task.name != "seg" or teacher.units != "chars":
        raise TaggerError("distill takes character-level segmentation models (task seg)")
    teacher.model.eval()
    encoder = copy.copy(teacher.encoder)
    if not config.dictionary:
        encoder.dictionary = None
    standards = tuple(encoder.standards)
    default = encoder.default_standard

    specs, labeled, dev, raw_paths, raw = _training_text(config, teacher.metadata.get("corpus"), sources, log, bad)
    corpus = teacher.metadata.get("corpus")

    key = repr([[os.path.abspath(str(t)), os.path.getsize(t), os.path.getmtime(t)] for t in teachers]
               + [list(sources), config.dictionary, config.mixed_share > 0, config.teacher_corpora])
    cached = Store.load(config.cache, key) if config.cache else None
    if cached is not None:
        store, members = cached
        log(f"teacher pass read from {config.cache}")
    else:
        store, members = teacher_passes(teacher, first, encoder, specs, labeled, raw, config.mixed_share, log, started)
        if config.cache:
            store.save(config.cache, key, members)
    total_chars = int(store.offsets[-1])
    log(f"teacher pass: {len(store.lengths)} rows, {total_chars} steps ({time.monotonic() - started:.0f}s)")

    # the student
    student = build_student(config, encoder, len(teacher.tags)).to(config.device)
    if config.init_from_teacher and hasattr(first.model, "char_embed"):
        done = [_pca_init(student.char_embed, first.model.char_embed)]
        if hasattr(student, "bigram_embed") and hasattr(first.model, "bigram_embed"):
            done.append(_pca_init(student.bigram_embed, first.model.bigram_embed))
        log(f"embeddings started from the teacher's (PCA): {'yes' if all(done) else 'partly'}")
    teacher_metadata = {k: first.metadata.get(k) for k in ("corpus", "standards", "default_standard", "dev_f1",
                                                            "tests") if k in first.metadata}
    if teacher_metadata.get("dev_f1") != teacher_metadata.get("dev_f1"):  # NaN: a final teacher from before null
        teacher_metadata["dev_f1"] = None
    metadata = {"distilled_from": [os.path.basename(str(p)) for p in teachers], "teacher_metadata": teacher_metadata,
                "corpus": corpus or "", "task": "seg", "raw_sources": [os.path.basename(p) for p in raw_paths],
                "extra_corpora": [spec for spec, own in specs if not own]}
    if standards:
        metadata.update(standards=list(standards), default_standard=default)
    tagger_class = type(first)
    student_tagger = tagger_class(student, encoder, teacher.tags, metadata, lexicon=teacher.lexicon, task="seg")
    if config.device != "cpu":
        student_tagger.to(config.device)
    parameters = sum(p.numel() for p in student.parameters())
    log(f"student: {config.network}, {parameters} parameters")

    loop = Loop(config, student, rng, log, progress=progress)
    member_ids, flat = {}, []
    for name, per_sentence in members.items():
        member_ids[name] = range(len(flat), len(flat) + len(per_sentence))
        flat.extend(per_sentence)

    def epoch_work(epoch: int) -> Epoch:
        chosen = balanced_epoch(member_ids, rng) if len(member_ids) > 1 else list(range(len(flat)))
        rows = [flat[i][0] if len(flat[i]) == 1 or rng.random() >= config.mixed_share else flat[i][1] for i in chosen]
        return Epoch([store.lengths[r] for r in rows],
                     lambda ids: _batch_loss(student, store, [rows[i] for i in ids], config))

    loop.run(epoch_work, lambda: _dev_score(student_tagger, dev, default))
    if config.half:
        from .modelio import round_to_half
        round_to_half(student_tagger)
    student_tagger.metadata.update(best_epoch=loop.state["best_epoch"], dev_f1=loop.best_f1, history=loop.history,
                                   distill_config=config.to_dict(),
                                   train_minutes=round((time.monotonic() - started) / 60, 2),
                                   train_sentences=len(flat), train_steps=total_chars)
    if loop.best_f1 is not None:
        log(f"best dev F1 {loop.best_f1:.4f} at epoch {loop.state['best_epoch']}")
    if output:
        from .modelio import save_model
        save_model(student_tagger, output, half=config.half)
        log(f"wrote {output} ({os.path.getsize(output) / 1e6:.1f} MB)")
    return student_tagger


def _batch_loss(student, store: Store, rows: Sequence[int], config: DistillConfig):
    """The step function: (the soft loss of these store rows, the steps they hold)."""
    import torch
    arrays, lengths = store.batch(rows)
    tensor = lambda a: torch.from_numpy(a).to(config.device) if a is not None else None  # noqa: E731
    lengths_t = torch.from_numpy(lengths)
    inputs = Inputs(tensor(arrays["chars"]), lengths_t,
                    tensor(arrays["bigrams"]) if student.config.bigram_dim else None, tensor(arrays["dictionary"]))
    logits = student(inputs)
    mask = (torch.arange(logits.shape[1])[None, :] < lengths_t[:, None]).to(config.device)
    return _soft_loss(logits, tensor(arrays["probs"]), tensor(arrays["gold"]), mask, config.gold_weight), int(lengths.sum())
