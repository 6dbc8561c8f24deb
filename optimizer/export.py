"""A result for finance officers and analysts: a workbook (.xlsx) and an allocation table (CSV or Parquet).

``allocation_table`` gives the allocations with names beside ids and, for each area, its
name, local authority and IMD decile, so the table joins to a map (by the LSOA code) with
no other lookup: the local authority comes from the shipped IoD2019 LSOA table
(``optimizer/place/data``; blank for an area that is not an English LSOA).
``write_workbook`` writes, with openpyxl, a summary sheet, the allocations, spending by
pool and year, who pays and who gains, binding rules and shadow prices; every sheet
starts with the scenario's hash, the date it was written and the model version.
Amounts are the result's, which is in pence (optimizer/money.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.scenario import Scenario

#: the columns of the allocation table written for analysts, in order
TABLE_COLUMNS = (
    "area",
    "area_name",
    "local_authority_code",
    "local_authority",
    "imd_decile",
    "intervention",
    "intervention_name",
    "pool",
    "pool_name",
    "year",
    "spend",
    "participants",
)
MONEY_FORMAT = '"£"#,##0.00;-"£"#,##0.00'


def _geography(vintage: str = "2019") -> pd.DataFrame:
    """Area code -> local authority: 2021 LSOAs and 2024 councils for vintage 2025, else 2011 LSOAs and 2019 councils."""
    from optimizer.place.geography import load_table

    lsoa, lad, name = ("lsoa21cd", "lad24cd", "lad24nm") if vintage == "2025" else ("lsoa11cd", "lad19cd", "lad19nm")
    return load_table(vintage)[[lsoa, lad, name]].rename(columns={lsoa: "area", lad: "local_authority_code", name: "local_authority"})


def allocation_table(allocations: pd.DataFrame | list[dict[str, Any]], scenario: Scenario | None = None) -> pd.DataFrame:
    """The allocation rows with the names of area, intervention and pool, the area's local authority and IMD decile."""
    frame = (
        pd.DataFrame(allocations, columns=["area", "intervention", "pool", "year", "spend", "participants"])
        if isinstance(allocations, list)
        else allocations[["area", "intervention", "pool", "year", "spend", "participants"]].copy()
    )
    frame["area"] = frame["area"].astype(str)
    if scenario is not None:
        areas = pd.DataFrame(
            {
                "area": [a.id for a in scenario.areas],
                "area_name": [a.name or "" for a in scenario.areas],
                "imd_decile": [a.imd_decile for a in scenario.areas],
            }
        )
        frame = frame.merge(areas, on="area", how="left")
        frame["intervention_name"] = frame["intervention"].map({i.id: i.name for i in scenario.interventions})
        frame["pool_name"] = frame["pool"].map({p.id: p.name for p in scenario.pools})
    else:
        frame["area_name"], frame["imd_decile"], frame["intervention_name"], frame["pool_name"] = "", pd.NA, "", ""
    vintage = "2025" if scenario is not None and scenario.data_vintage == "2025" else "2019"
    geo = _geography(vintage)
    frame = frame.merge(geo, on="area", how="left")
    if scenario is None:  # the decile from the shipped table, where the area is an LSOA
        from optimizer.place.geography import load_table

        deciles = load_table("2019").set_index("lsoa11cd")["imd_decile"]
        frame["imd_decile"] = frame["area"].map(deciles)
    frame["imd_decile"] = frame["imd_decile"].astype("Int64")
    for column in ("area_name", "local_authority_code", "local_authority", "intervention_name", "pool_name"):
        frame[column] = frame[column].fillna("").astype(str)
    return frame[list(TABLE_COLUMNS)]


