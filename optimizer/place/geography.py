"""Real places: the English LSOAs, their deprivation, people and geographies.

Two data vintages are shipped (``vintage``):

- ``"2025"`` (the default): the English Indices of Deprivation 2025 on the
  33,755 LSOAs of 2021, with their local authority district (2024), upper-tier
  council (2024, derived: see ``optimizer/place/data/rebuild.py``), ICB (April
  2024) and police force area (December 2024), and Census 2021 population.
- ``"2019"``: the Indices of Deprivation 2019 on the 32,844 LSOAs of 2011, with
  2019 councils and police force areas and 2022 ICBs (mid-2015 population).

:func:`build_areas` turns a place (a local authority district, an upper-tier
council, an ICB, a police force area, or all England) into the ``areas`` of a
scenario (docs/model.md "Area"), one per LSOA. :func:`build_scenario` puts them into
a scenario template and records the vintage in ``data_vintage``.

Target groups, 2025 (:func:`groups_2025`, documented in ``docs/data.md``): the
Census 2021 age bands, households, and the four IoD2025 File 8 counts of
income- and employment-deprived people as groups of their own. A File 8 count
is published rounded to 5 and left blank below 10; a blank is taken as
:data:`BLANK_COUNT` (5, the middle of 0 to 9), never more than the people it
counts.

Target groups, 2019 (:func:`groups`): the IoD2019 population denominators
(mid-2015, excluding prisoners). Four are derived, with factors stated here and
in ``docs/data.md`` (approximate; replace them with local figures where known):

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
from optimizer.place.data import LSOA21_TABLE, LSOA_TABLE, resource
from optimizer.scenario import parse_scenario

Kind = Literal["lad", "utla", "icb", "pfa", "england"]
KINDS: tuple[str, ...] = ("lad", "utla", "icb", "pfa", "england")
VINTAGES: tuple[str, ...] = ("2025", "2019")
DEFAULT_VINTAGE = "2025"
#: vintage -> what its deprivation data, neighbourhoods and population are (said in reports and results).
VINTAGE_LABELS = {
    "2025": "IoD2025 (English Indices of Deprivation 2025) on 2021 LSOAs; Census 2021 population",
    "2019": "IoD2019 (English Indices of Deprivation 2019) on 2011 LSOAs; IoD2019 denominators (mid-2015)",
}
KIND_LABELS_BY_VINTAGE = {
    "2025": {
        "lad": "local authority district (2024)",
        "utla": "upper-tier local authority (2024)",
        "icb": "Integrated Care Board (2024)",
        "pfa": "police force area (2024)",
        "england": "England",
    },
    "2019": {
        "lad": "local authority district (2019)",
        "utla": "upper-tier local authority (2019)",
        "icb": "Integrated Care Board (2022)",
        "pfa": "police force area (2019)",
        "england": "England",
    },
}
KIND_LABELS = KIND_LABELS_BY_VINTAGE[DEFAULT_VINTAGE]
#: vintage -> kind -> (code column, name column) in the shipped table.
_COLUMNS_BY_VINTAGE = {
    "2025": {"lad": ("lad24cd", "lad24nm"), "utla": ("utla24cd", "utla24nm"), "icb": ("icb24cd", "icb24nm"), "pfa": ("pfa24cd", "pfa24nm")},
    "2019": {"lad": ("lad19cd", "lad19nm"), "utla": ("utla19cd", "utla19nm"), "icb": ("icb22cd", "icb22nm"), "pfa": ("pfa19cd", "pfa19nm")},
}
_COLUMNS = _COLUMNS_BY_VINTAGE["2019"]
#: vintage -> (shipped table, LSOA code column, LSOA name column).
_TABLES = {"2025": (LSOA21_TABLE, "lsoa21cd", "lsoa21nm"), "2019": (LSOA_TABLE, "lsoa11cd", "lsoa11nm")}
#: the value taken for a File 8 count left blank (fewer than 10 people): the middle of 0 to 9.
BLANK_COUNT = 5.0
#: 2025 deprived-people counts -> the Census 2021 band that bounds each (a blank is at most that many).
DEPRIVED_COUNTS = {
    "income_deprived": "pop_total",
    "children_income_deprived": "pop_0_15",
    "older_income_deprived": "older_60_plus",
    "employment_deprived": "pop_16_64",
}
SHARE_16_17_OF_16_64 = 2 / 49

CHILDREN_PER_FAMILY = 1.7
SHARE_10_15_OF_0_15 = 6 / 16
SHARE_16_17_OF_16_59 = 2 / 44
SHARE_65_PLUS_OF_60_PLUS = 0.77


class AreaNotFound(TotalplaceError, LookupError):
    """No place of that kind has that code or name; ``suggestions`` lists close ones."""

    def __init__(self, kind: str, query: str, suggestions: list[str], vintage: str = DEFAULT_VINTAGE):
        self.kind, self.query, self.suggestions = kind, query, suggestions
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        label = KIND_LABELS_BY_VINTAGE.get(vintage, KIND_LABELS).get(kind, kind)
        super().__init__(f"no {label} has the code or name {query!r}{hint}")


def check_vintage(vintage: str) -> str:
    """``vintage`` as a string, if it is one of :data:`VINTAGES`; else ValueError."""
    text = str(vintage)
    if text not in VINTAGES:
        raise ValueError(f"vintage must be one of {', '.join(VINTAGES)}; got {vintage!r}")
    return text


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts keyed by column name (pandas types the keys as Hashable)."""
    return [{str(k): v for k, v in r.items()} for r in rows.to_dict("records")]


