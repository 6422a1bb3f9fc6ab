"""What a line of each corpus format looks like: the signatures sniffing settles a file's format
by, and the checks every line of a settled file must pass (tagger/readers.py reads the files).

Pure functions of one line, or of one file's tag sequence, kept cheap enough to run on every
line of a corpus of millions: a line pays for a regular expression only where a one-character
test (a digit first, a '/' or a tab inside) says another format is possible.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Optional, Sequence

from .tags import TAG_PATTERN

PD_ID = re.compile(r"^\d{8}-\d{2}-\d{3}-\d{3}/m$")  # 19980101-01-001-002/m: article 001, paragraph 2
PD_TOKEN = re.compile(r"^(\[?)(.+)/([A-Za-z]+)(?:\]([A-Za-z]+))?$")  # word/pos, [word/pos ... word/pos]nt
SLASH_TOKEN = re.compile(r"^(.+)/([A-Za-z]+)$")  # word/tag, the tag after the last '/'
SLASH_LINE = re.compile(r"\S+/[A-Za-z]+(?:\s+\S+/[A-Za-z]+)*\s*")  # a line of them (fullmatch)
TAG = re.compile(TAG_PATTERN)  # an entity (or segmentation) tag
TOKEN_ID = re.compile(r"^\d+$")  # a CoNLL token id
SKIPPED_ID = re.compile(r"^\d+[-.]\d+$")  # a CoNLL-U multiword range (1-2) or empty node (1.1)
DOCSTART = "-DOCSTART-"
_ENTITY_ROW_TAG = re.compile(r"^[BIMES]-[A-Z]{2,}$")  # B-PER, E-NAME: never a word of segmented text
# C0 and C1 controls but TAB, DEL, line and paragraph separators, and a byte-order mark: never text
_BAD_CHARACTER = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_BAD_CHARACTER_WHY = {
    "\x00": "a NUL byte: a binary file, or UTF-16/UTF-32 text (convert it to UTF-8)",
    "\r": "a carriage return inside the line: CR-only (old Mac) line ends? convert them to LF",
    "\ufeff": "a byte-order mark (U+FEFF) inside the file: files joined with their BOMs? remove it",
}


def bad_character(line: str) -> Optional[str]:
    """Why a corpus line holds a character that is never text (None when it holds none).

    A control character would be learned as part of a word, or split words where the eye sees
    none; a CR or U+2028 inside a line hides a line break, so two sentences would be read as one.
    """
    found = _BAD_CHARACTER.search(line)
    if found is None:
        return None
    char = found.group()
    why = _BAD_CHARACTER_WHY.get(char, f"the control character U+{ord(char):04X}")
    return f"{why} (character {found.start() + 1} of the line)"


def is_id(field: str) -> bool:
    """A CoNLL token id, a multiword range or an empty node."""
    return bool(TOKEN_ID.match(field) or SKIPPED_ID.match(field))


def kind_of_line(line: str) -> Optional[str]:
    """The format one line looks like, for sniffing: pd1998, conll, columns, msra, segmented, or
    "table" (tab-separated columns that are neither CoNLL-X/U nor entity columns). None for a
    line that says nothing (blank, a `#` comment, -DOCSTART-)."""
    tokens = line.split()
    if not tokens or line.startswith("#") or tokens[0] == DOCSTART:
        return None
    if PD_ID.match(tokens[0]):
        return "pd1998"
    if "\t" in line:
        fields = line.split("\t")
        if len(fields) >= 10 and is_id(fields[0]):
            return "conll"
        if TAG.match(fields[-1]):
            return "columns"
        if is_id(fields[0]):
            return "table"
    if 2 <= len(tokens) <= 6 and TAG.match(tokens[-1]):
        return "columns"
    if "/" in line:
        if all(SLASH_TOKEN.match(token) for token in tokens):
            return "msra"
        if all(PD_TOKEN.match(token) for token in tokens):
            return "pd1998"  # PD 1998 without paragraph ids: its [compound]nt brackets tell
    return "segmented"


def settle_format(lines: Sequence[str], blank_between: bool) -> str:
    """The one format of a file, from its first lines that say something (`kind_of_line` is not
    None; segmented when there are none): the kind most of them have (a
    tie goes to the earliest), so that one odd line there is reported as odd rather than
    deciding the format. A table (a field count the same on every line, separated by tabs, or by
    spaces with a blank line between rows or token ids first) that is neither CoNLL-X/U nor
    entity columns is "table": the caller refuses it."""
    kinds = [kind for kind in map(kind_of_line, lines) if kind]
    if not kinds:
        return "segmented"
    counts = Counter(kinds)
    kind = max(counts, key=lambda k: (counts[k], -kinds.index(k)))
    if kind == "msra" and any(k == "pd1998" and not PD_ID.match(line.split()[0])
                              for k, line in zip(map(kind_of_line, lines), lines)):
        return "pd1998"
    if kind == "segmented" and _is_table(lines, blank_between):
        return "table"
    return kind


def _is_table(lines: Sequence[str], blank_between: bool) -> bool:
    """Rows of one field count, 2 to 9 (10 or more with an id is CoNLL): tab-separated, or
    space-separated with ids counting up or a blank line between rows. Text lines do not keep
    one word count line after line."""
    if len(lines) < 3:
        return False
    tabbed = all("\t" in line for line in lines)
    rows = [line.split("\t") if tabbed else line.split() for line in lines]
    if len({len(row) for row in rows}) != 1 or len(rows[0]) < 2:
        return False
    counting = all(row[0] == str(i) for i, row in enumerate(rows, start=1))
    return tabbed or blank_between or counting


def segmented_line_problem(line: str, words: Sequence[str]) -> Optional[str]:
    """Why a non-blank line of a segmented file is a line of another format (None when it is
    not). A token with a '/' is a word (1/2, km/h, a URL); a line whose every token (two or
    more) is `word/tag` is tagged text, not words."""
    first = words[0]
    if first[0].isdigit() and PD_ID.match(first):
        return f"a PD 1998 line (paragraph id {first}) in a segmented file"
    if first == DOCSTART:
        return "a CoNLL-2003 -DOCSTART- line in a segmented file"
    if "\t" in line and is_id(line.split("\t", 1)[0]):
        return "a CoNLL row (a token id, then tab-separated columns) in a segmented file"
    if "/" in line and len(words) >= 2 and all(PD_TOKEN.match(word) for word in words):
        return "word/tag tokens (PD 1998 or MSRA format) in a segmented file"
    if 2 <= len(words) <= 4 and _ENTITY_ROW_TAG.match(words[-1]):
        return f"a column row ending in the entity tag {words[-1]} in a segmented file"
    return None


def table_message(lines: Sequence[str]) -> str:
    """What `settle_format`'s "table" means to the user."""
    tabbed = all("\t" in line for line in lines)
    columns = len(lines[0].split("\t") if tabbed else lines[0].split())
    return (f"{columns} {'tab' if tabbed else 'space'}-separated columns a line: a table, but neither CoNLL-X/U "
            "(10 columns, the word second) nor entity columns (a tag such as B-PER or O last), and tagger does not "
            "guess which column holds the words; convert it to one of the formats in corpora/README.md")


