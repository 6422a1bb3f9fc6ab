"""Every fenced code block of README.md and docs/*.md runs as written.

Shell blocks (```sh) run through the installed `tagger` command with bash (`set -e`), Python
blocks (```python) in a fresh interpreter, each document's blocks in order in one working
directory. Small stand-ins for the user's files are there already: text files, a tiny corpus,
a gold file and its word list, and tiny models trained in the test session (fixture_files).
Blocks that are not commands (a synopsis) are ```text and are not run.

A block that needs a corpus, a GPU or minutes says so on the line before it:

    <!-- doctest: slow: trains on PKU under $TAGGER_CORPORA (20 minutes) -->
    <!-- doctest: skip: starts a server that runs until stopped -->

`slow` blocks run when TAGGER_DOCTEST_SLOW=1 (the slower job: `TAGGER_DOCTEST_SLOW=1 python -m
pytest -rs tests/test_docs.py`), and are skipped, with their reason printed, otherwise; `skip`
blocks are always skipped with their reason.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_corpus, write_segmented

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LANGUAGES = {"sh", "python", "text"}
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
MARK = re.compile(r"<!--\s*doctest:\s*(skip|slow)\s*:?\s*(.*?)\s*-->")
SLOW = os.environ.get("TAGGER_DOCTEST_SLOW") == "1"
BLOCK_SECONDS = {None: 900, "slow": 7200}  # seconds a block may take (a shared, loaded machine runs slowly)


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    language: str
    code: str
    mark: str | None  # skip | slow | None
    reason: str

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def blocks_of(document: Path) -> list[Block]:
    """The fenced blocks of one document, each with the doctest mark on the line before it."""
    text = document.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.search(before)
        found.append(Block(document, text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2),
                           mark.group(1) if mark else None, mark.group(2) if mark else ""))
    return found


BLOCKS = [block for document in DOCUMENTS for block in blocks_of(document)]


def test_the_blocks_are_found_and_say_their_language():
    assert len(BLOCKS) >= 20 and {b.document.name for b in BLOCKS} >= {"README.md", "api.md", "cli.md"}
    unknown = [f"{b.name} ({b.language or 'no language'})" for b in BLOCKS if b.language not in LANGUAGES]
    assert not unknown, f"a fenced block needs one of {sorted(LANGUAGES)} after its ```: {unknown}"
    bad_marks = [b.name for b in BLOCKS if b.mark is not None and not b.reason]
    assert not bad_marks, f"a doctest mark needs its reason: {bad_marks}"


def test_marks_are_read_from_the_line_before_a_block(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("intro\n<!-- doctest: slow: needs PKU -->\n```sh\ntagger train pku\n```\n\n"
                    "```python\nprint(1)\n```\n<!-- doctest: skip -->\n```text\nx\n```\n", encoding="utf-8")
    found = blocks_of(page)
    assert [(b.line, b.language, b.mark, b.reason) for b in found] == \
        [(3, "sh", "slow", "needs PKU"), (7, "python", None, ""), (11, "text", "skip", "")]
    assert found[0].code == "tagger train pku\n"


# -- the stand-ins for the user's files ---------------------------------------------------------------

TEXT = "我们在北京大学研究生命的起源。\n中国人民喜欢和平\n\n他是上海的学生，在北京工作了。\n"
POS_WORDS = [("我们", "r"), ("喜欢", "v"), ("苹果", "n"), ("北京", "ns"), ("学习", "v"), ("研究", "v"),
             ("生命", "n"), ("的", "u"), ("。", "w")]


def write_pos_corpus(path: Path, sentences: int) -> None:
    """PD 1998's format: word/TAG separated by two spaces."""
    import random
    rng = random.Random(5)
    lines = ["  ".join(f"{w}/{t}" for w, t in rng.sample(POS_WORDS[:-1], 4) + [POS_WORDS[-1]])
             for _ in range(sentences)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_ner_corpus(path: Path, sentences: int) -> None:
    """`char TAG` rows, a blank line between sentences (the Resume NER corpus's format)."""
    import random
    rng = random.Random(6)
    rows = []
    for _ in range(sentences):
        for piece, kind in [(rng.choice(["张三", "李四"]), "NAME"), ("毕业于", None),
                            (rng.choice(["北京大学", "清华大学"]), "ORG"), ("。", None)]:
            rows += [f"{c} {'O' if kind is None else ('B-' if i == 0 else 'E-' if i == len(piece) - 1 else 'M-') + kind}"
                     for i, c in enumerate(piece)]
        rows.append("")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def train_quietly(*args: str) -> None:
    from tagger.cli import main
    tiny = ["--hidden", "16", "--char-dim", "16", "--bigram-dim", "8", "--epochs", "2", "--batch-chars", "400",
            "--quiet", "--no-plot", "--threads", "1", "--no-vectors"]
    assert main(["train", *args, *tiny]) == 0


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory) -> Path:
    """A folder with what the documents' commands expect to find in the user's folder."""
    root = tmp_path_factory.mktemp("doc-fixtures")
    for name in ("text.txt", "some.txt", "big.txt"):
        (root / name).write_text(TEXT, encoding="utf-8")
    corpus = make_corpus(120, 11)
    write_segmented(root / "my_corpus.txt", corpus)
    write_segmented(root / "gold.txt", make_corpus(15, 12))
    words = sorted({word for sentence in corpus for word in sentence})
    (root / "train_words.txt").write_text("".join(word + "\n" for word in words), encoding="utf-8")
    (root / "my_words.txt").write_text("北京大学 3 nt\n生命的起源 n\n", encoding="utf-8")
    train_quietly(str(root / "my_corpus.txt"), "-o", str(root / "my.model"))
    for number in (1, 2, 3):  # an ensemble's members: copies serve as well as seeds here
        shutil.copy(root / "my.model", root / f"s{number}.model")
    write_pos_corpus(root / "my_pos.txt", 120)
    train_quietly(str(root / "my_pos.txt"), "--task", "pos", "-o", str(root / "my_pos.model"))
    write_ner_corpus(root / "resume.bmes", 80)
    train_quietly(str(root / "resume.bmes"), "-o", str(root / "resume.model"))
    for leftover in root.glob("*.history.csv"):
        leftover.unlink()
    return root


