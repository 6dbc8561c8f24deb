"""A refused oversized body reaches a client that writes it all before reading, and the server does not keep it.

A real uvicorn process (``totalplace serve``) and Python's own ``urllib``, which
sends the whole body before it reads a byte of the answer.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from service_testing import add_key, api_server

from api.settings import Settings

MB = 1_000_000


def _status_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident memory) of ``pid``, in kB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to read the server's memory")
def test_a_60_mb_body_sent_whole_by_urllib_gets_the_413_and_its_message_and_the_server_keeps_none_of_it(
    embedded_settings: Settings, tmp_path: Path
) -> None:
    headers = add_key(embedded_settings, "board")
    body = b'{"name": "' + b"x" * (60 * MB) + b'"}'
    with api_server(embedded_settings, tmp_path / "api.log") as (base, proc):
        before = _status_kb(proc.pid)
        Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
        for path in ("/v1/solve", "/v1/scenarios"):
            request = urllib.request.Request(
                f"{base}{path}", data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=120)
            assert refused.value.code == 413, path
            detail = json.loads(refused.value.read())["detail"]
            assert "request body too large" in detail and "16,777,216 bytes" in detail and "TOTALPLACE_MAX_BODY_BYTES" in detail
            assert refused.value.headers["Connection"] == "close"
        after = _status_kb(proc.pid)
        # the server read 120 MB in all; its peak memory must not have grown by anything like one body
        assert after["VmHWM"] - before["VmRSS"] < 20_000, (before, after)
        assert after["VmRSS"] - before["VmRSS"] < 20_000, (before, after)
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as alive:  # and it still serves
            assert alive.status == 200
