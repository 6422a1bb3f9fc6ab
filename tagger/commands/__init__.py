"""The work behind each `tagger` command; tagger/cli.py builds the parser and dispatches here.

Each `cmd_NAME(args)` takes the parsed options, calls the library, prints, and returns the exit
status; a user mistake is a TaggerError, which the CLI prints as one line.

    training.py   train, cv, plot
    labeling.py   segment, tag (one pipeline: lines in, one result per line out)
    models.py     evaluate, explain, export, summary, info, serve
    distilling.py distill

Library logic (scoring, corpus sniffing, the engine choice) lives in the library modules
(tagger/evaluate.py, tagger/corpora.py, tagger/engine.py), never here; nothing in tagger
imports the CLI.
"""
