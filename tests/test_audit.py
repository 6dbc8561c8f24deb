"""The dependency audit's decisions (.ci/audit.py), with PyPI's answers replaced by fixed documents.

Only the decision logic is faked here; `make audit` and `.ci/run` run the
audit against the real services.
"""

from __future__ import annotations

import importlib.util
import sys
import urllib.error
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["ci_audit"] = module
    spec.loader.exec_module(module)
    return module


def _doc(latest: str, vulns: list[dict[str, object]] | None = None, requires_python: str | None = None) -> dict[str, object]:
    return {"info": {"version": latest, "requires_python": requires_python}, "vulnerabilities": vulns or []}


def test_latest_release_with_a_vulnerability_is_reported(audit: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    vuln = {"id": "PYSEC-0000-1", "fixed_in": ["9.9"], "withdrawn": None}
    monkeypatch.setattr(audit, "_project", lambda name: _doc("1.0", [vuln, {"id": "GONE", "withdrawn": "2026-01-01"}]))
    found = audit.check_latest("somepkg", "1.0")
    assert [v["id"] for v in found.vulns] == ["PYSEC-0000-1"]  # the withdrawn advisory is not counted
    assert not found.held_by and found.unreachable is None


def test_latest_release_without_vulnerabilities_is_clean(audit: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_project", lambda name: _doc("2.0"))
    found = audit.check_latest("somepkg", "2.0")
    assert found.vulns == [] and found.latest == "2.0" and not found.held_by


def test_an_old_release_is_held_back_by_an_installed_requirement(audit: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # pyproject.toml pins highspy below 1.15: the project's own installed metadata says so
    monkeypatch.setattr(audit, "_project", lambda name: _doc("99.0"))
    found = audit.check_latest("highspy", "1.14.0")
    assert any(h.startswith("totalplace requires highspy") for h in found.held_by)
    assert found.vulns == []  # the latest release's list says nothing about an older one


def test_an_old_release_held_by_nothing_is_stale(audit: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_project", lambda name: _doc("99.0"))
    found = audit.check_latest("no-such-dependency-here", "1.0")
    assert found.held_by == [] and found.latest == "99.0"


def test_an_old_release_held_by_the_python_version(audit: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_project", lambda name: _doc("99.0", requires_python=">=3.99"))
    found = audit.check_latest("no-such-dependency-here", "1.0")
    assert found.held_by and "requires Python >=3.99" in found.held_by[0]


def test_no_answer_is_unreachable_not_clean(audit: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str) -> dict[str, object]:
        raise urllib.error.URLError("name resolution failed")

    monkeypatch.setattr(audit, "_project", refuse)
    found = audit.check_latest("somepkg", "1.0")
    assert found.unreachable == "name resolution failed" and found.vulns == []
