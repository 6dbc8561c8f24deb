"""Rebuild the shipped data files from ``shared/data`` (run by hand, not at import).

    python -m optimizer.place.data.rebuild /path/to/shared/data

It keeps only the columns the product needs, joins the IoD2019 table to the
ONS geography lookup on the LSOA code (one to one, all 32,844 rows), joins the
IoD2025 table (``iod2025/``) to the Census 2021 population on the 2021 LSOA code
(one to one, all 33,755 rows), sorts by LSOA code and writes reproducible gzips
(no timestamp in the header). No published value is changed; the one derived
column is the 2025 upper-tier council (see :func:`upper_tier_2024`). See
``docs/data.md``.

``make data/rebuild`` runs it; ``main(source, dest)`` writes into ``dest``.
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


#: IoD2025 columns kept (``iod2025/imd2025_lsoa21.csv``), under their shipped names.
IMD2025_COLUMNS = {
    "lsoa21_code": "lsoa21cd",
    "lsoa21_name": "lsoa21nm",
    "ltla24_code": "lad24cd",
    "ltla24_name": "lad24nm",
    "icb24_code": "icb24cd",
    "icb24_name": "icb24nm",
    "pfa24_code": "pfa24cd",
    "pfa24_name": "pfa24nm",
    "imd_score": "imd_score",
    "imd_rank": "imd_rank",
    "imd_decile": "imd_decile",
    "income_deprived_people": "income_deprived",
    "idaci_children_income_deprived": "children_income_deprived",
    "idaopi_older_income_deprived": "older_income_deprived",
    "employment_deprived_people": "employment_deprived",
}
#: Population columns kept (``iod2025/population_lsoa21.csv``).
POPULATION2025_COLUMNS = {
    "census21_total": "pop_total",
    "census21_age_0_15": "pop_0_15",
    "census21_age_16_64": "pop_16_64",
    "census21_age_65_plus": "pop_65_plus",
    "census21_households": "households",
    "mye2020_age_60_plus": "mye2020_60_plus",
    "mye2020_age_65_plus": "mye2020_65_plus",
}
#: Integer columns that may be blank (a File 8 count below 10): written as nullable integers.
BLANK_WHEN_FEWER_THAN_10 = ("income_deprived", "children_income_deprived", "older_income_deprived", "employment_deprived")
#: Local authority code prefixes that are their own upper tier (unitary, metropolitan district, London borough).
SINGLE_TIER_PREFIXES = ("E06", "E08", "E09")


def upper_tier_2024(table: pd.DataFrame, source: Path) -> pd.DataFrame:
    """``utla24cd``/``utla24nm`` for each 2021 LSOA row of ``table``.

    No 2024 upper-tier lookup is in ``shared/data``, so it is derived: a
    single-tier council (code E06, E08, E09) is its own upper tier; a district
    (E07) lies in the county (E10) that held its LSOAs in 2019, found through
    the ONS LSOA 2011 -> 2021 lookup: the county of at least 95 % of its
    LSOA pairs (a few fragmented LSOAs cross council boundaries; the code
    checks that each district has one clear county).
    """
    lookup = pd.read_csv(source / "iod2025" / "lsoa11_lsoa21.csv", usecols=["lsoa11_code", "lsoa21_code"])
    geo = pd.read_csv(source / "lsoa11_geography_lookup.csv", usecols=["LSOA11CD", "UTLA19CD", "UTLA19NM"])
    pairs = lookup.merge(geo, left_on="lsoa11_code", right_on="LSOA11CD").merge(
        table[["lsoa21cd", "lad24cd"]], left_on="lsoa21_code", right_on="lsoa21cd"
    )
    districts = pairs[~pairs["lad24cd"].str[:3].isin(SINGLE_TIER_PREFIXES)]
    votes = districts.groupby(["lad24cd", "UTLA19CD", "UTLA19NM"]).size().reset_index(name="n")
    votes = votes.sort_values(["lad24cd", "n", "UTLA19CD"], ascending=[True, False, True])
    share = votes.groupby("lad24cd")["n"].transform(lambda n: n / n.sum())
    top = votes[share.groupby(votes["lad24cd"]).cumcount() == 0]
    weak = top[share[top.index] < 0.95]
    if len(weak):
        raise ValueError(f"districts without one clear 2019 county: {weak['lad24cd'].tolist()}")
    counties = top.set_index("lad24cd")[["UTLA19CD", "UTLA19NM"]].agg(list, axis=1)
    county = {str(lad): (str(v[0]), str(v[1])) for lad, v in counties.items()}
    single = table["lad24cd"].str[:3].isin(SINGLE_TIER_PREFIXES)
    codes = [lad if one else county[lad][0] for lad, one in zip(table["lad24cd"], single, strict=True)]
    names = [nm if one else county[lad][1] for lad, nm, one in zip(table["lad24cd"], table["lad24nm"], single, strict=True)]
    return pd.DataFrame({"utla24cd": codes, "utla24nm": names}, index=table.index)


def build_lsoa21_table(source: Path) -> pd.DataFrame:
    """The trimmed 2021 LSOA table: IoD2025, 2024 geographies and Census 2021 population."""
    folder = source / "iod2025"
    imd = pd.read_csv(folder / "imd2025_lsoa21.csv", usecols=list(IMD2025_COLUMNS)).rename(columns=IMD2025_COLUMNS)
    pop = pd.read_csv(folder / "population_lsoa21.csv", usecols=["lsoa21_code", *POPULATION2025_COLUMNS])
    pop = pop.rename(columns={"lsoa21_code": "lsoa21cd", **POPULATION2025_COLUMNS})
    table = imd.merge(pop, on="lsoa21cd", how="inner", validate="one_to_one")
    if len(table) != len(imd) or len(table) != len(pop):
        raise ValueError(f"the population table matched {len(table)} of {len(imd)} LSOAs")
    for column in BLANK_WHEN_FEWER_THAN_10:
        table[column] = table[column].astype("Int64")
    utla = upper_tier_2024(table, source)
    at = list(table.columns).index("icb24cd")
    table.insert(at, "utla24cd", utla["utla24cd"])
    table.insert(at + 1, "utla24nm", utla["utla24nm"])
    return table.sort_values("lsoa21cd").reset_index(drop=True)


#: boundaries are kept on a grid of 1e-5 degrees (about 1 m), the precision of the source file: no vertex moves.
BOUNDARY_SCALE = 100_000


def encode_ring(ring: list[list[float]]) -> str:
    """One ring as integers on the 1e-5 degree grid: the first point, then each point's step from the last."""
    out: list[int] = []
    last_x = last_y = 0
    for lon, lat in ring:
        x, y = round(lon * BOUNDARY_SCALE), round(lat * BOUNDARY_SCALE)
        out += [x - last_x, y - last_y]
        last_x, last_y = x, y
    return ",".join(map(str, out))


