"""Every command of ``totalplace``, found from the typer app itself: ``--help``, a valid input and a bad one.

Each must end with exit code 0 (help, valid), 2 (bad input, usage error) or 3 (solver missing), and never
print a traceback. The commands are enumerated from the app, so a new command fails
``test_every_command_has_a_case`` until it is given a case here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
REDIS = os.environ.get("TOTALPLACE_TEST_REDIS", "redis://127.0.0.1:6379/15")


def commands(cmd: Any | None = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every leaf command of the app (``('keys', 'create')``, ...)."""
    cmd = typer.main.get_command(app) if cmd is None else cmd
    subs = getattr(cmd, "commands", None)
    if subs:
        for name, sub in sorted(subs.items()):
            yield from commands(sub, (*path, name))
    else:
        yield path


@dataclass(frozen=True)
class Case:
    """Arguments (``{tmp}`` stands for a fresh folder) of one valid and one bad call, and the bad call's exit code."""

    valid: list[str]
    bad: list[str]
    bad_code: int = 2
    subprocess: bool = False  # run in a process of its own (it serves, or installs signal handlers)


def _tiny_result(tmp: Path) -> Path:
    """A result whose allocations were written to a CSV of their own (as a national result's are)."""
    from optimizer.cli.main import solve_to_files
    from optimizer.forms import load_scenario

    out = tmp / "kept" / "r.json"
    solve_to_files(load_scenario(TINY), None, out, allocations=tmp / "kept" / "r.allocations.csv")
    return out


CASES: dict[tuple[str, ...], Case] = {
    ("solve",): Case([str(TINY), "-q", "-o", "{tmp}/r.json"], [str(TINY), "--formulation", "bogus"]),
    ("validate",): Case([str(TINY)], ["{tmp}/missing.json"]),
    ("export",): Case([str(TINY), "--mps", "{tmp}/t.mps"], [str(TINY), "--mps", "{tmp}/t.mps", "--formulation", "merged"]),
    ("convert",): Case([str(TINY), "{tmp}/t.yaml"], ["{tmp}/missing.json", "{tmp}/t.yaml"]),
    ("scenario", "build"): Case(["--lad", "Adur", "-o", "{tmp}/adur.json"], ["-o", "{tmp}/x.json"]),
    ("scenario", "places"): Case(["lad"], ["county"]),
    ("residents", "aggregate"): Case(
        [str(ROOT / "tests" / "data" / "residents_survey.csv"), "--min-respondents", "1"],
        [str(ROOT / "tests" / "data" / "residents_survey.csv"), "--scenario", str(TINY), "-o", "{tmp}/s.json"],
    ),
    ("residents", "synthetic"): Case(
        ["--scenario", str(ROOT / "scenarios" / "camden.json"), "-n", "20", "-o", "{tmp}/s.csv"],
        ["--scenario", str(TINY), "-n", "5", "-o", "{tmp}/s.csv"],
    ),
    ("residents", "vote"): Case(
        [str(ROOT / "tests" / "data" / "residents_vote.pb"), "--scenario", str(TINY), "-o", "{tmp}/v.json"],
        [str(ROOT / "tests" / "data" / "residents_vote.pb"), "--scenario", str(TINY), "-o", "{tmp}/v.json", "--rule", "borda"],
    ),
    ("residents", "report"): Case(
        [str(ROOT / "tests" / "data" / "residents_place.json"), "--vote-commitments", "1", "-o", "{tmp}/r.json"],
        [str(ROOT / "tests" / "data" / "residents_place.json"), "--vote-commitments", "2"],
    ),
    ("split",): Case([str(TINY), "-o", "{tmp}/split.json"], [str(TINY)]),
    ("frontier",): Case([str(TINY), "-o", "{tmp}/f.json", "--points", "3"], [str(TINY), "-o", "{tmp}/f.json", "--chart", "{tmp}/f.png"]),
    ("sensitivity",): Case([str(TINY)], [str(TINY), "--workers", "0"]),
    ("montecarlo",): Case([str(TINY), "-o", "{tmp}/m.json", "-n", "4"], [str(TINY), "-o", "{tmp}/m.json", "--distribution", "normal"]),
    ("compare",): Case([str(TINY), str(TINY)], [str(TINY), "{tmp}/missing.json"]),
    ("appraisal",): Case([str(TINY), "--csv", "{tmp}/a.csv", "--result", "{result}"], [str(TINY), "--result", "{tmp}/r.json"]),
    ("map",): Case(
        ["{result}", "--scenario", str(TINY), "--output", "{tmp}/map.svg"],
        ["{result}", "--scenario", str(TINY), "--output", "{tmp}/map.png"],
    ),
    ("serve",): Case(["--port", "{port}"], ["--workers", "2"], subprocess=True),
    ("worker",): Case(["--burst"], ["--processes", "x"], subprocess=True),
    ("keys", "create"): Case(["--tenant", "every-command-board"], ["--tenant", " "]),
    ("keys", "list"): Case([], ["--all"]),
    ("keys", "revoke"): Case(["{key_id}"], []),
    ("keys", "rotate"): Case(["{key_id}"], ["no-such-key"], bad_code=1),
    ("db", "upgrade"): Case([], ["head", "extra"]),
    ("db", "current"): Case([], ["extra"]),
    ("db", "stamp"): Case(["head"], []),
}


def test_every_command_has_a_case() -> None:
    found = set(commands())
    assert len(found) >= 15
    assert found == set(CASES), f"commands without a case: {sorted(found - set(CASES))}; cases of no command: {sorted(set(CASES) - found)}"


