"""The training recipe chosen from the corpus: the one rule behind `tagger train`'s defaults.

A fixed set of defaults cannot suit 500 sentences and 50,000 alike. On a small corpus an epoch
of 3,000-character batches is a handful of updates, so the model needs smaller batches, more
epochs and more patience before early stopping gives up; the few examples also call for more
dropout. On a large corpus the measured settings of docs/benchmarks.md hold. Every character
model gains from skip-gram vectors pretrained on the training text unless the text is tiny;
segmentation from dictionary features of its own training words at every size, and a small
corpus from jieba's dictionary too; NER on a large corpus from a CRF and jieba's dictionary;
segmentation on a large corpus from a second, narrower BiLSTM layer. docs/training.md gives the
figures that chose each value.

`choose` maps (task, training sentences, training characters, units) to a `Recipe`; `apply` fills in
only the settings the user left open (`TrainConfig.auto`), so an option set explicitly always wins.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

SMALL_CHARS = 200_000    # below: a small corpus (Resume NER's 3,821 sentences are 124k characters)
MINUTES_PER_MILLION = 60  # the time budget: 60 minutes per million training characters, at least 60
VECTORS_CHARS = 50_000   # from here on, skip-gram vectors of the training text start the embeddings

# Settings the recipe may choose; each is a TrainConfig or ModelConfig field.
SETTINGS = ("epochs", "patience", "lr_patience", "batch_chars", "max_minutes",
            "char_dim", "bigram_dim", "hidden", "layers",
            "embed_dropout", "lstm_dropout", "crf", "dictionary", "vectors")
MODEL_SETTINGS = {"char_dim", "bigram_dim", "hidden", "layers", "embed_dropout", "lstm_dropout", "crf"}


@dataclass
class Recipe:
    """The settings chosen for a corpus, and why (one human-readable line)."""
    size: str                      # "small" or "large"
    reason: str                    # e.g. "small corpus (500 sentences, 16,491 characters, ner)"
    settings: dict = field(default_factory=dict)
    units: str = "chars"           # "words": a word-level model (no bigrams, no dictionary; word embeddings)

    def line(self, chosen: list[str] | tuple[str, ...] = SETTINGS, final: bool = False) -> str:
        """One line: the reason, then the chosen settings (those in `chosen`), e.g.
        'small corpus (500 sentences, 16,491 characters, ner): epochs 80, patience 12, ...'.

        It names only what holds for the run: not the settings the user gave, not early stopping
        for a final model (`final`: no dev text), not bigrams or dictionaries for a word-level model."""
        moot = {"patience", "lr_patience"} if final else set()
        if self.units == "words":
            moot |= {"bigram_dim", "dictionary"}
        said = {name: self.settings[name] for name in SETTINGS
                if name in chosen and name in self.settings and name not in moot}
        parts = [_describe(name, value, said, self.units) for name, value in said.items()]
        return f"{self.reason}: " + ", ".join(p for p in parts if p)


def choose(task: str, sentences: int, chars: int, units: str = "chars") -> Recipe:
    """The recipe for a training corpus of `sentences` sentences and `chars` characters (tokens
    for word-level models, units="words") of `task` (seg, pos or ner)."""
    size = "small" if chars < SMALL_CHARS else "large"
    settings = dict(_BY_SIZE[size])
    settings.update(_network(task, size))
    settings["embed_dropout"] = settings["lstm_dropout"] = _dropout(task, size)
    settings["batch_chars"] = _batch_chars(chars)
    settings["max_minutes"] = max(MINUTES_PER_MILLION, round(MINUTES_PER_MILLION * chars / 1e6))
    settings["dictionary"] = _dictionary_sources(task, size)
    settings["crf"] = _crf(task, size)
    settings["vectors"] = _vectors(chars, units)
    reason = f"{size} corpus ({sentences:,} sentences, {chars:,} {_unit_name(units)}, {task})"
    return Recipe(size, reason, settings, units)


def apply(recipe: Recipe, train_config, model_config, auto: list[str] | tuple[str, ...]):
    """(train_config, model_config) with the recipe's value for every setting in `auto`."""
    unknown = set(auto) - set(SETTINGS)
    if unknown:
        raise ValueError(f"not a recipe setting: {', '.join(sorted(unknown))}")
    chosen = {k: v for k, v in recipe.settings.items() if k in auto}
    train = dataclasses.replace(train_config, **{k: v for k, v in chosen.items() if k not in MODEL_SETTINGS})
    model = dataclasses.replace(model_config, **{k: v for k, v in chosen.items() if k in MODEL_SETTINGS})
    return train, model


