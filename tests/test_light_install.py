"""``pip install totalplace`` gives the core and the command line with HiGHS: no service stack, no cross-check solvers.

A process in which the service's and the other solvers' packages cannot be imported (as
after a bare ``pip install totalplace``) solves a scenario from the command line, and the
service's commands say which extra to install instead of failing on an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
SERVICE = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "cachetools",
    "psycopg",
    "redis",
    "rq",
    "prometheus_client",
    "pydantic_settings",
    "fastapi_offline",
)
SOLVERS = ("ortools", "pulp")
BLOCKED = SERVICE + SOLVERS + ("pyarrow",)

RUN_WITHOUT = """
import importlib.abc, importlib.util, sys
BLOCKED = {blocked!r}
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Absent())
_find = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name.split('.')[0] in BLOCKED else _find(name, *a)
sys.argv = ['totalplace', *{args!r}]
from api.cli import main
main()
"""


def _run_without(*args: str) -> subprocess.CompletedProcess[str]:
    code = RUN_WITHOUT.format(blocked=BLOCKED, args=list(args))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_the_core_s_dependencies_hold_no_service_and_no_other_solver() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {
        dep.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower().replace("_", "-") for dep in project["dependencies"]
    }
    assert "highspy" in names and "typer" in names
    for package in ("fastapi", "uvicorn", "sqlalchemy", "redis", "rq", "psycopg", "ortools", "pulp", "pyarrow", "pydantic-settings"):
        assert package not in names, package
    extras = project["optional-dependencies"]
    assert {"service", "solvers", "parquet", "dev"} <= set(extras)
    assert any(d.startswith("totalplace[") and all(e in d for e in ("service", "solvers", "parquet")) for d in extras["dev"])


def test_the_command_line_solves_without_the_service_stack(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = _run_without("solve", str(TINY), "-q", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["status"] == "optimal"
    assert "Traceback" not in proc.stderr


def test_the_service_s_commands_name_the_extra_to_install() -> None:
    proc = _run_without("serve")
    assert proc.returncode == 2 and "totalplace[service]" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_cross_check_solver_not_installed_is_exit_3() -> None:
    proc = _run_without("solve", str(TINY), "-q", "--solver", "cbc")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path) -> None:
    proc = _run_without("solve", str(TINY), "-q", "--allocations", str(tmp_path / "a.parquet"))
    assert proc.returncode == 2 and "totalplace[parquet]" in proc.stderr, proc.stderr
