"""Real places: the 32,844 English LSOAs, their deprivation, people and geographies.

:func:`build_areas` turns a place (a local authority district, an upper-tier
council, an ICB, a police force area, or all England) into the ``areas`` of a
scenario (MODEL.md "Area"), one per LSOA, from the shipped IoD2019 table.
:func:`build_scenario` puts them into a scenario template.

Target groups come from the IoD2019 population denominators (mid-2015,
excluding prisoners). Four are derived, with factors stated here and in
``docs/data.md`` (approximate; replace them with local figures where known):

- ``families``: families with dependent children = children 0-15 / 1.7, the
  average number of dependent children in such a family (ONS, Families and
  Households in the UK). Dependent children include 16-18s in education, so
  dividing 0-15s by 1.7 slightly undercounts families.
- ``young_people_10_17``: 6/16 of the 0-15s plus 2/44 of the 16-59s (ages spread
  evenly within each band).
- ``older_65_plus``: 0.77 of the 60+ (England mid-2015: about 9.7 million aged
  65+ of 12.6 million aged 60+).
- ``adults_16_plus``: the 16-59s plus the 60+.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

import pandas as pd

from optimizer.errors import TotalplaceError
from optimizer.place.data import LSOA_TABLE, resource
from optimizer.scenario import parse_scenario

Kind = Literal["lad", "utla", "icb", "pfa", "england"]
KINDS: tuple[str, ...] = ("lad", "utla", "icb", "pfa", "england")
KIND_LABELS = {
    "lad": "local authority district (2019)",
    "utla": "upper-tier local authority (2019)",
    "icb": "Integrated Care Board (2022)",
    "pfa": "police force area (2019)",
    "england": "England",
}
#: kind -> (code column, name column) in the shipped table.
_COLUMNS = {"lad": ("lad19cd", "lad19nm"), "utla": ("utla19cd", "utla19nm"), "icb": ("icb22cd", "icb22nm"), "pfa": ("pfa19cd", "pfa19nm")}

CHILDREN_PER_FAMILY = 1.7
SHARE_10_15_OF_0_15 = 6 / 16
SHARE_16_17_OF_16_59 = 2 / 44
SHARE_65_PLUS_OF_60_PLUS = 0.77


class AreaNotFound(TotalplaceError, LookupError):
    """No place of that kind has that code or name; ``suggestions`` lists close ones."""

    def __init__(self, kind: str, query: str, suggestions: list[str]):
        self.kind, self.query, self.suggestions = kind, query, suggestions
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"no {KIND_LABELS.get(kind, kind)} has the code or name {query!r}{hint}")


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts keyed by column name (pandas types the keys as Hashable)."""
    return [{str(k): v for k, v in r.items()} for r in rows.to_dict("records")]


@cache
def load_table() -> pd.DataFrame:
    """The shipped LSOA table (32,844 rows), read once."""
    with resource(LSOA_TABLE).open("rb") as handle:
        return pd.read_csv(handle, compression="gzip")


def places(kind: str) -> pd.DataFrame:
    """Every place of ``kind``: columns ``code``, ``name``, ``lsoas``, sorted by name."""
    if kind not in _COLUMNS:
        raise ValueError(f"kind must be one of {', '.join(_COLUMNS)}; got {kind!r}")
    code, name = _COLUMNS[kind]
    grouped = load_table().groupby([code, name]).size().reset_index(name="lsoas")
    return grouped.rename(columns={code: "code", name: "name"}).sort_values("name", ignore_index=True)


def resolve(kind: str, code_or_name: str) -> tuple[str, str]:
    """The ``(code, name)`` of a place, by code or name, ignoring case.

    A name that is part of exactly one place's name (``"Greater Manchester"`` for
    the ICB) is accepted too. Anything else raises :class:`AreaNotFound` with
    the closest names.
    """
    table = places(kind)
    query = " ".join(code_or_name.split()).casefold()
    for column in ("code", "name"):
        hit = table[table[column].str.casefold() == query]
        if len(hit) == 1:
            return str(hit.iloc[0]["code"]), str(hit.iloc[0]["name"])
    partial = table[table["name"].str.casefold().str.contains(query, regex=False)] if query else table.iloc[0:0]
    if len(partial) == 1:
        return str(partial.iloc[0]["code"]), str(partial.iloc[0]["name"])
    names = table["name"].tolist()
    by_lower = {n.casefold(): n for n in names}
    close = [by_lower[m] for m in difflib.get_close_matches(query, list(by_lower), n=5, cutoff=0.6)]
    suggestions = list(dict.fromkeys([*partial["name"].head(5).tolist(), *close]))[:8]
    raise AreaNotFound(kind, code_or_name, suggestions)


