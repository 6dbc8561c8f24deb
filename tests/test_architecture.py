"""The shape of the code: no import cycle inside ``optimizer/`` or ``api/``, and a core that knows nothing of the service.

The import graph is read from the source with :mod:`ast` (nothing is
imported to draw it), so a cycle is found even where it would only bite at
run time. What counts as an edge ``a -> b``:

- every ``import b`` and ``from b import name`` in module ``a``, wherever it
  stands: at module level, inside a function or method, inside ``try``;
  relative imports (``from .x import y``) are resolved against ``a``'s package;
- ``from p import name`` is an edge to the module ``p.name`` when that module
  exists, and to ``p`` (its ``__init__``) otherwise;
- imports under ``if TYPE_CHECKING:`` do **not** count: they never run, and
  they are how a type can be named across a boundary without a run-time edge;
- the implicit import of a parent package (importing ``p.q`` runs ``p``'s
  ``__init__``) does not count either, as in ``grimp``/``import-linter``:
  counting it would make every package's ``__init__`` that re-exports a
  submodule a "cycle" with it.

A hand-written walk rather than ``import-linter``: the rule is twenty lines
of :mod:`ast` and needs no package the project does not already use.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import optimizer

ROOT = Path(__file__).resolve().parent.parent
#: what the core must never import: the web, the cache, the job queue, the database and the service itself
FORBIDDEN = {"fastapi", "starlette", "redis", "rq", "sqlalchemy", "alembic", "psycopg", "psycopg2", "uvicorn", "jinja2", "httpx", "api"}


def _modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (a package is named by its ``__init__``)."""
    base = ROOT / package
    out = {}
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of ``tree`` except those under ``if TYPE_CHECKING:`` (their ``else`` counts)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module that ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def imported_names(module: str, path: Path) -> list[list[str]]:
    """Per import, the absolute names it may mean, most specific first.

    ``import p.q`` gives ``[p.q]``; ``from p import name`` gives ``[p.name, p]`` (the module ``p.name`` if it
    exists, else a name defined in ``p``).
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    names: list[list[str]] = []
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            names += [[a.name] for a in node.names]
        else:
            target = _resolve(module, is_package, node)
            names += [[f"{target}.{a.name}", target] for a in node.names]
    return names


def graph(package: str) -> dict[str, set[str]]:
    """The import graph among ``package``'s own modules."""
    modules = _modules(package)
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for meanings in imported_names(name, path):
            for meaning in meanings:
                # the longest prefix that is one of the package's modules ("import p.q.r" of a module p.q.r)
                parts = meaning.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                if parts and (".".join(parts) == meaning or meaning == meanings[-1]):
                    targets.add(".".join(parts))
                    break
        edges[name] = targets - {name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one closed path through its first module.

    Every module of a component reaches every other, so the path shown is one cycle of it; :func:`groups` lists all members.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(_path(sorted(component), edges))
                _MEMBERS[found[-1][0]] = sorted(component)

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


#: the members of each component :func:`cycles` found, by its first module (for the failure message)
_MEMBERS: dict[str, list[str]] = {}


def _path(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One cycle through the component's first module, found breadth-first, as ``a -> b -> ... -> a``."""
    members, start = set(component), component[0]
    came: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v] & members):
                if w == start:
                    route = [v]
                    while route[-1] != start:
                        route.append(came[route[-1]])
                    return [start, *reversed(route[:-1]), start] if len(route) > 1 else [start, v, start]
                if w not in came:
                    came[w] = v
                    nxt.append(w)
        frontier = nxt
    return component  # pragma: no cover - a strongly connected component always holds a cycle


@pytest.mark.parametrize("package", ["optimizer", "api"])
def test_no_import_cycle(package: str) -> None:
    """No module of the package reaches itself through imports, counting imports inside functions."""
    found = cycles(graph(package))
    assert found == [], f"import cycles in {package}/ (one path per strongly connected group, then the group):\n" + "\n".join(
        f"  {' -> '.join(path)}\n    group: {', '.join(_MEMBERS[path[0]])}" for path in found
    )


def test_the_walk_finds_a_cycle_through_a_function_import(tmp_path: Path) -> None:
    """The cycle finder on a hand-drawn graph: a -> b -> c -> a is one cycle, d -> a is not part of it."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = "def f():\n    from p.b import x\n"
    tree = ast.parse(source)
    assert [n.module for n in _imports(tree) if isinstance(n, ast.ImportFrom)] == ["p.b"]
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p.b import x\n"
    assert [n.module for n in _imports(ast.parse(guarded)) if isinstance(n, ast.ImportFrom)] == ["typing"]


def test_relative_imports_are_resolved() -> None:
    node = ast.parse("from ..b import c").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _resolve("p.q.m", False, node) == "p.b"
    assert _resolve("p.q", True, node) == "p.b"


def test_core_imports_nothing_of_the_service() -> None:
    offenders = []
    for name, path in _modules("optimizer").items():
        for meanings in imported_names(name, path):
            imported = meanings[-1]
            if imported.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)}: {imported}")
    assert sorted(set(offenders)) == []


def test_public_namespace_is_what_all_says() -> None:
    public = {n for n in dir(optimizer) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(optimizer, n)).__name__ == "module"}
    assert set(optimizer.__all__) == public - modules


def test_the_registry_is_imported_by_nothing_it_registers() -> None:
    """The back ends import the interface (optimizer.backends.base) only, never the registry or the package that re-exports it."""
    edges = graph("optimizer")
    registered = [
        m for m in edges if m.startswith("optimizer.backends.") and m not in ("optimizer.backends.base", "optimizer.backends.registry")
    ]
    assert registered, "no back-end modules found"
    assert {m: sorted(edges[m] & {"optimizer.backends", "optimizer.backends.registry"}) for m in registered} == {m: [] for m in registered}
    assert set(registered) <= edges["optimizer.backends.registry"]


def test_only_the_session_runs_a_back_end() -> None:
    """Every solve goes through optimizer.session.solve_programme (money scaled, solution checked).

    Outside the session and the back ends themselves (whose ``model.solve`` is their solver's call), no module
    calls a back end's ``solve`` method: a call ``<something>.solve(...)`` is the sign of a solve that skips the
    scaling and the check.
    """
    offenders = []
    for name, path in _modules("optimizer").items():
        if name == "optimizer.session" or name.startswith("optimizer.backends."):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "solve":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_service_imports_the_core_only_through_its_public_namespace() -> None:
    """``api/`` imports ``optimizer`` (its ``__init__``, the flat namespace) and none of its modules, counting imports in functions.

    A test rather than ruff's ``banned-api``: ruff bans named modules one by one and for every file alike,
    while this rule is "any submodule of optimizer, from api/ only", including modules added later.
    """
    offenders = []
    for name, path in _modules("api").items():
        for node in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                written = [a.name for a in node.names]
            else:
                written = [_resolve(name, path.name == "__init__.py", node)]
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}: {w}" for w in written if w.startswith("optimizer.")]
    assert offenders == [], "import these names from optimizer instead (add them to optimizer/__init__.py):\n" + "\n".join(offenders)


def test_no_module_of_the_core_imports_its_public_namespace() -> None:
    """The core's modules import each other, never ``optimizer`` itself: so ``optimizer/__init__.py`` may re-export any of them without a cycle."""
    edges = graph("optimizer")
    assert sorted(m for m, targets in edges.items() if "optimizer" in targets) == []
