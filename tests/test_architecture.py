"""The house's rooms and doors: imports point one way (``cli`` → ``io``, ``store`` →
``domain``), no module imports itself back through another (typing-only imports count: a
circle drawn for the type checker is still a circle a reader must walk), and no module grows
past ~500 lines without saying at its top why it is one."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src"
PACKAGE = SRC / "sixplustwo"
LONG = 500
# The layers a module of each package may import (besides its own package and the top-level
# helpers, sixplustwo and sixplustwo.faults).
LAYERS = {
    "domain": {"domain"},
    "store": {"store", "domain"},
    "io": {"io", "domain"},
    # `sixplustwo serve` starts the page: the one door from the CLI into web/ (cli/serve.py).
    "cli": {"cli", "io", "store", "domain", "web"},
    "web": {"web", "io", "store", "domain"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of ours that ``name`` imports, anywhere in it (inside functions and
    ``if TYPE_CHECKING:`` blocks too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_point_one_way():
    wrong = []
    for name, imported in _graph().items():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] not in LAYERS:
            continue
        allowed = LAYERS[parts[1]]
        for other in sorted(imported):
            layer = other.split(".")[1] if other.count(".") else None
            if layer in LAYERS and layer not in allowed:
                wrong.append(f"{name} imports {other}")
    assert wrong == []


def test_a_long_module_says_why_it_is_one():
    """Over ~500 lines, a module's docstring has a paragraph beginning "Why one module:"."""
    unexplained = []
    for name, path in sorted(_modules().items()):
        text = path.read_text("utf-8")
        lines = text.count("\n")
        if lines > LONG and "Why one module:" not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{name} ({lines} lines)")
    assert unexplained == []