@pytest.fixture
def store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A SQLite store of its own for the keys and db commands (the settings are read afresh)."""
    from api.settings import get_settings

    env = {"TOTALPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TOTALPLACE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fill(args: list[str], tmp: Path, values: dict[str, Callable[[], str]]) -> list[str]:
    out = []
    for arg in args:
        for name, make in values.items():
            if "{" + name + "}" in arg:
                arg = arg.replace("{" + name + "}", make())
        out.append(arg.replace("{tmp}", str(tmp)))
    return out


def _key_id() -> str:
    from api.edge.auth import create_key, key_id_of
    from api.settings import get_settings
    from api.store.db import Database

    db = Database(get_settings().database_url)
    db.upgrade_schema()
    with db.session() as session:
        key, _ = create_key(session, "revoking-board", "")
        session.commit()
    key_id = key_id_of(key)
    assert key_id is not None
    db.dispose()
    return key_id


def _run_inline(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{args}: raised {result.exception!r}"
    return result.exit_code, result.output


def _run_process(args: list[str], env: dict[str, str], *, serve: bool = False) -> tuple[int, str]:
    full_env = os.environ | env
    cmd = [sys.executable, "-m", "api.cli", *args]
    if not serve:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr
    import httpx

    port = args[args.index("--port") + 1]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=full_env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"the service did not answer on port {port}")
        server.send_signal(2)  # Ctrl-C: a clean stop
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    return server.returncode, output


@pytest.mark.parametrize("path", sorted(CASES), ids=lambda p: " ".join(p))
def test_help_valid_and_bad_input_end_cleanly(path: tuple[str, ...], tmp_path: Path, store_env: dict[str, str]) -> None:
    case = CASES[path]
    code, output = _run_inline([*path, "--help"])
    assert code == 0 and "Usage" in output and "Traceback" not in output, output

    env = dict(store_env)
    if path == ("worker",):
        env["TOTALPLACE_REDIS_URL"] = REDIS
        env["TOTALPLACE_QUEUE_NAME"] = f"every-command-{os.getpid()}"
    values: dict[str, Callable[[], str]] = {
        "port": lambda: str(_free_port()),
        "result": lambda: str(_tiny_result(tmp_path)),
        "key_id": _key_id,
    }
    valid = [*path, *_fill(case.valid, tmp_path, values)]
    if case.subprocess:
        if path == ("worker",):
            pytest.importorskip("redis")
            import redis

            try:
                redis.Redis.from_url(REDIS).ping()
            except redis.RedisError:
                if os.environ.get("CI") == "true":
                    raise
                pytest.skip(f"no Redis at {REDIS}")
        code, output = _run_process(valid, env, serve=path == ("serve",))
    else:
        code, output = _run_inline(valid)
    assert code == 0 and "Traceback" not in output, (valid, code, output)

    bad = [*path, *_fill(case.bad, tmp_path, values)]
    bad_env = {k: v for k, v in store_env.items()}
    code, output = _run_process(bad, bad_env) if case.subprocess else _run_inline(bad)
    assert code == case.bad_code and "Traceback" not in output, (bad, code, output)
    assert output.strip(), "a refused input says why"


def test_refused_choices_are_listed() -> None:
    """A bad --solver or --formulation names every allowed value (the registry's back ends for --solver)."""
    from optimizer.backends import backend_names

    code, output = _run_inline(["solve", str(TINY), "--solver", "nope"])
    assert code == 2
    flat = " ".join(output.split())
    for name in backend_names():
        assert f"'{name}'" in flat, (name, flat)
    code, output = _run_inline(["solve", str(TINY), "--formulation", "bogus"])
    flat = " ".join(output.split())
    assert code == 2 and all(f"'{f}'" in flat for f in ("auto", "merged", "pooled", "full")), flat


def test_merged_on_a_mixed_integer_scenario_says_why(tmp_path: Path) -> None:
    data = json.loads(TINY.read_text())
    data["interventions"][0]["fixed_cost"] = 5000.0
    src = tmp_path / "mip.json"
    src.write_text(json.dumps(data))
    code, output = _run_inline(["solve", str(src), "--formulation", "merged"])
    assert code == 2 and "mixed-integer" in output and "--formulation auto" in output, output


def test_appraisal_reads_a_result_whose_allocations_are_in_their_own_file(tmp_path: Path) -> None:
    """The pack of a result with its allocations in a CSV equals the pack of the same result with them inline."""
    result = _tiny_result(tmp_path)
    data = json.loads(result.read_text())
    assert data["allocations"] is None and data["allocations_file"]["rows"] > 0
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "r.json").write_text(result.read_text())  # the pointer names kept/...; beside the result is found too
    (moved / "r.allocations.csv").write_text((result.parent / "r.allocations.csv").read_text())
    (result.parent / "r.allocations.csv").unlink()
    code, output = _run_inline(["appraisal", str(TINY), "--csv", str(tmp_path / "split.csv"), "--result", str(moved / "r.json")])
    assert code == 0, output
    code, output = _run_inline(["appraisal", str(TINY), "--csv", str(tmp_path / "inline.csv")])
    assert code == 0, output
    assert (tmp_path / "split.csv").read_text() == (tmp_path / "inline.csv").read_text()
    code, output = _run_inline(["appraisal", str(TINY), "--csv", str(tmp_path / "x.csv"), "--result", str(result)])
    assert code == 2 and "allocations" in output and "Traceback" not in output, output


def test_converting_a_result_says_how_to_get_its_workbook(tmp_path: Path) -> None:
    result = _tiny_result(tmp_path)
    code, output = _run_inline(["convert", str(result), str(tmp_path / "r.xlsx")])
    assert code == 2 and "is a result, not a scenario" in output and "--output r.xlsx" in output, output
