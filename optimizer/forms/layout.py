"""Document -> tables: the spreadsheet layout of a canonical scenario document.

The document written is canonical (every default filled, budgets as lists), so
every table has all its columns and a scenario converted to a spreadsheet and
back has the same ``scenario_hash``. Version 2's tables (``responses``,
``priorities``, ``commitments``) and columns (``cost_share``, ``themes``,
``source``) are written only when the scenario uses them, so that a version 1
scenario's tables are the same as before version 2.
"""

from __future__ import annotations

from typing import Any

from optimizer.forms.cells import COLUMNS, EXCEL_CELL_LIMIT, LISTS, SCENARIO_KEYS, SPARSE, TABLES, ids_text
from optimizer.forms.sheets import Layout


def _flatten(doc: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The scenario table's rows: every field but the lists, nested ones as dotted keys (``policy.area_cap``)."""
    out: list[tuple[str, Any]] = []
    for key, value in doc.items():
        if not prefix and key in LISTS:
            continue
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out


#: fields of a list's items that other tables (or other columns) hold
_ELSEWHERE = {"budget", "groups", "effects", "unit_costs", "response", "priorities"}


def _columns(table: str, items: list[dict[str, Any]]) -> list[str]:
    """The columns of ``table``: its sparse ones (version 2's) only where some item has a value for them."""
    sparse = SPARSE.get(table, ())
    return [c for c in COLUMNS[table] if c not in sparse or any(item.get(c) is not None for item in items)]


def _policy_rows(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without what the scenario table does not hold: commitments, the place's points and the shares."""
    policy = dict(doc.get("policy", {}))
    policy.pop("commitments", None)
    if "resident_priorities" in policy:
        policy["resident_priorities"] = {k: v for k, v in policy["resident_priorities"].items() if k != "weights"}
    if "cost_sharing" in policy:
        policy["cost_sharing"] = {k: v for k, v in policy["cost_sharing"].items() if k != "shares"}
    return {**doc, "policy": policy} if "policy" in doc else doc


def _rows(items: list[dict[str, Any]], columns: list[str], table: str) -> list[list[Any]]:
    """The rows of ``items`` under ``columns``; a field with no column is refused, as it would be lost silently."""
    for item in items:
        unknown = set(item) - set(columns) - _ELSEWHERE
        if unknown:
            raise ValueError(
                f"the spreadsheet layout has no column for {table} field(s) {sorted(unknown)}: extend optimizer/forms/cells.py"
            )
    return [[item.get(c) for c in columns] for item in items]


def layout_of(doc: dict[str, Any], *, excel: bool) -> Layout:
    """The tables of a canonical document (every default filled, budgets as lists)."""
    scenario = _flatten(_policy_rows(doc))
    unknown = [k for k, _ in scenario if k not in SCENARIO_KEYS]
    if unknown:
        raise ValueError(f"the spreadsheet layout has no key for {unknown}: extend optimizer/forms/cells.py")
    horizon = doc["horizon_years"]
    years = [f"budget_y{t}" for t in range(1, horizon + 1)]
    by_column: dict[str, list[tuple[str, set[str]]]] = {"areas": [], "interventions": []}
    pools = []
    shares = (doc.get("policy", {}).get("cost_sharing") or {}).get("shares") or {}
    for pool in doc["pools"]:
        row = dict(pool, **dict(zip(years, pool["budget"], strict=True)))
        if shares:
            row["cost_share"] = shares.get(pool["id"])
        for name in ("areas", "interventions"):
            ids = pool[name]
            row[name] = None if ids is None else ids_text(ids)
            if excel and row[name] is not None and len(row[name]) > EXCEL_CELL_LIMIT:
                # a footprint is a set (scenario.canonical_dict sorts it), so 1/0 columns hold it exactly
                by_column[name].append((f"pool:{pool['id']}", set(ids)))
                row[name] = None
        pools.append(row)
    pool_columns = ["id", "name", *years, *(c for c in _columns("pools", pools) if c not in ("id", "name", "budget"))]
    groups = list(dict.fromkeys(g for area in doc["areas"] for g in area["groups"]))
    layout: Layout = {
        "scenario": (["key", "value"], [[k, v] for k, v in scenario]),
        "pools": (pool_columns, _rows(pools, pool_columns, "pools")),
    }
    for name, items in (("agencies", doc["agencies"]), ("outcomes", doc["outcomes"])):
        columns = _columns(name, items)
        layout[name] = (
            columns,
            _rows([{k: ids_text(v) if k == "themes" and v is not None else v for k, v in item.items()} for item in items], columns, name),
        )
    layout["unit_costs"] = (list(COLUMNS["unit_costs"]), [[o["id"], g, u] for o in doc["outcomes"] for g, u in o["unit_costs"].items()])
    for name in ("areas", "interventions"):
        columns = _columns(name, doc[name])
        rows = _rows(doc[name], columns, name)
        extra = [f"group:{g}" for g in groups] if name == "areas" else []
        for cells, item in zip(rows, doc[name], strict=True):
            if name == "areas":
                cells.extend(item["groups"].get(g) for g in groups)
            cells.extend(int(item["id"] in chosen) for _, chosen in by_column[name])
        layout[name] = (columns + extra + [c for c, _ in by_column[name]], rows)
    columns = list(COLUMNS["effects"])
    layout["effects"] = (columns, [[i["id"], *row] for i in doc["interventions"] for row in _rows(i["effects"], columns[1:], "effects")])
    _version_2_tables(doc, layout)
    return {name: layout[name] for name in TABLES if name in layout}


def _version_2_tables(doc: dict[str, Any], layout: Layout) -> None:
    """The responses, priorities and commitments tables (docs/model.md 2.1-2.3), each only where the scenario has rows for it."""
    policy = doc.get("policy", {})
    rows = {
        "responses": [
            [i["id"], j, *_rows([band], ["up_to", "effect"], "responses")[0]]
            for i in doc["interventions"]
            for j, band in enumerate(i.get("response") or [], start=1)
        ],
        "priorities": [[None, theme, points] for theme, points in ((policy.get("resident_priorities") or {}).get("weights") or {}).items()]
        + [[a["id"], theme, points] for a in doc["areas"] for theme, points in (a.get("priorities") or {}).items()],
        "commitments": _rows(policy.get("commitments") or [], list(COLUMNS["commitments"]), "commitments"),
    }
    for name, table in rows.items():
        if table:
            layout[name] = (list(COLUMNS[name]), table)
