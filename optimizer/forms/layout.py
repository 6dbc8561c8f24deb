"""Document -> tables: the spreadsheet layout of a canonical scenario document.

The document written is canonical (every default filled, budgets as lists), so
every table has all its columns and a scenario converted to a spreadsheet and
back has the same ``scenario_hash``.
"""

from __future__ import annotations

from typing import Any

from optimizer.forms.cells import COLUMNS, EXCEL_CELL_LIMIT, LISTS, SCENARIO_KEYS, TABLES, ids_text
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


def _rows(items: list[dict[str, Any]], columns: list[str], table: str) -> list[list[Any]]:
    """The rows of ``items`` under ``columns``; a field with no column is refused, as it would be lost silently."""
    for item in items:
        unknown = set(item) - set(columns) - {"budget", "groups", "effects", "unit_costs"}
        if unknown:
            raise ValueError(f"the spreadsheet layout has no column for {table} field(s) {sorted(unknown)}: extend optimizer/forms/cells.py")
    return [[item.get(c) for c in columns] for item in items]


def layout_of(doc: dict[str, Any], *, excel: bool) -> Layout:
    """The tables of a canonical document (every default filled, budgets as lists)."""
    scenario = _flatten(doc)
    unknown = [k for k, _ in scenario if k not in SCENARIO_KEYS]
    if unknown:
        raise ValueError(f"the spreadsheet layout has no key for {unknown}: extend optimizer/forms/cells.py")
    horizon = doc["horizon_years"]
    years = [f"budget_y{t}" for t in range(1, horizon + 1)]
    by_column: dict[str, list[tuple[str, set[str]]]] = {"areas": [], "interventions": []}
    pools = []
    for pool in doc["pools"]:
        row = dict(pool, **dict(zip(years, pool["budget"], strict=True)))
        for name in ("areas", "interventions"):
            ids = pool[name]
            row[name] = None if ids is None else ids_text(ids)
            if excel and row[name] is not None and len(row[name]) > EXCEL_CELL_LIMIT:
                # a footprint is a set (scenario.canonical_dict sorts it), so 1/0 columns hold it exactly
                by_column[name].append((f"pool:{pool['id']}", set(ids)))
                row[name] = None
        pools.append(row)
    pool_columns = ["id", "name", *years, "areas", "interventions", "reinvest_rate"]
    groups = list(dict.fromkeys(g for area in doc["areas"] for g in area["groups"]))
    layout: Layout = {"scenario": (["key", "value"], [[k, v] for k, v in scenario]), "pools": (pool_columns, _rows(pools, pool_columns, "pools"))}
    for name, items in (("agencies", doc["agencies"]), ("outcomes", doc["outcomes"])):
        layout[name] = (list(COLUMNS[name]), _rows(items, list(COLUMNS[name]), name))
    layout["unit_costs"] = (list(COLUMNS["unit_costs"]), [[o["id"], g, u] for o in doc["outcomes"] for g, u in o["unit_costs"].items()])
    for name in ("areas", "interventions"):
        columns = list(COLUMNS[name])
        rows = _rows(doc[name], columns, name)
        extra = [f"group:{g}" for g in groups] if name == "areas" else []
        for cells, item in zip(rows, doc[name], strict=True):
            if name == "areas":
                cells.extend(item["groups"].get(g) for g in groups)
            cells.extend(int(item["id"] in chosen) for _, chosen in by_column[name])
        layout[name] = (columns + extra + [c for c, _ in by_column[name]], rows)
    columns = list(COLUMNS["effects"])
    layout["effects"] = (columns, [[i["id"], *row] for i in doc["interventions"] for row in _rows(i["effects"], columns[1:], "effects")])
    return {name: layout[name] for name in TABLES}