def build_boundaries(source: Path) -> str:
    """The 2021 LSOA boundaries as text: one line per LSOA, ``code<TAB>polygons``, sorted by code.

    Polygons are separated by ``/``, the rings of a polygon (outer first) by ``;``,
    and each ring is :func:`encode_ring`'s list. Coordinates are WGS84 longitude,
    latitude, as in the source (ONS BSC, 5 decimals).
    """
    import json

    data = json.loads((source / "iod2025" / "lsoa21_boundaries.geojson").read_text(encoding="utf-8"))
    lines = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        text = "/".join(";".join(encode_ring(ring) for ring in polygon) for polygon in polygons)
        lines.append(f"{feature['properties']['LSOA21CD']}\t{text}")
    return "\n".join(sorted(lines)) + "\n"


def main(source_dir: str | Path, dest_dir: str | Path = HERE) -> None:
    """Write every shipped data file from ``source_dir`` (``shared/data``) into ``dest_dir``."""
    source, dest = Path(source_dir), Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    _write_gzip(build_lsoa_table(source).to_csv(index=False), dest / "lsoa11_imd2019.csv.gz")
    _write_gzip(build_lsoa21_table(source).to_csv(index=False), dest / "lsoa21_imd2025.csv.gz")
    _write_gzip((source / "iod2025" / "lsoa11_lsoa21.csv").read_text(encoding="utf-8"), dest / "lsoa11_lsoa21.csv.gz")
    _write_gzip(build_boundaries(source), dest / "lsoa21_boundaries.txt.gz")
    _write_gzip((source / "gmca_unit_cost_database_v1_4.csv").read_text(encoding="utf-8"), dest / "gmca_unit_cost_database_v1_4.csv.gz")
    (dest / "unit_costs_prevention.csv").write_bytes((source / "unit_costs_prevention.csv").read_bytes())


if __name__ == "__main__":  # pragma: no cover - a maintenance script
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data", sys.argv[2] if len(sys.argv) > 2 else HERE)
