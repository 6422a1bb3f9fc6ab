"""Store a model's embedding tables as int8 rows, each with one scale: half of float16's bytes.

The shipped NER model keeps all its bigrams this way within 20 MB (tagger/modelfile.py says
why rows in int8 rather than fewer rows). Every value stays within half its row's scale of
the float16 one; score the result again (scripts/bench/bench_ner.py).

    python -m scripts.data.int8_tables MODEL -o OUT [--tables bigram_embed.weight ...]
"""
from __future__ import annotations

import argparse
import sys

from scripts.common import reporting_errors
from tagger.errors import TaggerError
from tagger.files import check_boundary
from tagger.modelio import read_payload, resolve, write_payload

TABLES = ("bigram_embed.weight",)  # the one whose int8 rows were scored; most of a large model's bytes


def int8_payload(payload: dict, tables: tuple[str, ...]) -> tuple[dict, tuple[str, ...]]:
    """(the payload with the stored form recorded in its metadata, the tables of `tables` it has)."""
    present = tuple(name for name in tables if name in payload["state_dict"])
    if not present:
        raise TaggerError(f"the model has none of the tables {', '.join(tables)}")
    payload["metadata"]["int8_tables"] = (f"{', '.join(present)}: int8 rows, one float32 scale a row "
                                          "(scripts/data/int8_tables.py)")
    return payload, present


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="model file")
    parser.add_argument("-o", "--output", required=True, help="the model file written")
    parser.add_argument("--tables", nargs="+", default=list(TABLES), help="weights to store as int8 rows")
    args = parser.parse_args()

    def run() -> int:
        source = str(resolve(args.model))  # a shipped name ("ner") is its file
        check_boundary([source], [args.output])  # never writes over its input, by any name
        payload, present = int8_payload(read_payload(source), tuple(args.tables))
        write_payload(payload, args.output, int8=present)
        read_payload(args.output)  # checked as any load checks it
        print(f"wrote {args.output} ({', '.join(present)} as int8 rows)")
        return 0
    sys.exit(reporting_errors("int8_tables", run))


if __name__ == "__main__":
    main()