def select(kind: str, code_or_name: str | None = None) -> tuple[pd.DataFrame, str]:
    """The LSOA rows of a place, sorted by LSOA code, and the place's name."""
    table = load_table()
    if kind == "england":
        return table, "England"
    if code_or_name is None:
        raise ValueError(f"a {KIND_LABELS.get(kind, kind)} needs a code or name")
    code, name = resolve(kind, code_or_name)
    rows = table[table[_COLUMNS[kind][0]] == code]
    return rows.sort_values("lsoa11cd"), name


def groups(row: Mapping[str, Any]) -> dict[str, float]:
    """Target groups of one LSOA row (people, or families for ``families``), to 0.1."""
    children, adults, older = float(row["pop_0_15"]), float(row["pop_16_59"]), float(row["pop_60_plus"])
    raw = {
        "children_0_15": children,
        "adults_16_59": adults,
        "older_60_plus": older,
        "working_age": float(row["pop_working_age"]),
        "families": children / CHILDREN_PER_FAMILY,
        "young_people_10_17": SHARE_10_15_OF_0_15 * children + SHARE_16_17_OF_16_59 * adults,
        "older_65_plus": SHARE_65_PLUS_OF_60_PLUS * older,
        "adults_16_plus": adults + older,
    }
    return {k: round(v, 1) for k, v in raw.items()}


def area(row: Mapping[str, Any]) -> dict[str, Any]:
    """One MODEL.md area from one LSOA row."""
    return {
        "id": str(row["lsoa11cd"]),
        "name": str(row["lsoa11nm"]),
        "imd_decile": int(row["imd_decile"]),
        "imd_rank": int(row["imd_rank"]),
        "population": float(row["pop_total"]),
        "groups": groups(row),
    }


def build_areas(kind: str, code_or_name: str | None = None) -> list[dict[str, Any]]:
    """The areas (one per LSOA, sorted by code) of a place of ``kind``.

    ``kind`` is ``lad``, ``utla``, ``icb``, ``pfa`` (each with a code or name) or
    ``england`` (all 32,844 LSOAs; ``code_or_name`` ignored).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    rows, _ = select(kind, code_or_name)
    return [area(r) for r in _records(rows)]


def summarise(areas: list[dict[str, Any]], max_decile: int = 1) -> dict[str, float]:
    """Counts for a report: areas, deprived areas (decile <= ``max_decile``), population."""
    return {
        "areas": len(areas),
        "deprived_areas": sum(1 for a in areas if a["imd_decile"] <= max_decile),
        "population": sum(a["population"] for a in areas),
        "deprived_population": sum(a["population"] for a in areas if a["imd_decile"] <= max_decile),
    }


def build_scenario(
    kind: str,
    code_or_name: str | None,
    template: Mapping[str, Any] | None = None,
    *,
    pool_max_decile: Mapping[str, int] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A validated scenario: ``template`` (pools, outcomes, interventions, policy) with the place's areas.

    Without a template, the default prevention template
    (:func:`optimizer.place.prevention.default_template`) with budgets scaled to the
    place's population. ``{place}`` in the scenario name is filled in. Pool
    footprints that the template lists are cut to the place's areas;
    ``pool_max_decile`` restricts a pool to areas of at most that decile.
    Raises :class:`AreaNotFound` or :class:`~optimizer.errors.ScenarioError`.
    """
    rows, place = select(kind, code_or_name)
    areas = [area(r) for r in _records(rows)]
    if template is None:
        from optimizer.place.prevention import default_template  # local: prevention imports nothing from here

        template = default_template(sum(a["population"] for a in areas))
    scenario = copy.deepcopy(dict(template))
    scenario["areas"] = areas
    scenario["name"] = (name or str(scenario.get("name") or "Prevention pool: {place}")).replace("{place}", place)
    ids = {a["id"] for a in areas}
    for pool in scenario.get("pools", []):
        if isinstance(pool, dict) and pool.get("areas") is not None:
            pool["areas"] = [a for a in pool["areas"] if a in ids]
        if isinstance(pool, dict) and pool_max_decile and pool.get("id") in pool_max_decile:
            limit = pool_max_decile[pool["id"]]
            allowed = set(pool["areas"]) if pool.get("areas") is not None else ids
            pool["areas"] = [a["id"] for a in areas if a["imd_decile"] <= limit and a["id"] in allowed]
    parse_scenario(scenario)  # raises ScenarioError listing every problem
    return scenario
