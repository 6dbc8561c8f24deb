"""Spreadsheets and tables out: ``solve --output result.xlsx``, ``--allocations FILE.parquet`` and ``GET /v1/results/{hash}.xlsx``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from optimizer.money import to_pence

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
SHEETS = ["Summary", "Allocations", "Spending by pool and year", "Who pays and who gains", "Binding rules", "Shadow prices"]


def _solve(*args: str) -> None:
    result = CliRunner().invoke(app, ["solve", *args])
    assert result.exit_code == 0, result.output


def _header_row(ws: openpyxl.worksheet.worksheet.Worksheet, first: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == first)


def _check_workbook(path: Path, result: dict[str, object]) -> None:
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for ws in wb:  # the scenario's hash, the date and the model version on every sheet
        stamp = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(2, 5)}
        assert stamp["scenario_hash"] == result["scenario_hash"] and stamp["model_version"] == 2 and "UTC" in str(stamp["written"]), (
            ws.title
        )
    ws = wb["Allocations"]
    head = _header_row(ws, "area")
    names = [c.value for c in ws[head]]
    assert names[:5] == ["area", "area_name", "local_authority_code", "local_authority", "imd_decile"]
    rows = [dict(zip(names, (c.value for c in ws[r]), strict=True)) for r in range(head + 1, ws.max_row + 1)]
    assert rows and all(r["intervention_name"] and r["pool_name"] and r["area_name"] for r in rows)
    summary = result["summary"]
    assert isinstance(summary, dict)
    fixed = 0  # tiny has no fixed costs: the allocations make all the spending
    assert sum(to_pence(r["spend"]) for r in rows) + fixed == to_pence(summary["total_spending"])
    ws = wb["Who pays and who gains"]
    head = _header_row(ws, "agency")
    pays = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=3).value for r in range(head + 1, ws.max_row + 1)}
    assert pays == summary["spending_by_agency"]
    ws = wb["Shadow prices"]
    assert ws.max_row > _header_row(ws, "kind")


def test_solve_writes_a_workbook_and_a_parquet_table(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow") if os.environ.get("CI") != "true" else None
    _solve(str(TINY), "-q", "-o", str(tmp_path / "r.json"))
    result = json.loads((tmp_path / "r.json").read_text())
    _solve(str(TINY), "-q", "-o", str(tmp_path / "r.xlsx"), "--allocations", str(tmp_path / "a.parquet"))
    _check_workbook(tmp_path / "r.xlsx", result)
    table = pd.read_parquet(tmp_path / "a.parquet")
    assert list(table.columns[:5]) == ["area", "area_name", "local_authority_code", "local_authority", "imd_decile"]
    # the tiny scenario's areas are the first two LSOAs of the shipped table: City of London
    assert set(table["local_authority"]) == {"City of London"} and set(table["imd_decile"]) == {1, 6}
    assert [to_pence(v) for v in table["spend"]] == [to_pence(r["spend"]) for r in result["allocations"]]


def test_parquet_without_pyarrow_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    import importlib.util

    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else importlib.machinery.PathFinder.find_spec(name)
    )
    result = CliRunner().invoke(app, ["solve", str(TINY), "-q", "--allocations", str(tmp_path / "a.parquet")])
    assert result.exit_code == 2 and "totalplace[parquet]" in result.output


def test_the_service_serves_the_workbook(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "api"))
    from service_testing import TINY as TINY_DOC
    from service_testing import add_key, client_for, fast

    from api.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}", **fast())
    headers = add_key(settings, "workbook-board")
    with client_for(settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": TINY_DOC}, headers=headers).json()
        result = client.post(f"/v1/scenarios/{stored['id']}/solve", headers=headers).json()
        answer = client.get(f"/v1/results/{result['scenario_hash']}.xlsx", headers=headers)
        missing = client.get(f"/v1/results/{'0' * 64}.xlsx", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    (tmp_path / "r.xlsx").write_bytes(answer.content)
    _check_workbook(tmp_path / "r.xlsx", result)
    assert missing.status_code == 404
