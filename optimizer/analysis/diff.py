"""The differences between two scenarios, field by field, and how to apply any subset of them to the first.

:func:`diff` walks the canonical forms of A and B together. Lists of entities
(pools, agencies, outcomes, areas, interventions, and an intervention's effects,
keyed by outcome) are matched by id, not by position, so that reordering is no
change; an entity in one and not the other is one change (added or removed).
A pool's budget is compared year by year; every other list (a footprint, the
commitments) is one field. Each change has an *address* (keys, list indices
and ``{"id": ...}`` steps) that :func:`apply` follows in any scenario derived
from A, and its JSON pointer in A and in B.

Changes that cannot be applied one without the other are grouped into one
*unit* of attribution (:func:`units`, documented in docs/analyses.md):

* an added or removed entity takes with it every change that names its id
  (a pool footprint listing an added area, the unit cost an added agency bears,
  the effect of an intervention on an added outcome);
* a change of ``horizon_years`` takes every budget change and ``appraisal_years``;
* the fields of one effect (``per_participant``, ``low``, ``high``, ...) go together
  (``low <= per_participant <= high`` must hold at every step).

Labels (names, sources) are listed as changes but change nothing in the plan:
they are no unit, and their attribution is 0 without a solve.

This is a generic walk rather than a JSON-diff library (such as jsondiff or
deepdiff) because the matching by id, the per-year budgets and the addresses
that can be re-applied to other scenarios are the point, and no such library
gives all three.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from optimizer.analysis.common import money
from optimizer.errors import pointer

#: entity lists matched by id, and what a board calls one of them
ENTITIES = {"pools": "pool", "agencies": "agency", "outcomes": "outcome", "areas": "area", "interventions": "intervention"}
FAMILIES = ("budgets", "policy", "evidence", "places")
LABELS = ("name", "source")
MONEY = {"budget", "unit_cost", "fixed_cost", "unit_costs", "social_value", "per_capita_floor", "area_cap", "min_spend"}
SHARES = {"min_share", "max_coverage", "reinvest_rate", "discount_rate"}
#: board words for fields, by their last key (or key path)
FIELD_WORDS = {
    "community_wealth_fund/min_share": "the Community Wealth Fund share",
    "community_wealth_fund/max_decile": "the deciles counted as deprived (Community Wealth Fund)",
    "community_wealth_fund/basis": "the Community Wealth Fund basis",
    "community_wealth_fund/per_capita_floor": "the per-capita floor in deprived areas",
    "no_agency_worse_off": "the no-agency-worse-off rule",
    "social_value_weight": "the weight of social value",
    "area_cap": "the area cap",
    "discount_rate": "the discount rate",
    "horizon_years": "the years of spending",
    "appraisal_years": "the years of appraisal",
    "reinvest_rate": "reinvestment rate",
    "unit_cost": "cost per participant",
    "max_coverage": "largest coverage",
    "fixed_cost": "launch cost",
    "min_participants": "least participants",
    "capacity": "capacity",
    "target_group": "target group",
    "social_value": "social value",
    "population": "population",
    "imd_decile": "deprivation decile",
    "imd_rank": "deprivation rank",
    "areas": "footprint (the areas it may fund)",
    "interventions": "interventions it may fund",
    "commitments": "commitments",
}

Step = str | int | dict[str, str]
Change = dict[str, Any]


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Every difference between canonical scenario dicts ``a`` and ``b`` (solver options excluded), in a fixed order."""
    out: list[Change] = []
    _walk({k: v for k, v in a.items() if k != "solver"}, {k: v for k, v in b.items() if k != "solver"}, [], [], [], out, a, b)
    for j, c in enumerate(out):
        c["id"] = f"c{j + 1}"
        c["label"] = c["address"][-1] in LABELS
        c["family"] = "labels" if c["label"] else family(c["address"])
        c["action"] = action(c, a, b)
        c["message"] = c["action"][0].upper() + c["action"][1:] + "."
    return out


