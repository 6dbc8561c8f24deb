"""Rebuild the shipped data files from ``shared/data`` (run by hand, not at import).

    python -m optimizer.place.data.rebuild /path/to/shared/data

It keeps only the columns the product needs, joins the IoD2019 table to the
ONS geography lookup on the LSOA code (one to one, all 32,844 rows), sorts by
LSOA code and writes a reproducible gzip (no timestamp in the header). No value
is changed. See ``docs/data.md``.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent

#: IoD2019 column (prefix of the original MHCLG header) -> shipped column name.
IMD_COLUMNS = {
    "LSOA code (2011)": "lsoa11cd",
    "LSOA name (2011)": "lsoa11nm",
    "Local Authority District code (2019)": "lad19cd",
    "Local Authority District name (2019)": "lad19nm",
    "Index of Multiple Deprivation (IMD) Score": "imd_score",
    "Index of Multiple Deprivation (IMD) Rank": "imd_rank",
    "Index of Multiple Deprivation (IMD) Decile": "imd_decile",
    "Total population: mid 2015": "pop_total",
    "Dependent Children aged 0-15": "pop_0_15",
    "Population aged 16-59": "pop_16_59",
    "Older population aged 60 and over": "pop_60_plus",
    "Working age population 18-59/64": "pop_working_age",
}
GEOGRAPHY_COLUMNS = ["UTLA19CD", "UTLA19NM", "RGN19CD", "RGN19NM", "PFA19CD", "PFA19NM", "ICB22CD", "ICB22NM"]


def _write_gzip(text: str, dest: Path) -> None:
    with gzip.GzipFile(dest, "wb", mtime=0, compresslevel=9) as out:
        out.write(text.encode("utf-8"))


def build_lsoa_table(source: Path) -> pd.DataFrame:
    """The trimmed LSOA table, from ``imd2019_lsoa.csv`` and ``lsoa11_geography_lookup.csv``."""
    imd = pd.read_csv(source / "imd2019_lsoa.csv")
    renames = {}
    for prefix, name in IMD_COLUMNS.items():
        matches = [c for c in imd.columns if c.startswith(prefix)]
        if len(matches) != 1:
            raise ValueError(f"expected one column starting {prefix!r} in imd2019_lsoa.csv, found {matches}")
        renames[matches[0]] = name
    table = imd[list(renames)].rename(columns=renames)
    geo = pd.read_csv(source / "lsoa11_geography_lookup.csv", usecols=["LSOA11CD", *GEOGRAPHY_COLUMNS])
    geo.columns = [c.lower() for c in geo.columns]
    table = table.merge(geo, on="lsoa11cd", how="inner", validate="one_to_one")
    if len(table) != len(imd):
        raise ValueError(f"the geography lookup matched {len(table)} of {len(imd)} LSOAs")
    return table.sort_values("lsoa11cd").reset_index(drop=True)


def main(source_dir: str) -> None:
    source = Path(source_dir)
    _write_gzip(build_lsoa_table(source).to_csv(index=False), HERE / "lsoa11_imd2019.csv.gz")
    _write_gzip((source / "gmca_unit_cost_database_v1_4.csv").read_text(encoding="utf-8"), HERE / "gmca_unit_cost_database_v1_4.csv.gz")
    (HERE / "unit_costs_prevention.csv").write_bytes((source / "unit_costs_prevention.csv").read_bytes())


if __name__ == "__main__":  # pragma: no cover - a maintenance script
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