def _network(task: str, size: str) -> dict:
    """Segmentation on a large corpus: two BiLSTM layers of 128 units over 64/32-dim character
    and bigram embeddings. Against one layer of 200 units over 100/50 dims it costs about the
    same multiply-adds per character; with dropout 0.35 (_dropout) its dev F1 was higher on MSR
    (0.9783 against 0.9771) and level on PKU and Weibo (docs/training.md). Every other case:
    one layer of 200 units over 100/50 dims; a second layer was not measured to pay on small
    corpora, NER or POS."""
    if task == "seg" and size == "large":
        return dict(char_dim=64, bigram_dim=32, hidden=128, layers=2)
    return dict(char_dim=100, bigram_dim=50, hidden=200, layers=1)


def _dropout(task: str, size: str) -> float:
    """On the embeddings and the LSTM output alike: 0.5 on a small corpus (its few examples,
    docs/training.md); on a large one 0.35 for segmentation's two layers (_network), 0.3 for NER
    (see _dictionary_sources), 0.2 otherwise (docs/benchmarks.md)."""
    if size == "small":
        return 0.5
    return {"seg": 0.35, "ner": 0.3}.get(task, 0.2)


def _dictionary_sources(task: str, size: str) -> str:
    """Segmentation reads dictionary features of its own training words (jackknifed) at every
    size; a small corpus also reads jieba's dictionary (349k words, shipped with jieba, a
    dependency): its own few words cover too little of new text (on 1,000 CTB6 sentences it
    was worth about 4 points of dev F1, docs/training.md). A large corpus stays closed (its own
    words only), the setting its benchmarks are compared in. NER on a large corpus reads
    jieba's dictionary (word edges hint at entity edges), with dropout 0.3: on MSRA NER the two
    raised dev F1 from 0.9478 to 0.9512 (seed 1); on the small Resume corpus the dictionary was
    level (0.9513 against 0.9498), so a small NER corpus reads none. POS reads none."""
    if task == "ner":
        return "jieba" if size == "large" else ""
    if task != "seg":
        return ""
    return "jieba,train" if size == "small" else "train"


def _crf(task: str, size: str) -> bool:
    """A CRF for NER on a large corpus: on MSRA NER it added 0.7 points of test F1 to the
    vectors recipe (3 seeds each, dev higher too); on the small Resume corpora it lowered dev
    F1, and segmentation and POS gain nothing from it (docs/benchmarks.md)."""
    return task == "ner" and size == "large"


def _vectors(chars: int, units: str) -> bool:
    """Skip-gram vectors pretrained on the training text, from 50,000 characters on, where
    gensim is installed. Dev F1 with them, one seed each (docs/training.md): +0.3 to +0.5 points
    on CTB6 and Weibo, +1.4 on Resume NER (124k characters); level on 1,000 CTB6 sentences (45k);
    0.9 points lower on 500 Resume sentences (16k; seeds 1-3), too little text for skip-gram to
    learn more than the network does. Word-level models have no character vectors, so none."""
    from .embeddings import gensim_available
    return units == "chars" and chars >= VECTORS_CHARS and gensim_available()


def _batch_chars(chars: int) -> int:
    """About 64 updates an epoch, between 500 and 3,000 characters a batch (in hundreds): with
    3,000-character batches an epoch of 500 sentences is 6 updates."""
    return int(min(3000, max(500, round(chars / 64, -2))))


def _unit_name(units: str) -> str:
    return "words" if units == "words" else "characters"


def _describe(name: str, value, said: dict, units: str = "chars") -> str:
    """How the line says one setting; `said`: the settings the line names (so a layer count says
    its width only when that was chosen too)."""
    if name == "crf":
        return "CRF" if value else "no CRF"
    if name == "vectors":
        return "skip-gram vectors pretrained on the training text" if value else "no pretrained vectors"
    if name == "embed_dropout":
        return f"dropout {value:g}"
    if name == "hidden":  # said as "2 BiLSTM layers of 128 units" when the recipe chose both
        return "" if "layers" in said else f"{value} LSTM units per direction"
    if name == "layers":
        width = f" of {said['hidden']} units" if "hidden" in said else ""
        return f"{value} BiLSTM layer{'s' if value > 1 else ''}{width}"
    if name == "char_dim":
        return f"{value}-dim {'word' if units == 'words' else 'character'} embeddings"
    if name == "bigram_dim":
        return f"{value}-dim bigram embeddings"
    if name == "lstm_dropout":
        return ""  # said with embed_dropout; the two are chosen alike
    if name == "max_minutes":
        return f"at most {value:g} minutes"
    if name == "batch_chars":
        return f"batches of {value:,} {_unit_name(units)}"
    if name == "dictionary":
        sources = {"train": "the training words (jackknifed)", "jieba": "jieba's dictionary"}
        named = [sources.get(source, source) for source in value.split(",") if source]
        return f"dictionary features from {' and '.join(named)}" if named else "no dictionary"
    return f"{name.replace('_', ' ')} {value}"


# Patience and LR patience count epochs without a dev F1 gain (tagger/train.py); before the
# first epoch with dev F1 > 0 neither counts, whatever the corpus.
_BY_SIZE = {
    "small": dict(epochs=80, patience=12, lr_patience=3),
    "large": dict(epochs=20, patience=4, lr_patience=0),
}