def _keyed(items: Any, key: str) -> dict[str, int] | None:
    """Position of each entry by ``key`` when every entry is a mapping with a unique string ``key``; else None."""
    if not isinstance(items, list) or not all(isinstance(x, dict) and isinstance(x.get(key), str) for x in items):
        return None
    index = {x[key]: j for j, x in enumerate(items)}
    return index if len(index) == len(items) else None


def _walk(a: Any, b: Any, addr: list[Step], pa: list[Any], pb: list[Any], out: list[Change], ra: Any, rb: Any) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in b:
                out.append(_change("removed", addr + [key], pa + [key], None, a[key], None))
            elif key not in a:
                out.append(_change("added", addr + [key], None, pb + [key], None, b[key]))
            else:
                _walk(a[key], b[key], addr + [key], pa + [key], pb + [key], out, ra, rb)
        return
    key = "outcome" if addr and addr[-1] == "effects" else "id" if len(addr) == 1 and addr[0] in ENTITIES else None
    ka, kb = (_keyed(a, key), _keyed(b, key)) if key else (None, None)
    if ka is not None and kb is not None and key is not None:
        for rid, j in ka.items():
            if rid not in kb:
                out.append(_change("removed", addr + [{key: rid}], pa + [j], None, a[j], None))
            else:
                _walk(a[j], b[kb[rid]], addr + [{key: rid}], pa + [j], pb + [kb[rid]], out, ra, rb)
        for rid, j in kb.items():
            if rid not in ka:
                out.append(_change("added", addr + [{key: rid}], None, pb + [j], None, b[j]))
        return
    if addr and addr[-1] == "budget" and isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for t, (x, y) in enumerate(zip(a, b, strict=True)):
            if not _same(x, y):
                out.append(_change("changed", addr + [t], pa + [t], pb + [t], x, y))
        return
    if not _same(a, b):
        out.append(_change("changed", addr, pa, pb, a, b))


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float | int) and isinstance(y, float | int) and not isinstance(x, bool) and not isinstance(y, bool):
        return x == y or (math.isnan(x) and math.isnan(y))
    return bool(x == y)


def _change(kind: str, addr: list[Step], pa: list[Any] | None, pb: list[Any] | None, old: Any, new: Any) -> Change:
    return {
        "kind": kind,
        "address": addr,
        "pointer_a": None if pa is None else pointer(pa),
        "pointer_b": None if pb is None else pointer(pb),
        "old": old,
        "new": new,
    }


def family(addr: list[Step]) -> str:
    """budgets (pools), policy (rules, horizon, discounting), evidence (interventions, outcomes, agencies) or places (areas)."""
    head = addr[0]
    if head == "pools":
        return "budgets"
    if head == "areas":
        return "places"
    if head in ("interventions", "outcomes", "agencies"):
        return "evidence"
    return "policy"


# -- applying -------------------------------------------------------------------------------------------------


