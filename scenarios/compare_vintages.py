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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's optimizer, whatever else is installed

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


def _gbp(v: float) -> str:
    return f"-£{-v:,.0f}" if v < -0.5 else f"£{abs(v):,.0f}"


def _mgbp(v: float) -> str:
    return f"-£{-v / 1e6:.2f}m" if v < -5_000 else f"£{abs(v) / 1e6:.2f}m"


def compare(stem: str, table: pd.DataFrame) -> dict[str, Any]:
    """One worked scenario on both vintages: its description, its solves, and the LSOAs that moved in or out of decile 1."""
    old, new = builder.build(stem, "2019"), builder.build(stem, "2025")
    out: dict[str, Any] = {"stem": stem}
    if stem in BEFORE_RULE:
        old["policy"]["community_wealth_fund"].update(BEFORE_RULE[stem])
        alternative = builder.build(stem, "2025")
        alternative["policy"]["community_wealth_fund"].update(BEFORE_RULE[stem])
        out["alternative"] = (describe(alternative), solved(alternative))
    out["rules"] = [_rule(d) for d in (old, new)]
    out["before"], out["after"] = (describe(old), solved(old)), (describe(new), solved(new))
    out["entered"], out["left"] = moved(old, new, table)
    return out


def _rule(data: dict[str, Any]) -> str:
    cwf = data["policy"]["community_wealth_fund"]
    return f"{cwf['min_share']:.0%} to decile <= {cwf['max_decile']}, {cwf['basis']}"


def tables(rows: list[dict[str, Any]]) -> str:
    """The markdown of scenarios/README.md's "What the 2025 data changed"."""
    head = ["scenario", "rule (2019 -> 2025)", "areas", "decile 1", "deprived under the rule", "objective",
            "spending, 3 years", "in deprived areas"]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for r in rows:
        (a, x), (b, y) = r["before"], r["after"]
        rule = r["rules"][0] if r["rules"][0] == r["rules"][1] else f"{r['rules'][0]} -> {r['rules'][1]}"
        lines.append(f"| {r['stem']} | {rule} | {a['areas']} -> {b['areas']} | {a['decile1']} -> {b['decile1']} | "
                     f"{a['deprived']} -> {b['deprived']} | {_gbp(x['objective'])} -> {_gbp(y['objective'])} | "
                     f"{_mgbp(x['spending'])} -> {_mgbp(y['spending'])} | {_mgbp(x['deprived_spending'])} "
                     f"({x['deprived_share']:.1%}) -> {_mgbp(y['deprived_spending'])} ({y['deprived_share']:.1%}) |")
    agencies = list(rows[0]["before"][1]["net"])
    lines += ["", "Who pays (each pool's spending, discounted) and each agency's net position (savings minus spending), "
              "2019 data -> 2025 data:", ""]
    head = ["scenario", *(f"{g} pays" for g in agencies if g != "cjs"), *(f"{g} net" for g in agencies)]
    lines += ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for r in rows:
        x, y = r["before"][1], r["after"][1]
        cells = [f"{_mgbp(x['pays'][g])} -> {_mgbp(y['pays'][g])}" for g in agencies if g != "cjs"]
        cells += [f"{_mgbp(x['net'][g])} -> {_mgbp(y['net'][g])}" for g in agencies]
        lines.append(f"| {r['stem']} | " + " | ".join(cells) + " |")
    lines += ["", "LSOAs that entered decile 1 (2021 codes) and left it (2011 codes), through the ONS lookup:", ""]
    for r in rows:
        lines.append(f"- {r['stem']}: {len(r['entered'])} entered ({', '.join(r['entered']) or 'none'}); "
                     f"{len(r['left'])} left ({', '.join(r['left']) or 'none'}).")
    for r in rows:
        if "alternative" in r:
            d, s = r["alternative"]
            lines += ["", f"{r['stem']} on the 2025 data with its 2019 rule ({r['rules'][0]}): {d['deprived']} deprived areas, "
                      f"objective {_gbp(s['objective'])}, spending {_mgbp(s['spending'])}, {_mgbp(s['deprived_spending'])} "
                      f"({s['deprived_share']:.1%}) in deprived areas."]
    return "\n".join(lines)


def main(stems: list[str]) -> None:
    table = lookup()
    rows = [compare(stem, table) for stem in stems or [s for s in builder.WORKED if s != "england"]]
    print(tables(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
