"""Boundaries of a scenario's areas as GeoJSON (WGS84), for maps.

:func:`boundaries` returns a GeoJSON FeatureCollection with one feature per area
of a scenario (or per LSOA code given), from the shipped ONS 2021 LSOA
boundaries (super generalised, clipped; 5 decimals of a degree, about 1 m; OGL
v3.0, contains OS data, see ``optimizer/place/data/ATTRIBUTION.md``).

- ``vintage="2025"``: the areas are 2021 LSOAs; each feature is that LSOA.
- ``vintage="2019"``: the areas are 2011 LSOAs. No 2011 boundaries are shipped,
  so each is drawn from the 2021 LSOAs it became (the ONS 2011 -> 2021 lookup):
  unchanged (U) and split (S) LSOAs exactly (a split one as the MultiPolygon of
  its parts); merged (M) and irregular (X) ones as the 2021 LSOA(s) they fell
  into, which are larger. Such features carry ``"approximate": true``.

Each feature has ``id`` (the area id) and properties ``id``, ``name`` and
``imd_decile`` where the scenario gives them, ``lsoa21`` (the 2021 LSOAs drawn)
and ``approximate``. Area ids with no boundary (not English LSOAs) are listed in
the collection's ``missing`` member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import pandas as pd

from optimizer.place.data import LSOA11_TO_LSOA21, LSOA21_BOUNDARIES, resource

#: the grid of the shipped coordinates: 1e-5 degrees
SCALE = 100_000


@cache
def _encoded() -> dict[str, str]:
    """2021 LSOA code -> its encoded polygons (``optimizer/place/data/rebuild.py`` ``build_boundaries``)."""
    import gzip

    with resource(LSOA21_BOUNDARIES).open("rb") as handle:
        text = gzip.decompress(handle.read()).decode("utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line)


@cache
def _lookup() -> dict[str, tuple[list[str], bool]]:
    """2011 LSOA code -> (the 2021 LSOAs drawn for it, whether that is approximate)."""
    with resource(LSOA11_TO_LSOA21).open("rb") as handle:
        table = pd.read_csv(handle, compression="gzip", usecols=["lsoa11_code", "lsoa21_code", "change_code"])
    parts: dict[str, list[str]] = {}
    approximate: set[str] = set()
    for old, new, change in zip(table["lsoa11_code"].astype(str), table["lsoa21_code"].astype(str), table["change_code"], strict=True):
        parts.setdefault(old, []).append(new)
        if change in ("M", "X"):
            approximate.add(old)
    return {old: (sorted(new), old in approximate) for old, new in parts.items()}


def _ring(text: str) -> list[list[float]]:
    numbers = [int(v) for v in text.split(",")]
    x = y = 0
    ring = []
    for k in range(0, len(numbers), 2):
        x, y = x + numbers[k], y + numbers[k + 1]
        ring.append([x / SCALE, y / SCALE])
    return ring


def polygons(lsoa21: str) -> list[list[list[list[float]]]]:
    """The MultiPolygon coordinates of one 2021 LSOA (longitude, latitude); KeyError if unknown."""
    return [[_ring(r) for r in polygon.split(";")] for polygon in _encoded()[lsoa21].split("/")]


def vintage_of(ids: Iterable[str]) -> str:
    """The vintage whose LSOAs draw more of ``ids``: "2019" (2011 LSOAs) or "2025" (2021 LSOAs, also on a tie).

    For a scenario without ``data_vintage`` (made before it was recorded, or by hand): a 2011 LSOA that was
    split or merged in 2021 has no 2021 boundary of its own code, and a new 2021 code is no 2011 LSOA.
    """
    codes = [str(c) for c in ids]
    in_2021 = sum(c in _encoded() for c in codes)
    in_2011 = sum(c in _lookup() for c in codes)
    return "2019" if in_2011 > in_2021 else "2025"


def drawable(ids: Iterable[str], vintage: str = "2025") -> dict[str, bool]:
    """Of ``ids``, those with a boundary, each with whether it is approximate (as :func:`boundaries`), without drawing them."""
    out = {}
    for code in map(str, ids):
        if vintage == "2025":
            if code in _encoded():
                out[code] = False
        elif code in _lookup():
            out[code] = _lookup()[code][1]
    return out


def boundaries(areas: Mapping[str, Any] | Iterable[str] | Any, vintage: str | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS84) of the areas of a scenario, or of the LSOA codes given.

    ``areas`` is a scenario (a dict, or a parsed :class:`~optimizer.scenario.Scenario`) or
    an iterable of area ids. ``vintage`` ("2025": 2021 LSOAs, "2019": 2011 LSOAs)
    defaults to the scenario's ``data_vintage``, else "2025".
    """
    rows: list[dict[str, Any]]
    if isinstance(areas, Mapping):
        rows = [dict(a) for a in areas.get("areas", [])]
        vintage = vintage or areas.get("data_vintage")
    elif hasattr(areas, "areas"):
        rows = [{"id": a.id, "name": a.name, "imd_decile": a.imd_decile} for a in areas.areas]
        vintage = vintage or getattr(areas, "data_vintage", None)
    else:
        rows = [{"id": str(code)} for code in areas]
    vintage = str(vintage or "2025")
    if vintage not in ("2025", "2019"):
        raise ValueError(f"vintage must be 2025 or 2019; got {vintage!r}")
    features, missing = [], []
    for row in rows:
        code = str(row["id"])
        if vintage == "2025":
            parts, approximate = ([code], False) if code in _encoded() else ([], False)
        else:
            parts, approximate = _lookup().get(code, ([], False))
        if not parts:
            missing.append(code)
            continue
        coordinates = [polygon for part in parts for polygon in polygons(part)]
        properties = {"id": code, "lsoa21": parts, "approximate": approximate}
        for key in ("name", "imd_decile"):
            if row.get(key) is not None:
                properties[key] = row[key]
        features.append(
            {"type": "Feature", "id": code, "properties": properties, "geometry": {"type": "MultiPolygon", "coordinates": coordinates}}
        )
    return {"type": "FeatureCollection", "features": features, "missing": missing}