def apply(base: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    """``base`` with ``changes`` applied (each by its address; entities added at the end of their list).

    Copy on write: only the containers on the changes' paths are copied, the rest
    is shared with ``base`` (a subset of a 1,673-area scenario costs microseconds,
    not a deep copy); neither ``base`` nor the result may be changed in place after.
    """
    out = dict(base)
    fresh = {id(out)}
    for c in changes:
        *head, last = c["address"]
        parent: Any = out
        for step in head:
            where = _index(parent, step)
            child = parent[where]
            if id(child) not in fresh:
                child = copy.copy(child)
                parent[where] = child
                fresh.add(id(child))
            parent = child
        if isinstance(last, dict):
            ((key, rid),) = last.items()
            kept = [x for x in parent if x.get(key) != rid]
            if c["kind"] == "added":
                kept.append(copy.deepcopy(c["new"]))
            parent[:] = kept
        elif c["kind"] == "removed":
            del parent[last]
        else:
            parent[last] = copy.deepcopy(c["new"])
    return out


def _index(node: Any, step: Step) -> Any:
    """The key or position in ``node`` that ``step`` names."""
    if isinstance(step, dict):
        ((key, rid),) = step.items()
        return next(j for j, x in enumerate(node) if x.get(key) == rid)
    return step


# -- grouping ---------------------------------------------------------------------------------------------------


def units(changes: list[Change]) -> list[list[int]]:
    """The changes (indices) that must be applied together, labels left out; in the order of their first change."""
    parent = list(range(len(changes)))

    def find(j: int) -> int:
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    names = [_names(c) for c in changes]
    for i, c in enumerate(changes):
        if c["label"]:
            continue
        addr = c["address"]
        if c["kind"] != "changed" and len(addr) == 2 and isinstance(addr[1], dict) and addr[0] in ENTITIES:
            rid = addr[1]["id"]
            for j, other in enumerate(changes):
                if j != i and not other["label"] and rid in names[j]:
                    union(i, j)
        if addr == ["horizon_years"]:
            for j, other in enumerate(changes):
                if "budget" in other["address"] or other["address"] == ["appraisal_years"]:
                    union(i, j)
        if "effects" in addr and len(addr) > addr.index("effects") + 2:
            prefix = addr[: addr.index("effects") + 2]
            for j, other in enumerate(changes):
                if other["address"][: len(prefix)] == prefix and not other["label"]:
                    union(i, j)
    groups: dict[int, list[int]] = {}
    for j, c in enumerate(changes):
        if not c["label"]:
            groups.setdefault(find(j), []).append(j)
    return sorted(groups.values(), key=lambda g: g[0])


def _names(c: Change) -> set[str]:
    """Every id-like string a change touches: its address's keys and ids, and the keys and strings of its values."""
    found: set[str] = set()
    for step in c["address"]:
        if isinstance(step, dict):
            found.update(step.values())
        elif isinstance(step, str):
            found.add(step)

    def walk(v: Any) -> None:
        if isinstance(v, str):
            found.add(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                if k not in LABELS:
                    found.add(k)
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(c["old"])
    walk(c["new"])
    return found


def same_structure(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """None when A and B describe one place (attribution can run); else why not, in words."""
    pools_a, pools_b = {p["id"] for p in a["pools"]}, {p["id"] for p in b["pools"]}
    areas_a, areas_b = {x["id"] for x in a["areas"]}, {x["id"] for x in b["areas"]}
    shared = len(areas_a & areas_b)
    if not pools_a & pools_b:
        return "the two scenarios share no pool"
    if shared * 2 < min(len(areas_a), len(areas_b)):
        return f"the two scenarios share {shared:,} of their areas ({len(areas_a):,} and {len(areas_b):,}): they describe different places"
    return None


# -- sentences ----------------------------------------------------------------------------------------------------


def _value(field: str, v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, int | float):
        if field in MONEY:
            return money(float(v))
        if field in SHARES:
            return f"{v * 100:.4g} %"
        return f"{v:,.6g}"
    if isinstance(v, list) and v and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v):
        if len(set(v)) == 1:
            return f"{_value(field, v[0])} a year for {len(v)} years"
        return ", ".join(_value(field, x) for x in v)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return f"{len(v):,} listed"
    if isinstance(v, str):
        return repr(v)
    return "a new value"


def _entity(addr: list[Step], a: dict[str, Any], b: dict[str, Any]) -> str:
    """'the NHS pool', 'Early help', 'area E01000001'."""
    kind, rid = addr[0], addr[1]["id"] if isinstance(addr[1], dict) else str(addr[1])
    entry: dict[str, Any] = next((x for x in b.get(str(kind), []) + a.get(str(kind), []) if x.get("id") == rid), {})
    name = entry.get("name") or rid
    if kind == "pools":
        return f"the {name} pool"
    if kind == "agencies":
        return f"the {name} agency"
    if kind == "areas":
        return f"area {name}" if name == rid else f"area {name} ({rid})"
    return str(name) if name != rid else f"{ENTITIES[str(kind)]} {rid}"


def action(c: Change, a: dict[str, Any], b: dict[str, Any]) -> str:
    """The change as a board would say it: 'raising the Community Wealth Fund share from 30 % to 50 %'."""
    addr, kind = c["address"], c["kind"]
    if kind != "changed" and len(addr) == 2 and addr[0] in ENTITIES and isinstance(addr[1], dict):
        return f"{'adding' if kind == 'added' else 'removing'} {_entity(addr, a, b)}"
    field = next((s for s in reversed(addr) if isinstance(s, str)), "value")
    if addr[0] in ENTITIES and len(addr) > 2:
        who = _entity(addr, a, b)
        rest = addr[2:]
        if rest[0] == "budget":
            subject = f"{who}'s year {int(rest[1]) + 1} budget" if len(rest) > 1 else f"{who}'s budget"
        elif rest[0] == "effects" and isinstance(rest[1], dict):
            outcome = _entity(["outcomes", {"id": rest[1]["outcome"]}], a, b)
            subject = f"the effect of {who} on {outcome}" + ("" if rest[-1] == "per_participant" else f" ({rest[-1]})")
        elif rest[0] == "unit_costs" and len(rest) > 1:
            payer = next(
                (
                    x.get("name") or x["id"]
                    for x in b.get("pools", []) + b.get("agencies", []) + a.get("pools", []) + a.get("agencies", [])
                    if x.get("id") == rest[1]
                ),
                rest[1],
            )
            subject, field = f"the cost to {payer} of one {who}", "unit_costs"
        elif rest[0] == "groups" and len(rest) > 1:
            subject = f"the number of {rest[1]} in {who}"
        else:
            subject = f"{who}'s {FIELD_WORDS.get(str(rest[0]), str(rest[0]).replace('_', ' '))}"
    else:
        path = "/".join(str(s) for s in addr[1:] if isinstance(s, str)) if addr[0] == "policy" else str(addr[0])
        if addr[0] == "policy" and addr[1:2] == ["equity_weights"] and len(addr) > 2:
            subject = f"the equity weight of decile {addr[2]}"
        else:
            subject = FIELD_WORDS.get(path, "the " + path.replace("/", " ").replace("_", " "))
    old, new = c["old"], c["new"]
    if kind == "added":
        return f"setting {subject} to {_value(field, new)}"
    if kind == "removed":
        return f"removing {subject} (was {_value(field, old)})"
    if isinstance(old, bool) or isinstance(new, bool):
        return f"turning {subject} {'on' if new else 'off'}"
    if isinstance(old, int | float) and isinstance(new, int | float):
        verb = "raising" if new > old else "lowering" if field not in MONEY or "budget" not in addr else "cutting"
        return f"{verb} {subject} from {_value(field, old)} to {_value(field, new)}"
    if isinstance(old, list) and isinstance(new, list) and all(isinstance(x, str) for x in old + new):
        added, dropped = [x for x in new if x not in old], [x for x in old if x not in new]
        parts = ([f"adding {_few(added)}"] if added else []) + ([f"dropping {_few(dropped)}"] if dropped else [])
        return f"changing {subject} ({'; '.join(parts) or 'reordered'})"
    if old is None and isinstance(new, list):
        return f"limiting {subject} to {_value(field, new)} (was all)"
    if new is None and isinstance(old, list):
        return f"opening {subject} to all (was {_value(field, old)})"
    return f"changing {subject} from {_value(field, old)} to {_value(field, new)}"


def _few(ids: list[str], most: int = 3) -> str:
    return ", ".join(ids[:most]) + (f" and {len(ids) - most:,} more" if len(ids) > most else "")
