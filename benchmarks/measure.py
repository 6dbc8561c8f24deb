"""Running a command in a fresh process and measuring it: wall seconds and peak memory; the machine's description.

Peak memory is GNU time's ``%M`` (``/usr/bin/time``): the largest resident
set of the command or of any of its own children that it waited for (CBC,
run by PuLP, counts). Not ``os.wait4`` on a child forked from here: Linux
carries the resident set of the process that forks into the child's
``ru_maxrss`` (the high-water mark of the address space replaced at
``exec``), so every figure would include this harness's ~100-250 MiB.
``/usr/bin/time`` is a small C program, so what it forks starts small.
Where it is missing, :func:`os.wait4` is used and the figures are upper bounds.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Measured:
    """One measured process."""

    wall: float
    peak_mib: float
    returncode: int
    timed_out: bool
    stdout: str
    stderr: str


GNU_TIME = "/usr/bin/time" if shutil.which("/usr/bin/time") else None


def run_measured(cmd: list[str], timeout: float, cwd: Path | None = None) -> Measured:
    """Run ``cmd``; kill its process group after ``timeout`` seconds. Wall time from start to reaping."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, tempfile.NamedTemporaryFile("r") as peak:
        if GNU_TIME:
            cmd = [GNU_TIME, "-f", "%M", "-o", peak.name, *cmd]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
        out.seek(0)
        err.seek(0)
        kib = float(usage.ru_maxrss)
        if GNU_TIME:  # the last line is %M in KiB (before it, "Command exited with non-zero status N" or a signal)
            lines = Path(peak.name).read_text().split()
            kib = float(lines[-1]) if lines and lines[-1].isdigit() else kib
        return Measured(wall, kib / 1024.0, proc.returncode, killed.is_set(), out.read(), err.read())


def cli_command() -> list[str]:
    """The ``totalplace`` console script of this interpreter's environment (else ``python -m api``)."""
    script = Path(sys.executable).parent / "totalplace"
    return [str(script)] if script.exists() else [sys.executable, "-m", "api"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """What the figures were measured on (versions read from package metadata: nothing is imported)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": cores,
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {d: _version(d) for d in ("highspy", "PuLP", "ortools", "numpy", "scipy", "totalplace")},
    }
