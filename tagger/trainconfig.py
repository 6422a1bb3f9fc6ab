"""The settings of a training run, without torch: what `tagger train` and `tagger distill` take,
and what the command line builds its defaults from.

`LoopConfig` holds what the training loop reads: epochs, batches, Adam's rate
and its decay on a dev plateau, clipping, early stopping, the time budget. `TrainConfig` adds
what `tagger train` reads the corpus with; tagger/distill.py's `DistillConfig` adds the student's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class LoopConfig:
    epochs: int = 20
    batch_chars: int = 3000      # characters per mini-batch (padding included)
    lr: float = 2e-3             # Adam's learning rate
    lr_decay: float = 0.5        # multiply the rate by this when dev F1 stalls (1: never) ...
    lr_patience: int = 0         # ... for more than this many epochs
    clip: float = 5.0            # max gradient norm
    patience: int = 4            # epochs without a dev F1 gain before stopping
    seed: int = 1
    max_minutes: float | None = None  # the time budget: no epoch starts that would overrun it, none runs past it
    threads: int | None = None   # None: the cores free now (tagger/threads.py)
    device: str = "cpu"
    ema: float = 0.0             # > 0: evaluate and keep a moving average of the weights (decay per step)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainConfig(LoopConfig):
    char_min_count: int = 2      # rarer characters train the <unk> embedding
    bigram_min_count: int = 3
    classes: bool = True         # digits -> 0, Latin letters -> a
    split_sentences: bool = True  # cut long training paragraphs at sentence ends
    unk_dropout: float = 0.0     # share of bigram ids replaced by <unk> in training (word dropout)
    dictionary: str = ""         # dictionary features: comma-separated 'jieba', 'train', word-list paths
    dictionary_folds: int = 5    # jackknife folds for the 'train' dictionary
    task: str = "seg"            # seg | pos | ner (tagger/tasks.py)
    scheme: str = ""             # the tag scheme (tagger/tags.py's SCHEMES); "": the task's own
    units: str = "chars"         # "words": word-level model over whitespace tokens (English NER)
    vectors: bool = False        # pretrain skip-gram vectors on the training text (tagger/embeddings.py)
    char_vectors: str = ""       # pretrained character vectors (word2vec text), see tagger/embeddings.py
    bigram_vectors: str = ""     # pretrained bigram vectors
    mixed_share: float = 0.1     # several corpora: share of each one's sentences that train the "mixed" standard
    swap_names: float = 0.0      # NER: share of sentences with a name that also train with it made up (tagger/nameswap.py)
    unpunctuated: float = 0.0    # NER: share of sentences that also train without their punctuation (tagger/unpunctuated.py)
    posted: float = 0.0          # NER: share of sentences that also train with post pieces between clauses (tagger/posted.py)
    auto: tuple[str, ...] = ()   # settings chosen from the corpus (tagger/recipe.py) instead of the values here
