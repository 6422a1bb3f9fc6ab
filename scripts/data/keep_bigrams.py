"""Keep a model's N most frequent bigrams: the rest read as unknown (id 1), as unseen bigrams do.

A model's bigram table is ranked by training-text frequency (tagger/vocab.py), so its last rows
are its rarest bigrams; with 50-dimension rows they are most of a large model's file. Dropping
them is a higher --bigram-min-count after training: the network already reads unknown bigrams
(it is trained with some bigrams replaced by unknown, --unk-dropout). The shipped NER model is
cut this way to stay within 20 MB; score the result again (scripts/bench/bench_ner.py).

    python -m scripts.data.keep_bigrams MODEL N -o OUT
"""
from __future__ import annotations

import argparse
import sys

from scripts.common import reporting_errors
from tagger.errors import TaggerError
from tagger.modelio import read_payload, write_payload

EMBEDDING = "bigram_embed.weight"


def keep_bigrams(payload: dict, count: int) -> dict:
    """The payload with its bigram vocabulary and embedding rows cut to the first `count`
    (padding and unknown included); the cut is recorded in the metadata."""
    bigrams = payload["vocab"]["bigrams"]
    if not bigrams or EMBEDDING not in payload["state_dict"]:
        raise TaggerError("the model has no bigram table")
    if not 2 < count <= len(bigrams):
        raise TaggerError(f"keep between 3 and {len(bigrams)} bigrams, not {count}")
    payload["vocab"]["bigrams"] = bigrams[:count]
    payload["state_dict"][EMBEDDING] = payload["state_dict"][EMBEDDING][:count]
    payload["config"]["bigram_vocab"] = count
    payload["metadata"]["bigrams_kept"] = f"the {count} most frequent of {len(bigrams)} (scripts/data/keep_bigrams.py)"
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="model file")
    parser.add_argument("count", type=int, help="bigrams to keep (padding and unknown included)")
    parser.add_argument("-o", "--output", required=True, help="the model file written")
    args = parser.parse_args()

    def run() -> int:
        if args.output == args.model:
            raise TaggerError(f"{args.output}: refusing to overwrite the input model")
        write_payload(keep_bigrams(read_payload(args.model), args.count), args.output)
        return 0
    sys.exit(reporting_errors("keep_bigrams", run))


if __name__ == "__main__":
    main()