@cache
def load_table(vintage: str = DEFAULT_VINTAGE) -> pd.DataFrame:
    """The shipped LSOA table of ``vintage``, read once: 33,755 rows (2025) or 32,844 (2019).

    In the 2025 table the four File 8 counts are nullable integers (blank: fewer than 10).
    """
    table_name = _TABLES[check_vintage(vintage)][0]
    with resource(table_name).open("rb") as handle:
        return pd.read_csv(handle, compression="gzip", dtype={c: "Int64" for c in DEPRIVED_COUNTS} if vintage == "2025" else None)


def places(kind: str, vintage: str = DEFAULT_VINTAGE) -> pd.DataFrame:
    """Every place of ``kind``: columns ``code``, ``name``, ``lsoas``, sorted by name."""
    columns = _COLUMNS_BY_VINTAGE[check_vintage(vintage)]
    if kind not in columns:
        raise ValueError(f"kind must be one of {', '.join(columns)}; got {kind!r}")
    code, name = columns[kind]
    grouped = load_table(vintage).groupby([code, name]).size().reset_index(name="lsoas")
    return grouped.rename(columns={code: "code", name: "name"}).sort_values("name", ignore_index=True)


def resolve(kind: str, code_or_name: str, vintage: str = DEFAULT_VINTAGE) -> tuple[str, str]:
    """The ``(code, name)`` of a place, by code or name, ignoring case.

    A name that is part of exactly one place's name (``"Greater Manchester"`` for
    the ICB) is accepted too. Anything else raises :class:`AreaNotFound` with
    the closest names.
    """
    table = places(kind, vintage)
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
    raise AreaNotFound(kind, code_or_name, suggestions, vintage)


def select(kind: str, code_or_name: str | None = None, vintage: str = DEFAULT_VINTAGE) -> tuple[pd.DataFrame, str]:
    """The LSOA rows of a place, sorted by LSOA code, and the place's name."""
    table = load_table(check_vintage(vintage))
    if kind == "england":
        return table, "England"
    if code_or_name is None:
        raise ValueError(f"a {KIND_LABELS_BY_VINTAGE[vintage].get(kind, kind)} needs a code or name")
    code, name = resolve(kind, code_or_name, vintage)
    rows = table[table[_COLUMNS_BY_VINTAGE[vintage][kind][0]] == code]
    return rows.sort_values(_TABLES[vintage][1]), name


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


