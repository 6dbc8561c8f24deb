"""Regenerate the worked scenarios in this folder from the shipped data.

    .venv/bin/python scenarios/build_scenarios.py            # all of them
    .venv/bin/python scenarios/build_scenarios.py manchester  # one

Each scenario is the default prevention template (optimizer/place/prevention.py) for
one council's real LSOAs, with that council's policy settings below (a variant, such
as manchester_tight, changes some of them and lives in a subfolder); the
reasons for each choice are in scenarios/README.md. The data are those
``totalplace scenario build`` uses by default: IoD2025 on 2021 LSOAs with Census
2021 population (vintage "2025", recorded in each file's ``data_vintage``); a
scenario's settings may name another ``vintage``. Files are written in
canonical form (every default filled, keys sorted), so that a change in the
data, a unit cost or the deflator shows up as a diff here.

``python scenarios/compare_vintages.py`` solves each one on both vintages and
prints what the 2025 data changed (scenarios/README.md, "What the 2025 data changed").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's optimizer, whatever else is installed

from optimizer.place.geography import DEFAULT_VINTAGE, build_scenario, select  # noqa: E402
from optimizer.place.prevention import default_template
from optimizer.scenario import canonical_dict, parse_scenario

HERE = Path(__file__).parent

#: file stem -> (kind, code, place settings). Settings: policy (docs/model.md "Policy"),
#: reinvest (pool -> rate), fixed_cost (intervention -> £), pool_interventions
#: (pool -> ids it may fund), solver (docs/model.md "Solver"), per_resident (pool -> £ per
#: resident a year, instead of the template's), name (the scenario's label, with {place}),
#: folder (a subfolder to write the file in, for variants of a worked scenario), vintage (the
#: data, "2025" or "2019"; the default is the CLI's, 2025).
WORKED: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "islington": (
        "lad",
        "E09000019",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 2}, "no_agency_worse_off": True},
        },
    ),
    "manchester": (
        "lad",
        "E08000003",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 1}},
        },
    ),
    "south_tyneside": (
        "lad",
        "E08000023",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 1, "per_capita_floor": 1.0}},
        },
    ),
    "camden": (
        "lad",
        "E09000007",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 1, "basis": "local"}, "no_agency_worse_off": True},
        },
    ),
    "wakefield": (
        "lad",
        "E08000036",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 1}, "equity_weights": {"1": 1.5, "2": 1.25}},
        },
    ),
    "ealing": (
        "lad",
        "E09000009",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 2}, "no_agency_worse_off": True},
            "reinvest": {"council": 0.5},
            "fixed_cost": {"falls_prevention": 2000.0},
        },
    ),
    # On IoD2019 the rule was national deciles 1-2 (38 areas); on IoD2025 only 15 of Southwark's 173 are
    # there, so, as in Camden, it is set locally: the 20 % most deprived of its own (35); scenarios/README.md.
    "southwark": (
        "lad",
        "E09000028",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 2, "basis": "local"}},
            "pool_interventions": {
                "police": ["early_help", "youth_diversion", "domestic_abuse_support"],
                "nhs": ["social_prescribing", "falls_prevention", "domestic_abuse_support", "early_help"],
            },
        },
    ),
    "england": (
        "england",
        None,
        {
            "policy": {"community_wealth_fund": {"min_share": 0.3, "max_decile": 1}},
            "solver": {"time_limit": 900.0},
        },
    ),
    # Manchester again, with the money short: half the prevention slice, "no agency worse off",
    # and a Community Wealth Fund share above what the optimum meets for free (scenarios/README.md).
    "manchester_tight": (
        "lad",
        "E08000003",
        {
            "policy": {"community_wealth_fund": {"min_share": 0.8, "max_decile": 1}, "no_agency_worse_off": True,
                       # the link-worker service the partnership has already contracted for the three years (scenarios/README.md)
                       "commitments": [{"intervention": "social_prescribing", "min_spend": 300000.0}]},
            "per_resident": {"council": 6.0, "police": 1.5, "nhs": 3.0},
            "name": "{place} prevention pool, tight budgets (worked scenario, 2023/24 prices)",
            "folder": "tight",
        },
    ),
}


def build(stem: str, vintage: str | None = None) -> dict[str, Any]:
    """The canonical scenario dict of one worked scenario, on its vintage (or on ``vintage``, to compare)."""
    kind, code, settings = WORKED[stem]
    vintage = vintage or settings.get("vintage", DEFAULT_VINTAGE)
    rows, place = select(kind, code, vintage)
    template = default_template(
        float(rows["pop_total"].sum()),
        name=settings.get("name", "{place} prevention pool (worked scenario, 2023/24 prices)"),
        per_resident=settings.get("per_resident"),
        policy=settings["policy"],
    )
    for pool in template["pools"]:
        if pool["id"] in settings.get("reinvest", {}):
            pool["reinvest_rate"] = settings["reinvest"][pool["id"]]
        if pool["id"] in settings.get("pool_interventions", {}):
            pool["interventions"] = settings["pool_interventions"][pool["id"]]
    for iv in template["interventions"]:
        if iv["id"] in settings.get("fixed_cost", {}):
            iv["fixed_cost"] = settings["fixed_cost"][iv["id"]]
    if "solver" in settings:
        template["solver"] = settings["solver"]
    scenario = build_scenario(kind, code, template, vintage=vintage)  # records data_vintage
    data = canonical_dict(parse_scenario(scenario), with_solver=True)
    # canonical_dict writes max_decile as a float, which the strict parser refuses:
    # keep it an integer so that the file round-trips.
    cwf = data["policy"]["community_wealth_fund"]
    cwf["max_decile"] = int(cwf["max_decile"])
    return data


def text(data: dict[str, Any]) -> str:
    """Canonical JSON text: keys sorted; indented unless it is the national file."""
    compact = len(data["areas"]) > 5_000
    layout: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 1}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False, **layout) + "\n"


def file_of(stem: str) -> Path:
    """Where a worked scenario's file lives: this folder, or the subfolder its settings name."""
    return HERE / WORKED[stem][2].get("folder", ".") / f"{stem}.json"


def main(stems: list[str]) -> None:
    for stem in stems or list(WORKED):
        path = file_of(stem)
        path.parent.mkdir(exist_ok=True)
        path.write_text(text(build(stem)), encoding="utf-8")
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main(sys.argv[1:])
