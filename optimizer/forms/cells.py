"""The spreadsheet layout (which tables, which columns, what kind of cell each holds) and one cell each way.

A scenario document becomes one table per sheet of a workbook (or per ``NAME.csv``
file of a folder), laid out in ``docs/forms.md``. This module holds that layout,
shared by reading (:mod:`optimizer.forms.book`) and writing
(:mod:`optimizer.forms.layout`), and the conversion of a single cell: from what a
spreadsheet holds to what the document wants (:func:`convert`, which says what
to do when it cannot), and back to CSV text (:func:`csv_text`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from optimizer.scenario import DECILES

#: The tables of the spreadsheet forms, in the order they are written.
TABLES = (
    "scenario",
    "pools",
    "agencies",
    "outcomes",
    "unit_costs",
    "areas",
    "interventions",
    "effects",
    "responses",
    "priorities",
    "commitments",
)
#: Tables that may be left out: no agencies without a pool, and version 2's tables (docs/model.md 2.1-2.3), written only when used.
OPTIONAL = ("agencies", "responses", "priorities", "commitments")
#: Columns written only when some row uses them (version 2's, docs/model.md 2.2, 2.4, 2.5), so a version 1 scenario's tables are unchanged.
SPARSE = {"pools": ("cost_share",), "outcomes": ("themes", "source"), "interventions": ("source",)}
EXCEL_CELL_LIMIT = 32_767  # characters in one Excel cell

# -- the spreadsheet layout: column -> kind of cell ---------------------------------------------
COLUMNS: dict[str, dict[str, str]] = {
    "scenario": {"key": "str", "value": "str"},
    "pools": {
        "id": "id",
        "name": "label",
        "budget": "float",
        "areas": "ids",
        "interventions": "ids",
        "reinvest_rate": "float",
        "cost_share": "float",
    },
    "agencies": {"id": "id", "name": "label"},
    "outcomes": {"id": "id", "name": "label", "social_value": "float", "themes": "themes", "source": "label?"},
    "unit_costs": {"outcome": "id", "agency": "id", "unit_cost": "float"},
    "areas": {"id": "id", "name": "label?", "imd_decile": "int", "imd_rank": "int", "population": "float"},
    "interventions": {
        "id": "id",
        "name": "label",
        "target_group": "id",
        "unit_cost": "float",
        "max_coverage": "float",
        "fixed_cost": "float",
        "min_participants": "float",
        "capacity": "float",
        "source": "label?",
    },
    "effects": {
        "intervention": "id",
        "outcome": "id",
        "per_participant": "float",
        "lag_years": "int",
        "duration_years": "int",
        "low": "float",
        "high": "float",
    },
    "responses": {"intervention": "id", "band": "int", "up_to": "float", "effect": "float"},
    "priorities": {"area": "id", "theme": "id", "points": "float"},
    "commitments": {"intervention": "id", "area": "id", "year": "int", "min_spend": "float"},
}
REQUIRED = {
    "scenario": ("key", "value"),
    "pools": ("id", "name"),
    "agencies": ("id", "name"),
    "outcomes": ("id", "name"),
    "unit_costs": ("outcome", "agency", "unit_cost"),
    "areas": ("id", "imd_decile", "population"),
    "interventions": ("id", "name", "target_group", "unit_cost", "max_coverage"),
    "effects": ("intervention", "outcome", "per_participant"),
    "responses": ("intervention", "up_to", "effect"),
    "priorities": ("theme", "points"),
    "commitments": ("intervention", "min_spend"),
}
PREFIXES = {"areas": ("group:", "pool:"), "interventions": ("pool:",)}
BUDGET_YEAR = re.compile(r"budget_y([1-9][0-9]*)$")
SCENARIO_KEYS = {
    "schema_version": "int",
    "name": "label",
    "horizon_years": "int",
    "appraisal_years": "int",
    "discount_rate": "float",
    "policy.community_wealth_fund.min_share": "float",
    "policy.community_wealth_fund.max_decile": "int",
    "policy.community_wealth_fund.basis": "str",
    "policy.community_wealth_fund.per_capita_floor": "float",
    "policy.no_agency_worse_off": "bool",
    "policy.social_value_weight": "float",
    "policy.area_cap": "float",
    **{f"policy.equity_weights.{d}": "float" for d in DECILES},
    "policy.cost_sharing.rule": "str",
    "policy.resident_priorities.strength": "float",
    "solver.name": "str",
    "solver.time_limit": "float",
    "solver.mip_gap": "float",
    "data_vintage": "str",
}
LISTS = ("pools", "agencies", "outcomes", "areas", "interventions")


class _Absent:
    """An empty cell: the field is left out (its default applies)."""


ABSENT = _Absent()


def empty(value: Any) -> bool:
    """Whether a cell is empty: a workbook gives None for it, a CSV file an empty string."""
    return value is None or (isinstance(value, str) and value == "")


def convert(value: Any, kind: str) -> Any:
    """A cell's value as the document wants it (``ABSENT`` when empty); raises ValueError saying what to do."""
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("holds a spreadsheet error (such as #N/A or #DIV/0!): replace it with a value, or leave it empty")
    if kind in ("id", "label", "label?", "str"):
        if empty(value):
            return "" if kind == "label" else ABSENT
        if isinstance(value, str):
            return value.strip() if kind == "str" else value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        raise ValueError(f"must be text; got {value!r}: format the cell as text")
    if kind in ("ids", "themes"):
        text = convert(value, "id")
        if text is ABSENT:
            return ABSENT
        if text.lstrip().startswith("["):
            try:
                ids = json.loads(text)
            except ValueError:
                ids = None
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise ValueError('starts with "[" but is not a JSON list of ids such as ["a", "b"]')
            return ids
        ids = [part.strip() for part in text.split(";") if part.strip()]
        if not ids:
            raise ValueError(
                "lists no themes: leave the cell empty for none"
                if kind == "themes"
                else "lists no ids: leave the cell empty for all, or write [] for none"
            )
        return ids
    if isinstance(value, str):
        value = value.strip()
    if empty(value):
        return ABSENT
    if kind == "bool":
        word = str(value).lower()
        if word in ("true", "yes", "y", "1"):
            return True
        if word in ("false", "no", "n", "0"):
            return False
        raise ValueError(f"must be true or false; got {value!r}")
    return _number(value, kind)


