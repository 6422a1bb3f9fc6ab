"""Scoring a model or a segmented output against gold: `tagger evaluate`, and the test scores
`tagger train` records in a model's metadata.

Segmentation is scored the SIGHAN bakeoff's way (tagger/metrics.py: word P/R/F1, OOV and IV
recall against a training word list); NER and POS models by their task's own score
(tagger/tasks.py). Kept apart from the command line so that training, scripts and the CLI
score alike.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

from .errors import TaggerError
from .tags import label


def joined_names(paths: Sequence) -> str:
    """How messages name one model file or an ensemble of them: `a.model + b.model`."""
    return " + ".join(map(str, paths))


def score_samples(tagger, items: Iterable, words: Optional[set[str]] = None,
                  standard: Optional[str] = None, types: Optional[Sequence[str]] = None) -> dict:
    """Score a model on gold sentences of its task: a summary dict with 'f1' (word, word+POS or
    entity F1); pos adds 'word_f1' and 'pos_accuracy' (POS of the gold words, decoding held to them).
    `standard`: the segmentation standard a multi-criteria model follows (default: its own).
    `types` (ner): score only entities of these types, gold and predicted (see only_types)."""
    return summary_of(tagger, *labeled(tagger, gold_samples(tagger, items), standard, types), words)


def gold_samples(tagger, items: Iterable) -> list:
    """The gold items as samples of the model's task, empty ones left out."""
    return [s for s in (tagger.task.sample(item) for item in items) if s.text]


def summary_of(tagger, gold: Sequence, predicted: Sequence, words: Optional[set[str]] = None) -> dict:
    """score_samples' summary of gold samples and the model's spans of them."""
    from .tasks import token_accuracy, word_f1
    summary = tagger.task.score(gold, predicted, words).summary()
    if tagger.task.name == "pos":
        summary["word_f1"] = word_f1(gold, predicted)
        summary["pos_accuracy"] = token_accuracy(gold, tagger.label_lines_given_words([s.words for s in gold]))
    return summary


def labeled(tagger, gold: Sequence, standard: Optional[str] = None,
            types: Optional[Sequence[str]] = None) -> tuple[list, list]:
    """(gold samples, the model's spans of their texts under `standard`), both kept to the
    entities of `types` when given: what evaluate and --compare score."""
    predicted = tagger.label_texts([s.text for s in gold], standard=standard)
    return only_types(gold, predicted, types) if types else (list(gold), predicted)


def only_types(gold: Sequence, predicted: Sequence[Sequence], types: Sequence[str]) -> tuple[list, list]:
    """Gold samples and predicted spans with only the entities of `types` kept.

    Why: a gold corpus may tag fewer types than the model (MSRA NER tags no times, the shipped
    model does); its unscored types would otherwise count as false positives."""
    keep = set(types)
    gold = [sample._replace(spans=[span for span in sample.spans if span[2] in keep]) for sample in gold]
    return gold, [[span for span in spans if span[2] in keep] for spans in predicted]


def check_types(tagger, types: Optional[Sequence[str]]) -> Optional[list[str]]:
    """`types` checked against a NER model's entity types (a one-line error for another task
    or an unknown type); None and empty stay None."""
    if not types:
        return None
    if tagger is None or tagger.task.name != "ner":
        raise TaggerError("--types scores some entity types only: it needs a NER model")
    known = sorted({label(tag) for tag in tagger.tags} - {""})
    unknown = [t for t in types if t not in known]
    if unknown:
        raise TaggerError(f"--types {','.join(unknown)}: the model tags {', '.join(known)}")
    return list(types)


