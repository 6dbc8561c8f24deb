"""Audit the installed dependencies for known vulnerabilities, and never pass without having audited.

    .venv/bin/python .ci/audit.py          (what `make audit` and CI run)

First pip-audit, which asks a vulnerability service (PyPI's per-release JSON API by default, or OSV)
about every installed distribution. When it cannot reach the service it says "Dependency not found on
PyPI and could not be audited" for each one and still exits 0: a silent pass. So this wrapper reads
pip-audit's JSON report, and audits every distribution that pip-audit skipped a second way:

    PyPI's project JSON (``https://pypi.org/pypi/NAME/json``) lists the known vulnerabilities of the
    project's *latest* release. A distribution installed at its latest release is audited by that list.
    One held below its latest release by a requirement of something installed (``highspy<1.15`` in
    pyproject.toml, ``protobuf<6.34`` from ortools, ...) or by this Python (numpy 2.5 needs 3.12) is
    named, with what holds it, as not audited.
    One that merely has a newer release (pinned by constraints.txt, or not upgraded yet) is a warning, not a
    failure: a release upstream must not turn CI red without a change here. It is listed as not audited
    (refresh the pins with ``make constraints``).

Some build machines reach PyPI's package index and its project JSON but neither the per-release JSON nor
OSV; on those, the second way is the audit. Exit codes:

    0  every dependency audited (except those held back by a requirement, which are listed), none vulnerable
    1  a known vulnerability (each listed with the versions that fix it: raise that floor in pyproject.toml)
    3  some dependencies could not be audited because no service answered: under CI=true this fails the
       run, unless TOTALPLACE_AUDIT_UNREACHABLE=warn says that this machine reaches no service, in which
       case a banner says loudly that no audit was done (and the exit code is 0)
    2  pip-audit itself could not run

TOTALPLACE_AUDIT_SERVICE picks pip-audit's service (``pypi``, the default, or ``osv``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

BANNER = "=" * 78
PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


@dataclass
class Finding:
    """What the second way found out about one distribution."""

    name: str
    version: str
    latest: str | None = None
    vulns: list[dict[str, object]] = field(default_factory=list)
    unreachable: str | None = None  # why PyPI did not answer
    held_by: list[str] = field(default_factory=list)  # requirements that exclude the latest release


def _project(name: str) -> dict[str, object]:
    with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=20) as response:  # noqa: S310 - a fixed https URL
        return json.load(response)  # type: ignore[no-any-return]


def _holders(name: str, latest: Version) -> list[str]:
    """The installed requirements (and the project's own) on ``name`` whose specifiers exclude ``latest``."""
    held = []
    canonical = canonicalize_name(name)
    for dist in metadata.distributions():
        for text in dist.requires or []:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue  # an extra nobody asked for, or another platform's requirement
            if canonicalize_name(req.name) == canonical and req.specifier and not req.specifier.contains(latest, prereleases=True):
                held.append(f"{dist.metadata['Name']} requires {req.name}{req.specifier}")
    return sorted(set(held))


def check_latest(name: str, version: str) -> Finding:
    """Audit one distribution by its project's latest-release vulnerability list."""
    found = Finding(name, version)
    try:
        doc = _project(name)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        found.unreachable = str(getattr(exc, "reason", exc))
        return found
    info = doc.get("info") or {}
    found.latest = str(info.get("version")) if isinstance(info, dict) else None
    try:
        current, latest = Version(version), Version(found.latest or "")
    except InvalidVersion:
        found.unreachable = f"cannot compare versions {version!r} and {found.latest!r}"
        return found
    if current >= latest:
        vulns = doc.get("vulnerabilities") or []
        found.vulns = [v for v in vulns if isinstance(v, dict) and not v.get("withdrawn")]
    else:
        found.held_by = _holders(name, latest)
        needs = info.get("requires_python") if isinstance(info, dict) else None
        python = Version(".".join(map(str, sys.version_info[:3])))
        if needs and not SpecifierSet(str(needs)).contains(python):
            found.held_by.append(f"{name} {latest} requires Python {needs} (this is {python})")
    return found


def pip_audit(service: str) -> dict[str, object] | None:
    pip_audit_bin = Path(sys.executable).with_name("pip-audit")
    run = subprocess.run([str(pip_audit_bin), "--local", "--skip-editable", "--format", "json", "--progress-spinner", "off",
                          "--vulnerability-service", service, "--timeout", "20"], capture_output=True, text=True, timeout=900)
    try:
        return json.loads(run.stdout)  # type: ignore[no-any-return]
    except ValueError:
        print(f"audit: pip-audit did not run (exit {run.returncode}):\n{run.stderr[-3000:]}", file=sys.stderr)
        return None


def main() -> int:
    service = os.environ.get("TOTALPLACE_AUDIT_SERVICE", "pypi")
    report = pip_audit(service)
    if report is None:
        return 2
    deps = [d for d in report.get("dependencies", []) if "editable" not in d.get("skip_reason", "")]  # type: ignore[union-attr]
    failures: list[str] = []
    for dep in deps:
        for vuln in dep.get("vulns") or []:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            failures.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    skipped = [d for d in deps if "skip_reason" in d]
    by_service = len(deps) - len(skipped)
    with ThreadPoolExecutor(max_workers=8) as pool:
        second = list(pool.map(lambda d: check_latest(d["name"], d.get("version") or metadata.version(d["name"])), skipped))
    unreachable = [f for f in second if f.unreachable]
    held = [f for f in second if not f.unreachable and f.held_by]
    stale = [f for f in second if not f.unreachable and f.latest and not f.held_by and Version(f.version) < Version(f.latest)]
    by_latest = [f for f in second if not f.unreachable and f not in held and f not in stale]
    for f in by_latest:
        for vuln in f.vulns:
            fixes = ", ".join(str(v) for v in vuln.get("fixed_in") or []) or "no fixed version yet"  # type: ignore[union-attr]
            failures.append(f"{f.name} {f.version}: {vuln.get('id')} (fixed in {fixes})")
    for f in stale:
        print(f"audit: warning: {f.name} {f.version} has a newer release ({f.latest}); not audited here (only the latest "
              "release's advisories are reachable): refresh the pins with `make constraints`", file=sys.stderr)
    for f in held:
        print(f"audit: not audited: {f.name} {f.version} (latest {f.latest}) is held back: {'; '.join(f.held_by)}. "
              "Advisories for releases before the latest are not reachable from this machine.", file=sys.stderr)
    if failures:
        for line in failures:
            print(f"audit: {line}", file=sys.stderr)
        print(f"audit: FAILED: {len(failures)} problem(s) in {len(deps)} dependencies", file=sys.stderr)
        return 1
    if unreachable:
        reasons = sorted({f.unreachable or "" for f in unreachable})[:3]
        message = (f"DEPENDENCY AUDIT NOT DONE: {len(unreachable)} of {len(deps)} dependencies could not be audited: neither "
                   f"'{service}' nor PyPI's project JSON answered ({'; '.join(reasons)}).")
        print(f"{BANNER}\n{message}\n{BANNER}", file=sys.stderr)
        ci = os.environ.get("CI", "").lower() == "true"
        if ci and os.environ.get("TOTALPLACE_AUDIT_UNREACHABLE", "").lower() != "warn":
            print("audit: FAILED: under CI=true an audit that could not run is a failure", file=sys.stderr)
            return 3
        return 0
    print(f"audit: {len(deps)} dependencies: {by_service} audited by '{service}', {len(by_latest)} at their latest release by "
          f"PyPI's project JSON, {len(held)} held back by a requirement and {len(stale)} with a newer release (listed above); no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main())