@pytest.fixture(scope="session")
def workdirs(fixture_files, tmp_path_factory):
    """One working folder per document, a copy of the fixtures, made on its first block."""
    made: dict[Path, Path] = {}

    def workdir(document: Path) -> Path:
        if document not in made:
            made[document] = tmp_path_factory.mktemp(document.stem)
            shutil.copytree(fixture_files, made[document], dirs_exist_ok=True)
        return made[document]
    return workdir


def environment() -> dict[str, str]:
    """The installed `tagger` and this interpreter first on PATH; one thread; no display."""
    env = dict(os.environ, TAGGER_THREADS="1", MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_block(block: Block, cwd: Path) -> subprocess.CompletedProcess:
    """Runs the block as a user would: a shell session, or a script file (so that worker
    processes, Dask's for one, can import it again)."""
    if block.language == "sh":
        command = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    else:
        script = cwd / "doc_block.py"
        script.write_text(block.code, encoding="utf-8")
        command = [sys.executable, script.name]
    return subprocess.run(command, cwd=cwd, env=environment(), capture_output=True, text=True,
                          timeout=BLOCK_SECONDS[block.mark])


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.language != "text"], ids=lambda b: b.name)
def test_block_runs(block: Block, workdirs):
    if block.mark == "skip":
        pytest.skip(f"{block.name}: {block.reason}")
    if block.mark == "slow" and not SLOW:
        pytest.skip(f"{block.name}: slow: {block.reason}; TAGGER_DOCTEST_SLOW=1 runs it")
    done = run_block(block, workdirs(block.document))
    assert done.returncode == 0, (f"{block.name}: the {block.language} block failed "
                                  f"(exit {done.returncode})\n{block.code}\n--- stdout\n{done.stdout[-3000:]}"
                                  f"\n--- stderr\n{done.stderr[-3000:]}")