def _number(value: Any, kind: str) -> int | float:
    number: int | float
    if isinstance(value, str):
        try:
            number = int(value) if kind == "int" and re.fullmatch(r"[+-]?[0-9]+", value) else float(value)
        except ValueError:
            hint = next(
                (
                    h
                    for c, h in (
                        (",", "write it without thousands separators"),
                        ("%", "write a share as a fraction, e.g. 0.5"),
                        ("£", "write it without the currency sign"),
                    )
                    if c in value
                ),
                "",
            )
            raise ValueError(f"must be a number; got {value!r}" + (f": {hint}" if hint else "")) from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        got = repr(value) if isinstance(value, bool) else f"{type(value).__name__} {value}"
        raise ValueError(f"must be a number; got {got}: format the cell as a number")
    else:
        number = value
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"must be a finite number; got {value!r}")
    if kind == "int":
        if isinstance(number, float):
            if not number.is_integer():
                raise ValueError(f"must be a whole number; got {value!r}")
            number = int(number)
        return number
    return float(number)


def csv_text(value: Any) -> str:
    """A value as a CSV cell: exact (floats keep all their digits), integral amounts without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def ids_text(ids: list[str]) -> str:
    """A footprint as a cell: ``a;b;c``, or a JSON list where that would be ambiguous (``[]``, ids with ``;``...)."""
    plain = bool(ids) and all(i and i == i.strip() and ";" not in i for i in ids) and not ids[0].startswith("[")
    return ";".join(ids) if plain else json.dumps(ids, ensure_ascii=False)