def write_table(table: pd.DataFrame, path: Path) -> dict[str, Any]:
    """Write the table as Parquet (``.parquet``, needs the ``parquet`` extra: pyarrow) or CSV; returns the result's pointer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            raise ImportError("writing Parquet needs pyarrow: pip install 'totalplace[parquet]'")
        table.to_parquet(path, index=False)
        form = "parquet"
    else:
        table.to_csv(path, index=False, compression="gzip" if path.suffix == ".gz" else None)
        form = "csv.gz" if path.suffix == ".gz" else "csv"
    return {"path": str(path), "format": form, "rows": len(table), "columns": list(table.columns)}


def _stamp(ws: Any, result: dict[str, Any], title: str, written: str) -> None:
    from openpyxl.styles import Font

    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["scenario_hash", result.get("scenario_hash")])
    ws.append(["written", written])
    ws.append(["model_version", result.get("model_version")])
    ws.append([])


def _rows(ws: Any, header: list[str], rows: list[list[Any]], money: set[str] | None = None) -> None:
    from openpyxl.styles import Font

    ws.append(header)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for j, name in enumerate(header, start=1):
        if money and name in money:
            for r in range(head_row + 1, ws.max_row + 1):
                ws.cell(row=r, column=j).number_format = MONEY_FORMAT
        ws.column_dimensions[ws.cell(row=head_row, column=j).column_letter].width = max(12, min(40, len(name) + 4))
    ws.freeze_panes = ws.cell(row=head_row + 1, column=1)


def write_workbook(result: dict[str, Any], path: Path, scenario: Scenario | None = None, *, written: str | None = None) -> Path:
    """Write the result as a workbook a finance officer can open (the allocations must be inline in ``result``)."""
    from openpyxl import Workbook

    written = written or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    wb = Workbook()
    pool_names = {p.id: p.name for p in scenario.pools} if scenario else {}
    agency_names = pool_names | ({g.id: g.name for g in scenario.agencies} if scenario else {})
    summary = result.get("summary") or {}

    ws: Any = wb.active
    ws.title = "Summary"
    _stamp(ws, result, f"Result of {scenario.name}" if scenario else "Result", written)
    facts: list[list[Any]] = [
        ["status", result.get("status")],
        ["message", result.get("message")],
        ["objective (weighted net present value)", result.get("objective")],
        ["total spending", summary.get("total_spending")],
        ["total spending, discounted", summary.get("total_spending_discounted")],
        ["social value", summary.get("social_value")],
        ["benefit-cost ratio", summary.get("benefit_cost_ratio")],
        ["share of spending in deprived areas", summary.get("deprived_share")],
        ["solver", f"{result.get('solver', {}).get('name', '')} {result.get('solver', {}).get('version', '')}".strip()],
    ]
    _rows(ws, ["figure", "value"], facts)
    for r in range(ws.max_row - len(facts) + 1, ws.max_row + 1):
        if ws.cell(row=r, column=1).value in (
            "objective (weighted net present value)",
            "total spending",
            "total spending, discounted",
            "social value",
        ):
            ws.cell(row=r, column=2).number_format = MONEY_FORMAT
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 40, 60

    ws = wb.create_sheet("Allocations")
    _stamp(ws, result, "Allocations by area, intervention, pool and year", written)
    table = allocation_table(result.get("allocations") or [], scenario)
    _rows(ws, list(TABLE_COLUMNS), [[None if pd.isna(v) else v for v in row] for row in table.itertuples(index=False)], {"spend"})

    ws = wb.create_sheet("Spending by pool and year")
    _stamp(ws, result, "Spending by pool and year (undiscounted, fixed costs in year 1)", written)
    by = summary.get("spending_by_pool_year") or []
    years = sorted({int(r["year"]) for r in by})
    pools = list(dict.fromkeys(r["pool"] for r in by))
    cell = {(r["pool"], int(r["year"])): r["spend"] for r in by}
    _rows(
        ws,
        ["pool", "pool_name", *[f"year {t}" for t in years], "total"],
        [
            [p, pool_names.get(p, ""), *[cell.get((p, t), 0.0) for t in years], round(sum(cell.get((p, t), 0.0) for t in years), 2)]
            for p in pools
        ],
        {f"year {t}" for t in years} | {"total"},
    )

    ws = wb.create_sheet("Who pays and who gains")
    _stamp(ws, result, "Who pays and who gains (discounted)", written)
    agencies = list(summary.get("savings_by_agency") or {})
    _rows(
        ws,
        ["agency", "agency_name", "pays", "gains", "net position"],
        [
            [
                g,
                agency_names.get(g, ""),
                summary["spending_by_agency"].get(g),
                summary["savings_by_agency"].get(g),
                summary["net_position_by_agency"].get(g),
            ]
            for g in agencies
        ],
        {"pays", "gains", "net position"},
    )

    ws = wb.create_sheet("Binding rules")
    _stamp(ws, result, "Rules that bind at the optimum", written)
    _rows(
        ws,
        ["rule", "pool", "intervention", "area", "year", "value", "message"],
        [
            [r.get("rule"), r.get("pool"), r.get("intervention"), r.get("area"), r.get("year"), r.get("value"), r.get("message")]
            for r in result.get("binding_rules") or []
        ],
    )

    ws = wb.create_sheet("Shadow prices")
    _stamp(ws, result, "Shadow prices: net value of one more unit", written)
    prices = result.get("shadow_prices") or {}
    _rows(
        ws,
        ["kind", "rule", "pool", "intervention", "area", "year", "value", "unit"],
        [["budget", "budget", b.get("pool"), None, None, b.get("year"), b.get("value"), "per £1"] for b in prices.get("budgets", [])]
        + [
            ["rule", r.get("rule"), r.get("pool"), r.get("intervention"), r.get("area"), r.get("year"), r.get("value"), r.get("unit")]
            for r in prices.get("rules", [])
        ],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
