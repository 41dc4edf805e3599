"""The layering facts ARCHITECTURE.md states, checked on the source so they stay true.

- the core (``prep/``) and the procedures (``procs/``) never import the rule pack (``rules/``): the engine finds
  rules through the rule pack loader (``prep.engine.pack``), and ``prepare`` dispatches on what each rule declares;
- no rule code (``DU002``, ``IO001`` ...) is written as a string in the core or the procedures outside
  docstrings, so renaming or removing a rule touches only ``rules/``;
- ``prep/`` has no import cycle, counting the imports made inside functions (they hide cycles, they do not
  remove them);
- no module in ``prep/`` or ``procs/`` is over 600 lines, and no function over 100.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("prep", "procs")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100
RULE_CODE = re.compile(r"\b[A-Z]{2}\d{3}\b")


def modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (functions included), resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names.add(stem)
            # ``from prep import quoting`` imports the module prep.quoting, not just the package.
            names.update(f"{stem}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_the_core_and_the_procedures_never_import_the_rule_pack():
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported(path) if name == "prep.rules" or name.startswith("prep.rules."))
        for path in modules(*LAYERS)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_rule_code_is_written_in_the_core_or_the_procedures():
    found = {}
    for path in modules(*LAYERS):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = docstring_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                codes = RULE_CODE.findall(node.value)
                if codes:
                    found.setdefault(f"{path.relative_to(ROOT)}:{node.lineno}", codes)
    assert found == {}


def test_the_checks_see_what_they_look_for():
    """The checks above would pass on an empty tree: make sure they read the real one."""
    assert len(modules("prep")) > 30
    assert "prep.engine.pack" in {module_name(p) for p in modules("prep")}
    assert any(name.startswith("prep.") for name in imported(ROOT / "prep" / "cli.py"))
    sample = ast.parse('"""DU002 in a docstring"""\nx = "IO001"\n')
    strings = [n for n in ast.walk(sample) if isinstance(n, ast.Constant) and id(n) not in docstring_nodes(sample)]
    assert [RULE_CODE.findall(n.value) for n in strings] == [["IO001"]]


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in modules("prep")}
    graph = {}
    for name, path in paths.items():
        graph[name] = {other for other in imported(path) if other in paths and other != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_prep_has_no_import_cycle():
    """A package importing its own submodules (``prep.engine`` -> ``prep.engine.rule``) is not a cycle unless a
    submodule imports the package back; the graph counts both directions like any other edge."""
    graph = import_graph()
    # A submodule's import of its parent package is how Python loads it, not a dependency on what the parent re-exports.
    for name, edges in graph.items():
        edges.difference_update(parent for parent in list(edges) if name.startswith(parent + "."))
    assert cycles(graph) == []


@pytest.mark.parametrize("package", LAYERS)
def test_modules_and_functions_stay_small(package):
    too_long = {}
    for path in modules(package):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + (not text.endswith("\n"))
        where = str(path.relative_to(ROOT))
        if lines > MAX_MODULE_LINES:
            too_long[where] = lines
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long[f"{where}:{node.name}"] = length
    assert too_long == {}


def test_the_pre_commit_hook_takes_exactly_the_formats_prep_reads():
    """The hook's ``files`` pattern is the one other place the suffixes appear; it must follow the readers' table."""
    import yaml

    from prep.readers import FORMATS

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    pattern = re.compile(hook["files"])
    for suffix in FORMATS:
        assert pattern.search(f"data/train{suffix}") and pattern.search(f"data/train{suffix}.gz"), suffix
        assert pattern.search(f"data/TRAIN{suffix.upper()}.GZ"), suffix  # prep reads suffixes in any case
    for other in (".txt", ".tsv", ".xlsx", ".jsonl.bz2", ".py"):
        assert not pattern.search(f"data/train{other}"), other
    listed = {s for group in re.findall(r"\\\.\(([^()]*)\)", hook["files"]) for s in group.split("|")}
    assert listed == {suffix.lstrip(".") for suffix in FORMATS}