def score_tests(tagger, corpora: dict, task: str, log: Callable[[str], None]) -> None:
    """Score each named corpus's test set into the model's metadata ("test", or "tests" by corpus
    for several). Done once, after training, and never used to select anything (dev is for
    that); a multi-criteria model follows each corpus's own standard. `corpora`: {standard
    name, or None for a single-corpus model: corpus name or path}; paths have no test set."""
    from .corpora import is_name, read_part, test_part, training_words
    tests = {}
    for name, spec in corpora.items():
        if not is_name(spec):
            continue
        gold_part, _ = test_part(spec)
        result = score_samples(tagger, read_part(gold_part, task=task), training_words(spec), standard=name)
        tests[spec] = {k: v for k, v in result.items() if k != "mismatched_lines"}
        log(f"{spec} test F1 {result['f1']:.4f}" if name else f"test F1 {result['f1']:.4f}")
    if None in corpora and tests:
        tagger.metadata["test"] = next(iter(tests.values()))
    elif tests:
        tagger.metadata["tests"] = tests


@dataclass
class Report:
    """An evaluation: the lines `tagger evaluate` prints, and the scores its --json writes."""

    lines: list[str]
    scores: dict


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def evaluate(predictions: Sequence[str], gold: str, fmt: str = "auto", words: Optional[str] = None,
             standard: Optional[str] = None, top_errors: int = 0, threads: Optional[int] = None,
             note: Callable[[str], None] = _to_stderr, bad=None, types: Optional[Sequence[str]] = None) -> Report:
    """Score `predictions` against `gold`, the way `tagger evaluate` does (docs/cli.md).

    predictions: a segmented output file, or one or more model files (several: an ensemble)
    that label the gold text themselves, with `threads` in every pool. gold: a file in `fmt`,
    a corpus name (its test set and word list) or NAME:dev (its dev split). words: a word list
    file for OOV/IV recall (default: the corpus's training words; none for a file). A NER or
    POS model is scored by its task, except that a POS model on a gold without POS tags is
    scored on its words (`note` says so). top_errors: also list the N most frequent
    disagreements (segmentation: word regions; NER and POS: span regions by kind). bad: a
    textlines.BadLines, to skip malformed gold lines (`--skip-bad-lines`) rather than stop at
    the first; each is left out with its output line.
    types: a NER model is scored on these entity types only (`--types`, only_types)."""
    from .corpora import test_part
    from .modelio import looks_like_model_file, resolve
    from .readers import has_reading
    gold_part, corpus_words = test_part(gold, fmt)
    name = joined_names(predictions)
    predictions = [str(resolve(p)) for p in predictions]  # "default" and "fast" name the shipped models
    tagger = None
    if len(predictions) > 1 or looks_like_model_file(predictions[0]) or predictions[0].endswith(".model"):
        from .modelio import load  # a *.model that is not a model: load's one-line "not a tagger model file"
        tagger = load(predictions, threads=threads, precision="float32")  # the same figures on every machine
        if tagger.task.name == "pos" and not has_reading(gold_part.path, gold_part.fmt, "pos"):
            # a joint segmentation + POS model is also a segmenter: score its words (POS dropped)
            note(f"{name}: POS model on a gold without POS tags; scoring its words")
        elif tagger.task.name != "seg":
            return _tagging_report(tagger, name, gold_part, bad, evaluation_standard(tagger, gold, standard),
                                   check_types(tagger, types), top_errors)
    check_types(tagger, types)
    return _segmentation_report(predictions, name, tagger, gold, gold_part, words, corpus_words, standard,
                                top_errors, bad)


