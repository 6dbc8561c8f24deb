"""Audit the installed dependencies for known vulnerabilities (pip-audit), and never pass without having audited.

    .venv/bin/python .ci/audit.py          (what `make audit` and CI run)

pip-audit asks a vulnerability service (PyPI's JSON API by default) about every installed distribution.
When it cannot reach the service it says "Dependency not found on PyPI and could not be audited" for each
one, and still exits 0: a silent pass. This wrapper reads pip-audit's JSON report instead and exits

    0  every dependency audited, no known vulnerability
    1  a known vulnerability (each listed with the versions that fix it: raise that floor in pyproject.toml)
    3  some dependencies could not be audited (the service is unreachable): under CI=true this fails the
       run, unless TOTALPLACE_AUDIT_UNREACHABLE=warn says that this machine cannot reach any service, in
       which case a banner says loudly that no audit was done (and the exit code is 0)
    2  pip-audit itself could not run

TOTALPLACE_AUDIT_SERVICE picks the service (``pypi``, the default, or ``osv``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BANNER = "=" * 78


def main() -> int:
    service = os.environ.get("TOTALPLACE_AUDIT_SERVICE", "pypi")
    pip_audit = Path(sys.executable).with_name("pip-audit")
    run = subprocess.run([str(pip_audit), "--local", "--skip-editable", "--format", "json", "--progress-spinner", "off",
                          "--vulnerability-service", service, "--timeout", "20"], capture_output=True, text=True, timeout=900)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print(f"audit: pip-audit did not run (exit {run.returncode}):\n{run.stderr[-3000:]}", file=sys.stderr)
        return 2
    deps = [d for d in report.get("dependencies", []) if "editable" not in d.get("skip_reason", "")]  # the project itself
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if "skip_reason" in d]
    audited = len(deps) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})", file=sys.stderr)
    if vulnerable:
        print(f"audit: FAILED: {len(vulnerable)} of {len(deps)} dependencies have known vulnerabilities", file=sys.stderr)
        return 1
    if skipped:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        message = (f"DEPENDENCY AUDIT NOT DONE: {len(skipped)} of {len(deps)} dependencies could not be audited "
                   f"against '{service}' ({'; '.join(reasons)}). Only {audited} were checked.")
        ci = os.environ.get("CI", "").lower() == "true"
        allowed = os.environ.get("TOTALPLACE_AUDIT_UNREACHABLE", "").lower() == "warn"
        print(f"{BANNER}\n{message}\n{BANNER}", file=sys.stderr)
        if ci and not allowed:
            print("audit: FAILED: under CI=true an audit that could not run is a failure", file=sys.stderr)
            return 3
        return 0
    print(f"audit: {audited} dependencies audited against '{service}': no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main())
