"""The layout the README describes: no import circles, each query in one stage folder with a header."""

from __future__ import annotations

import ast
from pathlib import Path

from prefstore import queries

from .conftest import REPO

PACKAGE = REPO / "src" / "prefstore"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every prefstore module `path` imports, at module level or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("prefstore"):
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("prefstore"))
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        edges[name] = {m for m in imports_of(path) if m in modules and m != name
                       # a package's __init__ re-exporting its own modules is not a circle
                       and not (path.name == "__init__.py" and m.startswith(name + "."))}
    return edges


def test_no_import_circles():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                circle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_every_query_sits_in_a_stage_folder_with_a_header():
    files = sorted(queries.sql_dir().rglob("*.sql"))
    assert files
    for path in files:
        relative = path.relative_to(queries.sql_dir())
        assert len(relative.parts) == 2, f"{relative}: queries live in sql/<stage>/<name>.sql"
        text = path.read_text(encoding="utf-8")
        name = relative.with_suffix("").as_posix()
        assert text.startswith(f"-- {name}: "), f"{relative}: the header's first line names the query"
        header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
        assert "parameter" in header.lower() or "$" in header, f"{relative}: the header says what goes in"


def test_only_the_store_connects_to_duckdb():
    for path in PACKAGE.rglob("*.py"):
        if path.name != "store.py":
            assert "duckdb.connect(" not in path.read_text(encoding="utf-8"), path