def deprived_count(value: Any, bound: float) -> float:
    """A File 8 count: the published figure, or :data:`BLANK_COUNT` (at most ``bound``) when blank."""
    if value is None or pd.isna(value):
        return min(BLANK_COUNT, bound)
    return float(value)


def groups_2025(row: Mapping[str, Any]) -> dict[str, float]:
    """Target groups of one 2021 LSOA row (people, households or families), to 0.1.

    Census 2021 gives 0-15, 16-64 and 65+; the 60-64s come from the ONS mid-2020
    estimates carried onto 2021 LSOAs (60+ minus 65+), so that the 16-59 and 60+
    groups and the File 8 older-people count (60+) have a base.
    """
    children, working, older65 = float(row["pop_0_15"]), float(row["pop_16_64"]), float(row["pop_65_plus"])
    aged_60_64 = min(working, max(0.0, float(row["mye2020_60_plus"]) - float(row["mye2020_65_plus"])))
    bands = {"pop_total": float(row["pop_total"]), "pop_0_15": children, "pop_16_64": working, "older_60_plus": older65 + aged_60_64}
    raw = {
        "children_0_15": children,
        "adults_16_59": working - aged_60_64,
        "older_60_plus": older65 + aged_60_64,
        "working_age": working,
        "families": children / CHILDREN_PER_FAMILY,
        "young_people_10_17": SHARE_10_15_OF_0_15 * children + SHARE_16_17_OF_16_64 * working,
        "older_65_plus": older65,
        "adults_16_plus": working + older65,
        "households": float(row["households"]),
    }
    for group, band in DEPRIVED_COUNTS.items():
        raw[group] = deprived_count(row[group], bands[band])
    return {k: round(v, 1) for k, v in raw.items()}


def area(row: Mapping[str, Any], vintage: str = "2019") -> dict[str, Any]:
    """One docs/model.md area from one LSOA row of ``vintage``'s table."""
    _, code, name = _TABLES[vintage]
    return {
        "id": str(row[code]),
        "name": str(row[name]),
        "imd_decile": int(row["imd_decile"]),
        "imd_rank": int(row["imd_rank"]),
        "population": float(row["pop_total"]),
        "groups": groups_2025(row) if vintage == "2025" else groups(row),
    }


def build_areas(kind: str, code_or_name: str | None = None, vintage: str = DEFAULT_VINTAGE) -> list[dict[str, Any]]:
    """The areas (one per LSOA, sorted by code) of a place of ``kind``.

    ``kind`` is ``lad``, ``utla``, ``icb``, ``pfa`` (each with a code or name) or
    ``england`` (every LSOA: 33,755 in 2025, 32,844 in 2019; ``code_or_name`` ignored).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    rows, _ = select(kind, code_or_name, vintage)
    return [area(r, vintage) for r in _records(rows)]


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
    vintage: str = DEFAULT_VINTAGE,
) -> dict[str, Any]:
    """A validated scenario: ``template`` (pools, outcomes, interventions, policy) with the place's areas.

    Without a template, the default prevention template
    (:func:`optimizer.place.prevention.default_template`) with budgets scaled to the
    place's population. ``{place}`` in the scenario name is filled in. Pool
    footprints that the template lists are cut to the place's areas;
    ``pool_max_decile`` restricts a pool to areas of at most that decile.
    ``vintage`` picks the data (2025 or 2019) and is recorded in ``data_vintage``.
    Raises :class:`AreaNotFound` or :class:`~optimizer.errors.ScenarioError`.
    """
    rows, place = select(kind, code_or_name, vintage)
    areas = [area(r, vintage) for r in _records(rows)]
    if template is None:
        from optimizer.place.prevention import default_template  # local: prevention imports nothing from here

        template = default_template(sum(a["population"] for a in areas))
    scenario = copy.deepcopy(dict(template))
    scenario["areas"] = areas
    scenario["data_vintage"] = vintage
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
