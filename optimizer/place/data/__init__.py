"""Package data: the real public data that totalplace ships (see ``ATTRIBUTION.md``).

Files, read through :mod:`importlib.resources` (never by a path relative to the
working directory):

- ``lsoa11_imd2019.csv.gz``: one row per English LSOA (2011), 32,844 rows: IoD2019
  IMD score, rank and decile, the IoD2019 population denominators (mid-2015),
  and the LSOA's LAD19, UTLA19, region, police force area (2019) and ICB (2022).
- ``lsoa21_imd2025.csv.gz``: one row per English LSOA (2021), 33,755 rows: IoD2025
  IMD score, rank and decile, the four IoD2025 File 8 counts of deprived people
  (blank below 10), Census 2021 population by age band and households, and the
  LSOA's LAD24, upper-tier council (derived), ICB24 and police force area (2024).
- ``lsoa11_lsoa21.csv.gz``: the ONS LSOA 2011 -> 2021 lookup for England, with
  each pair's share of the 2011 LSOA's Census 2021 residents.
- ``lsoa21_boundaries.txt.gz``: the ONS 2021 LSOA boundaries (BSC, WGS84) for
  England, on a 1e-5 degree grid, delta-encoded (read by
  :mod:`optimizer.place.boundaries`).
- ``gmca_unit_cost_database_v1_4.csv.gz``: the GMCA / New Economy Unit Cost
  Database v1.4 (674 fiscal unit costs, original price years).
- ``unit_costs_prevention.csv``: the 39-row selection of that database made for
  the prevention model.

``optimizer.place.data.rebuild`` regenerates every file from ``shared/data``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

LSOA_TABLE = "lsoa11_imd2019.csv.gz"
LSOA21_TABLE = "lsoa21_imd2025.csv.gz"
LSOA11_TO_LSOA21 = "lsoa11_lsoa21.csv.gz"
LSOA21_BOUNDARIES = "lsoa21_boundaries.txt.gz"
GMCA_DATABASE = "gmca_unit_cost_database_v1_4.csv.gz"
GMCA_PREVENTION_SELECTION = "unit_costs_prevention.csv"


def resource(name: str) -> Traversable:
    """The shipped data file ``name`` (a :class:`Traversable`; open it with ``.open('rb')``)."""
    path = files(__name__) / name
    if not path.is_file():
        raise FileNotFoundError(f"package data file {name!r} is missing from optimizer/place/data/: reinstall totalplace")
    return path
