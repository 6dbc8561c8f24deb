"""The "new scenario from a place" form: a place of the shipped geography, its budgets, interventions and rules, built as the CLI builds it.

``totalplace scenario build --lad Manchester`` and this form make the same
scenario: the place's neighbourhoods (``geography.build_scenario``) in the
worked scenarios' template (``prevention.default_template``: three pools,
five interventions, eleven outcomes), with what the board chose put in it.
Every problem is the scenario validator's own, at its JSON pointer
(``/pools/1/budget/0``), shown next to the form field that pointer names
(:func:`field_of`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from optimizer import Problem, ScenarioError, geography, prevention

#: the kinds of place offered, in the order of the picker's groups (England is too large for one page)
KINDS = ("lad", "utla", "icb", "pfa")
GROUP_LABELS = {
    "lad": "Local authority districts",
    "utla": "Upper-tier local authorities (county and unitary councils)",
    "icb": "Integrated Care Boards",
    "pfa": "Police force areas",
}
VINTAGES = {
    "2025": "IoD2025 on 2021 neighbourhoods, Census 2021 population (2024 boundaries)",
    "2019": "IoD2019 on 2011 neighbourhoods, mid-2015 population (2019 boundaries; ICBs of 2022)",
}
#: the worked scenarios' spending years (each pool's budget is given for each)
YEARS = 3
#: the form's fields of the Community Wealth Fund rule -> the policy key each sets
CWF_FIELDS = {"min_share": "min_share", "max_decile": "max_decile", "basis": "basis", "per_capita_floor": "per_capita_floor"}
#: fields given in per cent on the form, a fraction in the scenario
PERCENT_FIELDS = {"min_share"}


@cache
def place_groups() -> list[dict[str, Any]]:
    """The picker's groups: each kind of place with its places (value ``kind:code``, label with its neighbourhoods), by name."""
    out = []
    for kind in KINDS:
        table = geography.places(kind, geography.DEFAULT_VINTAGE)
        options = [{"value": f"{kind}:{r.code}", "label": f"{r.name} ({r.lsoas:,} neighbourhoods)"} for r in table.itertuples(index=False)]
        out.append({"kind": kind, "label": f"{GROUP_LABELS[kind]} ({len(options)})", "options": options})
    return out


def pools() -> list[dict[str, Any]]:
    """The library's pools: id, name and the per-resident budget a blank year takes."""
    return [{"id": pid, "name": prevention.POOL_NAMES.get(pid, pid), "rate": rate} for pid, rate in prevention.BUDGET_PER_RESIDENT.items()]


def interventions() -> list[dict[str, Any]]:
    """The library's interventions: id, label and the basis of their effects (as the worked scenarios cite them)."""
    return [
        {"id": iid, "label": label, "basis": prevention.EFFECT_BASIS.get(iid, "")}
        for iid, (label, _group, _coverage) in prevention.INTERVENTIONS.items()
    ]


def defaults() -> dict[str, Any]:
    """The form as first shown: the worked scenarios' choices (every intervention, 30 % in the nationally most deprived 10 %)."""
    return {
        "name": "",
        "place": "",
        "vintage": geography.DEFAULT_VINTAGE,
        "interventions": [i["id"] for i in interventions()],
        "min_share": "30",
        "max_decile": "1",
        "basis": "national",
        "per_capita_floor": "0",
        "no_agency_worse_off": False,
        "cost_sharing": "budget_share",
        **{f"budget-{p['id']}-{t}": "" for p in pools() for t in range(1, YEARS + 1)},
        **{f"share-{p['id']}": "" for p in pools()},
    }


def values_of(form: Mapping[str, Any], chosen: list[str]) -> dict[str, Any]:
    """What the board sent, in the form's own fields (to show again beside any problem); ``chosen``: the ticked interventions."""
    values: dict[str, Any] = {
        key: str(form.get(key, "")).strip() for key in defaults() if key not in ("interventions", "no_agency_worse_off")
    }
    values["interventions"] = chosen
    values["no_agency_worse_off"] = bool(form.get("no_agency_worse_off"))
    return values