def _segmentation_report(predictions, name: str, tagger, gold: str, gold_part, word_list, corpus_words,
                         standard, top_errors: int, bad=None) -> Report:
    """Word scores of a tagger (it segments the gold text) or of an output file, line by line;
    OOV against `word_list` (a file given) or, for a corpus, its training words."""
    from .corpora import read_word_list, training_words
    from .metrics import error_regions, format_errors, format_table, score
    gold_words = gold_lines(gold_part, bad)
    seconds = None
    if tagger is not None:
        gold_words = [words for words in gold_words if words is not None]
        standard = evaluation_standard(tagger, gold, standard)
        start = time.monotonic()
        predicted = tagger.segment_lines(["".join(words) for words in gold_words], standard=standard)
        seconds = time.monotonic() - start
    else:
        standard = None  # an output file was segmented already
        predicted = segmented_lines(predictions[0])
        if len(predicted) != len(gold_words):
            raise TaggerError(f"{name}: {len(predicted)} lines, but gold {gold_part.path} has {len(gold_words)}")
        kept = [i for i, words in enumerate(gold_words) if words is not None]  # a skipped gold line drops its pair
        gold_words, predicted = [gold_words[i] for i in kept], [predicted[i] for i in kept]
    words = read_word_list(word_list) if word_list else training_words(gold)
    result = score(gold_words, predicted, words)
    lines = [format_table(result, f"{name} vs {gold_part.path}")]
    scores = result.summary()
    if top_errors > 0:
        regions = error_regions(gold_words, predicted)
        lines.append(format_errors(regions, top_errors, words))
        scores["errors"] = [{"gold": g, "output": p, "count": c} for (g, p), c in regions.most_common(top_errors)]
    scores.update(prediction=name, gold=gold_part.path, standard=standard,
                  words=word_list or corpus_words or ("the training part's words" if words is not None else None),
                  segment_seconds=seconds)
    return Report(lines, scores)


def gold_lines(gold_part, bad=None) -> list[Optional[list[str]]]:
    """The gold words of each line (a segmented file line by line, blank lines kept); with `bad`
    (a textlines.BadLines), a malformed segmented line is None and a malformed sentence of another
    format is left out."""
    from .corpora import format_of, read_part
    from .readers import read_segmented_lines
    if format_of(gold_part) != "segmented":
        return list(read_part(gold_part, bad))
    return list(read_segmented_lines(gold_part.path, bad))


def segmented_lines(path: str) -> list[list[str]]:
    """The words of each line of a segmented file, blank lines kept (they pair output with gold)."""
    from .textlines import read_lines
    return [line.split() for _, line in read_lines(path)]


def evaluation_standard(tagger, gold: str, standard: Optional[str]) -> Optional[str]:
    """`standard`, else the gold corpus's own standard when the model has one of that name
    (`evaluate MULTI.model pku` follows pku's), else None: the model's default."""
    if standard:
        return tagger.encoder.standard_of(standard)
    name = gold.rpartition(":")[0] if gold.endswith(":dev") else gold
    return name if name in tagger.standards else None


def _tagging_report(tagger, name: str, gold_part, bad=None, standard: Optional[str] = None,
                    types: Optional[list[str]] = None, top_errors: int = 0) -> Report:
    """Entity F1 (ner) or word+POS F1, word F1 and POS accuracy (pos) of a model on gold, and
    with `top_errors` its error regions by kind (tagger.entities.entity_errors)."""
    from .corpora import read_part
    from .entities import entity_errors, error_kinds, format_entity_errors
    task = tagger.task.name
    gold, predicted = labeled(tagger, gold_samples(tagger, read_part(gold_part, bad, task)), standard, types)
    result = summary_of(tagger, gold, predicted)
    lines = [f"{name} vs {gold_part.path} ({task})",
             f"F1 {result['f1']:.4f}  P {result['precision']:.4f}  R {result['recall']:.4f}"]
    if "word_f1" in result:
        lines.append(f"word F1 {result['word_f1']:.4f}  POS accuracy on gold words {result['pos_accuracy']:.4f}")
    if task == "ner":
        lines += [f"  {label:<8} P {prf['precision']:.4f} R {prf['recall']:.4f} F1 {prf['f1']:.4f}"
                  for label, prf in result["by_label"].items()]
    if top_errors > 0:
        regions = entity_errors([s.text for s in gold], [s.spans for s in gold], predicted)
        lines.append(format_entity_errors(regions, top_errors))
        result["error_kinds"] = error_kinds(regions)
        result["errors"] = [{**region._asdict(), "count": count} for region, count in regions.most_common(top_errors)]
    result.update(prediction=name, gold=gold_part.path, task=task, standard=standard or tagger.encoder.default_standard)
    if types:
        result["types"] = types
    return Report(lines, result)
