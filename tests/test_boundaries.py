"""The domain core imports nothing of the web, the cache, the job queue or the database, and its public names are guarded."""

from __future__ import annotations

import ast
from pathlib import Path

import optimizer

CORE = Path(optimizer.__file__).parent
FORBIDDEN = {"fastapi", "starlette", "redis", "rq", "sqlalchemy", "psycopg", "uvicorn", "api"}


def test_core_imports_nothing_of_the_service() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_public_namespace_is_what_all_says() -> None:
    public = {n for n in dir(optimizer) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(optimizer, n)).__name__ == "module"}
    assert set(optimizer.__all__) == public - modules