class TagSequence:
    """Checks the entity tags of one file, row by row: each tag is O or B, I, M, E, S with a type
    (B-PER), and may follow the tag before it in its sentence.

    Two families of schemes, which the file's first telling tags settle: BIOES and typed BMES
    (an E, S or M tag: every entity ends with E or S, and I/M/E continue an entity of their own
    type), or BIO and IOB1 (B, I and O only: I after O or after another type begins an entity,
    as in CoNLL-2003). A sentence break may cut an entity (Resume NER's training file does, twice):
    each part is read as an entity ending or beginning at the break, so only transitions inside
    a sentence are checked.
    """

    def __init__(self) -> None:
        self.scheme: Optional[str] = None  # "BIOES" or "BIO"
        self.settled_by = ""
        self.previous: Optional[str] = None

    def new_sentence(self) -> None:
        self.previous = None

    def check(self, tag: str, number: int) -> None:
        """Raise ValueError naming what is wrong with `tag` on line `number`."""
        if not TAG.match(tag):
            raise ValueError(f"unknown tag {tag!r}: expected O, or B, I, M, E or S and a type (B-PER)")
        previous, self.previous = self.previous, tag
        kind, _, label = tag.partition("-")
        if kind in "EMS":
            self._settle("BIOES", f"{tag} on line {number}")
        if previous is None:
            return
        before, _, before_label = previous.partition("-")
        inside = before in "BIM"  # an entity is open
        if kind in "IME":
            if inside and label == before_label:
                return
            if kind == "E" or self.scheme == "BIOES":
                raise ValueError(f"{tag} after {previous}: an {kind} tag continues an open entity of its own type "
                                 f"({'/'.join(p + label for p in ('B-', 'I-', 'M-'))} before it)")
            self._settle("BIO", f"{tag} after {previous} on line {number}")
        elif inside:
            if self.scheme == "BIOES":
                raise ValueError(f"{tag} after {previous}: the {before_label or 'open'} entity has no end "
                                 f"(E-{before_label} expected)")
            self._settle("BIO", f"{previous} followed by {tag} on line {number}")

    def _settle(self, scheme: str, evidence: str) -> None:
        if self.scheme is None:
            self.scheme, self.settled_by = scheme, evidence
        elif self.scheme != scheme:
            raise ValueError(f"{evidence} is {scheme} tagging, but this file's tags are {self.scheme} "
                             f"({self.settled_by})")