def _number(text: str, *, percent: bool = False) -> Any:
    """A figure typed on the form (``£250,000``, ``40``); the text itself when it is not one, for the validator to name."""
    cleaned = text.replace(",", "").replace("£", "").replace("%", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return text
    return value / 100 if percent else value


def build(values: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The scenario document the form describes, or the problems with it (each at its JSON pointer, or at ``place``)."""
    kind, _, code = str(values.get("place", "")).partition(":")
    if kind not in KINDS or not code:
        return None, [Problem("place", "Choose a place: a local authority, an Integrated Care Board or a police force area")]
    vintage = str(values.get("vintage") or geography.DEFAULT_VINTAGE)
    try:
        vintage = geography.check_vintage(vintage)
        query = code
        if vintage != geography.DEFAULT_VINTAGE:  # the picker lists today's places: the same place by name in the older data
            query = geography.resolve(kind, code, geography.DEFAULT_VINTAGE)[1]
        code, place = geography.resolve(kind, query, vintage)
        rows, _ = geography.select(kind, code, vintage)
    except geography.AreaNotFound as exc:
        return None, [Problem("place", str(exc))]
    except ValueError as exc:
        return None, [Problem("vintage" if "vintage" in str(exc) else "place", str(exc))]
    population = float(rows["pop_total"].sum())
    template = prevention.default_template(population)
    for pool in template["pools"]:
        rate = prevention.BUDGET_PER_RESIDENT[pool["id"]]
        pool["budget"] = [
            _number(str(values.get(f"budget-{pool['id']}-{t}", "")))
            if str(values.get(f"budget-{pool['id']}-{t}", "")).strip()
            else float(round(population * rate, -3))
            for t in range(1, YEARS + 1)
        ]
    chosen = set(values.get("interventions") or [])
    template["interventions"] = [iv for iv in template["interventions"] if iv["id"] in chosen]
    cwf: dict[str, Any] = {}
    for field, key in CWF_FIELDS.items():
        text = str(values.get(field, "")).strip()
        if field == "basis":
            cwf[key] = text or "national"
        elif field == "max_decile":
            number = _number(text) if text else 1
            cwf[key] = int(number) if isinstance(number, float) and number.is_integer() else number
        else:
            cwf[key] = _number(text, percent=field in PERCENT_FIELDS) if text else 0.0
    policy: dict[str, Any] = {"community_wealth_fund": cwf, "no_agency_worse_off": bool(values.get("no_agency_worse_off"))}
    if values.get("cost_sharing") == "shares":
        policy["cost_sharing"] = {
            "rule": "shares",
            "shares": {
                p["id"]: _number(str(values.get(f"share-{p['id']}", "")))
                for p in template["pools"]
                if str(values.get(f"share-{p['id']}", "")).strip()
            },
        }
        template["schema_version"] = 2
    elif values.get("cost_sharing") not in (None, "", "budget_share"):
        policy["cost_sharing"] = {"rule": str(values.get("cost_sharing"))}
        template["schema_version"] = 2
    template["policy"] = policy
    name = str(values.get("name", "")).strip()[:200] or None
    try:
        return geography.build_scenario(kind, code, template, name=name, vintage=vintage), []
    except ScenarioError as exc:
        return None, tidy(exc.problems)


def tidy(problems: list[Problem]) -> list[Problem]:
    """The validator's problems less the echo of a union (``/pools/0/budget: Input should be a valid number; got list``) where a
    year of that budget has its own problem."""
    locs = {p.loc for p in problems}
    return [
        p
        for p in problems
        if not (p.msg.startswith("Input should be a valid number; got list") and any(o.startswith(p.loc + "/") for o in locs))
    ]


def field_of(loc: str, pool_ids: list[str]) -> str:
    """The id of the form field a problem's JSON pointer names (``/pools/1/budget/0`` -> ``budget-police-1``); ``place`` for the rest."""
    parts = [p for p in loc.split("/") if p]
    if not parts:
        return "place"
    if parts[0] == "pools" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(pool_ids):
        year = int(parts[3]) + 1 if len(parts) > 3 and parts[2] == "budget" and parts[3].isdigit() else 1
        return f"budget-{pool_ids[int(parts[1])]}-{min(year, YEARS)}"
    if parts[:2] == ["policy", "community_wealth_fund"]:
        return CWF_FIELDS.get(parts[2], "min_share") if len(parts) > 2 else "min_share"
    if parts[:2] == ["policy", "no_agency_worse_off"]:
        return "no_agency_worse_off"
    if parts[:2] == ["policy", "cost_sharing"]:
        if len(parts) > 3 and parts[2] == "shares" and parts[3] in pool_ids:
            return f"share-{parts[3]}"
        return "cost_sharing"
    if parts[0] == "interventions":
        return "interventions"
    if parts[0] in ("name", "vintage", "place"):
        return parts[0]
    return "place"


def located(problems: list[Problem], pool_ids: list[str]) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """The problems for the error summary (field, pointer, message) and by field (the messages next to each).

    A problem about the whole list of shares (a pool left out) goes to the first share it names."""
    summary: list[dict[str, str]] = []
    by_field: dict[str, list[str]] = {}
    for p in problems:
        field = field_of(p.loc, pool_ids)
        if field == "cost_sharing" and p.loc.rstrip("/").endswith("/shares"):
            named = [n for n in re.findall(r"'([^']+)'", p.msg) if n in pool_ids]
            field = f"share-{named[0]}" if named else field
        msg = p.msg + (" (the share as a fraction: 40 % is 0.4)" if field in PERCENT_FIELDS and "equal to" in p.msg else "")
        summary.append({"field": field, "loc": p.loc, "msg": msg})
        by_field.setdefault(field, []).append(msg)
    return summary, by_field
