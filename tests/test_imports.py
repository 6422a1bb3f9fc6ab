"""Imports run one way: no module imports from the package it belongs to (tagger/__init__.py, which
is built on the modules), and the jieba shim (api, posseg, analyse, jieba_compat, jieba_aliases)
has no import circle, nor has any other module. Read from the source, lazy imports inside functions included."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tagger"
JIEBA_SHIM = {"tagger.api", "tagger.posseg", "tagger.analyse", "tagger.jieba_compat", "tagger.jieba_aliases"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str]]:
    """(module imported, name taken from it) for every relative import in the file."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.append((submodule, "") if submodule in known else (target, alias.name))
    return found


def test_no_module_imports_from_its_package():
    known = modules()
    upward = [f"{name} takes {taken} from {target}" for name, path in known.items() if path.name != "__init__.py"
              for target, taken in imports(name, path, known) if taken and known[target].name == "__init__.py"]
    assert not upward, upward


def test_the_jieba_shim_has_no_import_circle():
    known = modules()
    graph = {name: {target for target, _ in imports(name, known[name], known)} & JIEBA_SHIM for name in JIEBA_SHIM}

    def reaches(start: str, goal: str, seen: set) -> bool:
        return any(step == goal or (step not in seen and reaches(step, goal, seen | {step})) for step in graph[start])
    assert not [name for name in sorted(JIEBA_SHIM) if reaches(name, name, set())]
    assert graph["tagger.jieba_aliases"] == set()  # the bottom layer imports none of the others


def test_no_module_of_the_package_is_in_an_import_circle():
    """No circle anywhere (ensemble <-> modelio was one: the ensemble now takes loaded members)."""
    known = modules()
    modules_only = {name for name, path in known.items() if path.name != "__init__.py"}
    graph = {name: {target for target, _ in imports(name, known[name], known)} & modules_only for name in modules_only}
    in_circle = []
    for start in sorted(graph):
        frontier, seen = list(graph[start]), set()
        while frontier:
            step = frontier.pop()
            if step == start:
                in_circle.append(start)
                break
            if step not in seen:
                seen.add(step)
                frontier.extend(graph[step])
    assert not in_circle, in_circle


def test_every_module_is_small_and_named_in_the_module_table():
    """docs/model.md's table names every module (the code map a newcomer reads), and no module
    grows past about 400 lines (past that, a module has usually taken on a second job)."""
    table = (PACKAGE.parent / "docs" / "model.md").read_text(encoding="utf-8")
    paths = [path for path in PACKAGE.rglob("*.py") if not path.name.startswith("__")]
    unnamed = [str(path.relative_to(PACKAGE.parent)) for path in paths
               if f"`{path.relative_to(PACKAGE.parent).as_posix()}`" not in table
               and f"`{path.parent.relative_to(PACKAGE.parent).as_posix()}/`" not in table]
    assert not unnamed, unnamed
    long = {path.name: n for path in paths if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450}
    assert not long, long
