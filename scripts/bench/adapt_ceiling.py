#!/usr/bin/env python
"""How far the words of a raw text can take adaptation protocols A and B: ceilings measured
with gold segmentations that adaptation never sees.

What a raw text can tell a model about a domain is mostly its words (tagger adapt finds them
and adds them to the dictionary features). This script gives a model word lists better than any
discovery can find, and scores it as bench_adapt does:

    A  `default` on CTB6 test with the default standard; words from CTB6's training text;
    B  the one-corpus PKU model (--pku-model) on the Weibo row; words from Weibo's training text.

Each word list is given two ways: as dictionary features (tagger.adapt.add_words, what `tagger
adapt` does with the words it finds) and as a hard user dictionary (each occurrence a word of
its own, as `--user-dict`). The lists, each of words of two or more characters that the model's
dictionary and training words lack:

    train   every gold word of the training text: perfect discovery;
    useful  those that are also gold words of the scored set: perfect discovery and a selection
            made by reading the scored set's labels (an upper bound, not a method);
    scored  every gold word of the scored set: what words alone could give, from any text.

    TAGGER_CORPORA=/path/to/corpora python -m scripts.bench.adapt_ceiling \\
        --pku-model runs/pku-single.model --threads 1 --json results/adapt/ceilings.json
"""
from __future__ import annotations

import argparse
import sys
from typing import Iterable, Optional, Sequence

from scripts.bench.bench_adapt import Rows
from scripts.common import command_line, reporting_errors
from tagger.corpora import get_corpus, read_part
from tagger.files import write_json

PROTOCOLS = {"A": ("default", "ctb6", "ctb6"), "B": (None, "weibo", "weibo")}  # model, corpus of the text, row


def known_words(model) -> set[str]:
    """The words a model holds already: its training words and its dictionary's."""
    return set(model.lexicon) | (set(model.encoder.dictionary.words) if model.encoder.dictionary else set())


def word_lists(known: set[str], train: Iterable[Sequence[str]], scored: Iterable[Sequence[str]]) -> dict[str, set[str]]:
    """The three lists of the module's docstring, from the gold sentences (word sequences) of the
    training text and of the scored set: words of two or more characters outside `known`."""
    train_words = {w for sentence in train for w in sentence}
    scored_words = {w for sentence in scored for w in sentence}

    def lacking(words: set[str]) -> set[str]:
        return {w for w in words if len(w) > 1 and w not in known}
    return {"train": lacking(train_words), "useful": lacking(train_words & scored_words),
            "scored": lacking(scored_words)}


def protocol(name: str, model_name: str, threads: int, log) -> dict:
    import tagger
    from tagger.adapt import add_words
    from tagger.userdict import UserDict
    _, corpus, row = PROTOCOLS[name]
    rows = Rows([row])

    def fresh():
        return tagger.load(model_name, precision="float32", threads=threads)
    unadapted = fresh()
    base = rows.score(unadapted)[row]
    out = {"model": model_name, "text": f"{corpus} train", "row": row, "unadapted": round(base["f1"], 4), "lists": {}}
    gold = [sentence for item in rows.sets if item.spec.name == row for sentence in item.gold]
    for kind, words in word_lists(known_words(unadapted), read_part(get_corpus(corpus).train), gold).items():
        ordered = sorted(words)
        soft = fresh()
        add_words(soft, ordered)
        hard = fresh()
        hard.user_dict = UserDict()
        for word in ordered:
            hard.user_dict.add(word)
        entry = {"words": len(words)}
        for way, model in (("dictionary_features", soft), ("user_dictionary", hard)):
            scored = rows.score(model)[row]
            entry[way] = {"f1": round(scored["f1"], 4), "vs_unadapted": scored["vs_default"]}
        out["lists"][kind] = entry
        log(f"{name} {kind}: {len(words)} words, dictionary features {entry['dictionary_features']['f1']}, "
            f"user dictionary {entry['user_dictionary']['f1']} (unadapted {out['unadapted']})")
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocols", default="A,B", help="comma-separated: A, B")
    parser.add_argument("--pku-model", help="B: the one-corpus PKU model (scripts/recipes/train_default.sh)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    names = [p.strip().upper() for p in args.protocols.split(",") if p.strip()]
    if any(n not in PROTOCOLS for n in names):
        parser.error(f"--protocols: choose from {', '.join(PROTOCOLS)}")
    if "B" in names and not args.pku_model:
        parser.error("protocol B needs --pku-model")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def run() -> int:
        results = {"command": command_line("scripts.bench.adapt_ceiling", argv if argv is not None else sys.argv[1:]),
                   "threads": args.threads, "protocols": {}}
        for name in names:
            model = PROTOCOLS[name][0] or args.pku_model
            results["protocols"][name] = protocol(name, model, args.threads, log)
        if args.json:
            write_json(args.json, results)
        return 0
    return reporting_errors("adapt_ceiling", run)


if __name__ == "__main__":
    sys.exit(main())
