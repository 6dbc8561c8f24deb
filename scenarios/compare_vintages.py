"""What the 2025 data change in each worked scenario: solved on IoD2019 (2011 LSOAs) and on IoD2025 (2021 LSOAs).

    .venv/bin/python scenarios/compare_vintages.py             # every worked scenario but England
    .venv/bin/python scenarios/compare_vintages.py southwark   # one (england too, if named)

Each scenario is built twice by ``build_scenarios.build`` (the same settings, on
vintage 2019 and on 2025) and solved with the default back end. Printed, as the
markdown tables of scenarios/README.md ("What the 2025 data changed"): areas, areas in
decile 1 and in the rule's deprived set, the pools; the objective, the spending and the
share of it in the rule's deprived areas, and each agency's net position (savings
minus spending, discounted: who pays); and the LSOAs that entered or left decile 1,
matched through the ONS 2011 -> 2021 LSOA lookup (``optimizer.place.data.LSOA11_TO_LSOA21``):
a 2021 LSOA "entered" when it is in decile 1 in 2025 and none of the 2011 LSOAs it
came from was in decile 1 in 2019; a 2011 LSOA "left" when it was in decile 1 in 2019
and none of the 2021 LSOAs it became is in decile 1 in 2025.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.check import deprived_areas
from optimizer.place.data import LSOA11_TO_LSOA21, resource
from optimizer.scenario import parse_scenario
from optimizer.solve import solve

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("build_scenarios", HERE / "build_scenarios.py")
assert _spec and _spec.loader
builder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builder)


#: the worked scenarios whose rule was changed with the data: stem -> the Community Wealth Fund settings
#: the scenario had on IoD2019 (its "before"), shown also on IoD2025 as the alternative not chosen.
BEFORE_RULE: dict[str, dict[str, Any]] = {"southwark": {"basis": "national"}}


def lookup() -> pd.DataFrame:
    """The ONS LSOA 2011 -> 2021 lookup (England), as shipped."""
    with resource(LSOA11_TO_LSOA21).open("rb") as handle:
        return pd.read_csv(handle, compression="gzip", usecols=["lsoa11_code", "lsoa21_code"])


def deprived_ids(data: dict[str, Any]) -> set[str]:
    """The areas the Community Wealth Fund rule counts (national deciles, or the place's own tenths), by the checker."""
    return deprived_areas(parse_scenario(data))


def solved(data: dict[str, Any]) -> dict[str, Any]:
    """The figures a board reads, from one solve."""
    result = solve(parse_scenario(data))
    doc = result.to_dict()
    summary = doc["summary"]
    deprived = deprived_ids(data)
    in_deprived = sum(r["spend"] for r in doc["allocations"] if r["area"] in deprived)
    return {
        "status": doc["status"],
        "objective": doc["objective"],
        "spending": summary["total_spending"],
        "deprived_spending": in_deprived,
        "deprived_share": summary["deprived_share"],
        "net": summary["net_position_by_agency"],
        "pays": summary["spending_by_agency"],
    }


def describe(data: dict[str, Any]) -> dict[str, Any]:
    areas = data["areas"]
    return {
        "areas": len(areas),
        "decile1": sum(1 for a in areas if a["imd_decile"] == 1),
        "deprived": len(deprived_ids(data)),
        "population": sum(a["population"] for a in areas),
        "pools": {p["id"]: p["budget"][0] for p in data["pools"]},
    }


def moved(old: dict[str, Any], new: dict[str, Any], table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(2021 LSOAs that entered decile 1, 2011 LSOAs that left it), within the place."""
    d19 = {a["id"]: a["imd_decile"] for a in old["areas"]}
    d25 = {a["id"]: a["imd_decile"] for a in new["areas"]}
    rows = table[table["lsoa11_code"].isin(d19) | table["lsoa21_code"].isin(d25)]
    parents = rows.groupby("lsoa21_code")["lsoa11_code"].apply(list).to_dict()
    children = rows.groupby("lsoa11_code")["lsoa21_code"].apply(list).to_dict()
    entered = sorted(c for c, d in d25.items() if d == 1 and not any(d19.get(p) == 1 for p in parents.get(c, [])))
    left = sorted(c for c, d in d19.items() if d == 1 and not any(d25.get(k) == 1 for k in children.get(c, [])))
    return entered, left


def _m(v: float) -> str:
    return f"£{v / 1e6:.2f}m"


def _gbp(v: float) -> str:
    return f"-£{-v:,.0f}" if v < 0 else f"£{v:,.0f}"


def _brief(r: dict[str, Any]) -> str:
    return (f"objective {_gbp(r['objective'])}, spending {_gbp(r['spending'])}, "
            f"{_gbp(r['deprived_spending'])} ({r['deprived_share']:.1%}) in deprived areas")


def report(stem: str, table: pd.DataFrame) -> str:
    old, new = builder.build(stem, "2019"), builder.build(stem, "2025")
    cwf = new["policy"]["community_wealth_fund"]
    rule = f"decile <= {cwf['max_decile']}, {cwf['basis']} basis"
    lines = [f"**{stem}** ({rule})", ""]
    if stem in BEFORE_RULE:
        old["policy"]["community_wealth_fund"].update(BEFORE_RULE[stem])
        alternative = builder.build(stem, "2025")
        alternative["policy"]["community_wealth_fund"].update(BEFORE_RULE[stem])
        was = old["policy"]["community_wealth_fund"]
        lines += [f"On 2019 data the rule was decile <= {was['max_decile']}, {was['basis']} basis; on 2025 data with that "
                  f"rule: {describe(alternative)['deprived']} deprived areas, " + _brief(solved(alternative)) + ".", ""]
    a, b = describe(old), describe(new)
    x, y = solved(old), solved(new)
    entered, left = moved(old, new, table)
    lines += ["| | 2019 data | 2025 data |", "| --- | ---: | ---: |",
             f"| areas (decile 1) | {a['areas']} ({a['decile1']}) | {b['areas']} ({b['decile1']}) |",
             f"| deprived areas under the rule | {a['deprived']} | {b['deprived']} |",
             f"| population | {a['population']:,.0f} | {b['population']:,.0f} |",
             "| pools a year (council / police / NHS) | " + " / ".join(_m(v) for v in a["pools"].values()) + " | "
             + " / ".join(_m(v) for v in b["pools"].values()) + " |",
             f"| status | {x['status']} | {y['status']} |",
             f"| objective (weighted NPV) | {_gbp(x['objective'])} | {_gbp(y['objective'])} |",
             f"| spending, 3 years | {_gbp(x['spending'])} | {_gbp(y['spending'])} |",
             f"| in deprived areas | {_gbp(x['deprived_spending'])} ({x['deprived_share']:.1%}) | "
             f"{_gbp(y['deprived_spending'])} ({y['deprived_share']:.1%}) |"]
    for agency in x["net"]:
        lines.append(f"| {agency}: pays / net | {_gbp(x['pays'][agency])} / {_gbp(x['net'][agency])} | "
                     f"{_gbp(y['pays'][agency])} / {_gbp(y['net'][agency])} |")
    lines += ["", f"Decile 1: {len(entered)} 2021 LSOAs entered ({', '.join(entered) or 'none'}); "
              f"{len(left)} 2011 LSOAs left ({', '.join(left) or 'none'})."]
    return "\n".join(lines)


def main(stems: list[str]) -> None:
    table = lookup()
    for stem in stems or [s for s in builder.WORKED if s != "england"]:
        print(report(stem, table), end="\n\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
