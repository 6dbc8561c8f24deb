"""Package data: the real public data that totalplace ships (see ``ATTRIBUTION.md``).

Files, read through :mod:`importlib.resources` (never by a path relative to the
working directory):

- ``lsoa11_imd2019.csv.gz``: one row per English LSOA (2011), 32,844 rows: IoD2019
  IMD score, rank and decile, the IoD2019 population denominators (mid-2015),
  and the LSOA's LAD19, UTLA19, region, police force area (2019) and ICB (2022).
- ``gmca_unit_cost_database_v1_4.csv.gz``: the GMCA / New Economy Unit Cost
  Database v1.4 (674 fiscal unit costs, original price years).
- ``unit_costs_prevention.csv``: the 39-row selection of that database made for
  the prevention model.

``optimizer.place.data.rebuild`` regenerates the first two from ``shared/data``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

LSOA_TABLE = "lsoa11_imd2019.csv.gz"
GMCA_DATABASE = "gmca_unit_cost_database_v1_4.csv.gz"
GMCA_PREVENTION_SELECTION = "unit_costs_prevention.csv"


def resource(name: str) -> Traversable:
    """The shipped data file ``name`` (a :class:`Traversable`; open it with ``.open('rb')``)."""
    path = files(__name__) / name
    if not path.is_file():
        raise FileNotFoundError(f"package data file {name!r} is missing from optimizer/place/data/: reinstall totalplace")
    return path
