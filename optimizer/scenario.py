"""The scenario: the input of the model contract (``docs/model.md``, "Scenario").

A scenario is parsed in two passes, and every problem of both is reported at
once with its location as a JSON pointer:

1. structure, by pydantic (types, ranges, unknown fields, non-finite numbers);
2. references and shapes (:func:`_cross_check`): unknown or duplicate ids,
   lists of the wrong length, rules that need data the scenario lacks.

The canonical form (:func:`canonical_json`) fills every default, expands a
scalar budget to one figure per year and writes every amount as a float, so
that equivalent scenarios have the same :func:`scenario_hash`. The hash covers
the whole scenario except its ``solver`` block: the solver options say how to
solve, not what, and are keyed separately wherever results are cached.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimizer.backends.registry import SolverName, backend_names
from optimizer.errors import Problem, ScenarioError, pointer

#: the version of the model contract (docs/model.md) this build implements: results and cache keys carry it
MODEL_VERSION = 2
#: the scenario versions this build reads (a version 1 scenario is valid and solves as version 2 with its defaults)
SCHEMA_VERSIONS = (1, 2)
#: Limits that keep one request bounded; generous for real use (England has 33,755 LSOAs of 2021, 32,844 of 2011).
MAX_AREAS = 50_000
MAX_INTERVENTIONS = 200
MAX_POOLS = 20
MAX_ID_LENGTH = 200
MAX_APPRAISAL_YEARS = 60
MIN_UNIT_COST = 0.01

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

# Identifiers: non-empty, printable, bounded. The pattern refuses control characters.
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$")]
# Labels may hold tabs and newlines, but no carriage return (no spreadsheet gives one back) or other control character.
Label = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]


def _plus_zero(value: float) -> float:
    """-0.0 becomes 0.0, so that equal amounts are written alike in the canonical form."""
    return value + 0.0


_NZ = AfterValidator(_plus_zero)
Money = Annotated[float, Field(ge=0), _NZ]
Count = Annotated[float, Field(ge=0), _NZ]
Share = Annotated[float, Field(ge=0, le=1), _NZ]


class _Model(BaseModel):
    model_config = _STRICT


class Pool(_Model):
    """A funding pool; its ``id`` is also the id of the agency that holds it."""

    id: Id
    name: Label
    budget: Money | list[Money]
    areas: list[Id] | None = None
    interventions: list[Id] | None = None
    reinvest_rate: Share = 0.0


class Agency(_Model):
    """An agency that bears costs but holds no pool (it can receive savings)."""

    id: Id
    name: Label


#: a citation (docs/model.md 2.5): where a unit cost, an effect or a response comes from
Source = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
#: points residents give a theme (docs/model.md 2.2)
Points = Annotated[float, Field(ge=0), _NZ]


class Outcome(_Model):
    """An event that prevention avoids, and who pays for each occurrence."""

    id: Id
    name: Label
    unit_costs: dict[Id, Money]
    social_value: Money = 0.0
    themes: list[Id] | None = Field(None, description="version 2 (docs/model.md 2.2): the residents' themes this outcome serves")
    source: Source | None = Field(None, description="version 2 (docs/model.md 2.5): the citation for the unit costs")


class Area(_Model):
    """A neighbourhood (LSOA or ward)."""

    id: Id
    name: Label | None = None
    imd_decile: Annotated[int, Field(ge=1, le=10)]
    imd_rank: Annotated[int, Field(ge=1)] | None = None
    population: Count
    groups: dict[Id, Count] = Field(default_factory=dict)
    priorities: dict[Id, Points] | None = Field(
        None, description="version 2 (docs/model.md 2.2): this area's residents' points per theme, used here instead of the place's"
    )


class Effect(_Model):
    """Occurrences of an outcome avoided per participant, from year t+L for D years.

    ``low`` and ``high`` (an extension of the contract, docs/model.md) bound the
    uncertain effect for the Monte Carlo and robust analyses; absent means certain.
    The programme itself always uses ``per_participant``.
    """

    outcome: Id
    per_participant: Annotated[float, Field(ge=0), _NZ]
    lag_years: Annotated[int, Field(ge=0, le=MAX_APPRAISAL_YEARS)] = 0
    duration_years: Annotated[int, Field(ge=1, le=MAX_APPRAISAL_YEARS)] = 1
    low: Annotated[float, Field(ge=0), _NZ] | None = None
    high: Annotated[float, Field(ge=0), _NZ] | None = None


class Band(_Model):
    """One band of diminishing returns (docs/model.md 2.1): participants up to ``up_to`` x N avoid ``effect`` x each effect."""

    up_to: Annotated[float, Field(gt=0, le=1), _NZ]
    effect: Annotated[float, Field(ge=0), _NZ]


class Intervention(_Model):
    """Something the partnership can fund.

    ``max_coverage`` may be left out where ``response`` is given: the last band's ``up_to`` is then the
    largest coverage (docs/model.md 2.1), and the canonical form writes it in.
    """

    id: Id
    name: Label
    target_group: Id
    # at least a penny: solvers drop matrix coefficients below about 1e-9, and a cost that small is a typing error
    unit_cost: Annotated[float, Field(ge=MIN_UNIT_COST), _NZ]
    max_coverage: Annotated[float, Field(gt=0, le=1), _NZ]
    effects: Annotated[list[Effect], Field(min_length=1)]
    fixed_cost: Money = 0.0
    min_participants: Count = 0.0
    capacity: Count | None = None
    response: Annotated[list[Band], Field(min_length=1, max_length=20)] | None = Field(
        None, description="version 2 (docs/model.md 2.1): bands of diminishing returns, up_to increasing, effect non-increasing"
    )
    source: Source | None = Field(None, description="version 2 (docs/model.md 2.5): the citation for the unit cost and the effects")

    @model_validator(mode="before")
    @classmethod
    def _coverage_from_response(cls, data: Any) -> Any:
        """Absent max_coverage with a response: the last band's up_to (checked against it where both are given)."""
        if isinstance(data, dict) and "max_coverage" not in data and isinstance(data.get("response"), list) and data["response"]:
            last = data["response"][-1]
            if isinstance(last, dict) and "up_to" in last:
                data = {**data, "max_coverage": last["up_to"]}
        return data

    def bands(self) -> list[tuple[float, float]]:
        """(share of the largest coverage, effect) per band; one band (1, 1) without a response (version 1)."""
        if not self.response:
            return [(1.0, 1.0)]
        top = self.response[-1].up_to
        out, below = [], 0.0
        for band in self.response:
            out.append(((band.up_to - below) / top, band.effect))
            below = band.up_to
        return out


class CommunityWealthFund(_Model):
    """The rule that money should reach the most deprived neighbourhoods."""

    min_share: Share = 0.0
    max_decile: Annotated[int, Field(ge=1, le=10)] = 1
    basis: Literal["national", "local"] = "national"
    per_capita_floor: Money = 0.0


class CostSharing(_Model):
    """Who pays among equally good plans (docs/model.md 2.4): target shares from the budgets, or set by the board."""

    rule: Literal["budget_share", "shares"] = "budget_share"
    shares: dict[Id, Annotated[float, Field(ge=0), _NZ]] | None = Field(
        default=None, description='pool id -> share >= 0, one for every pool (normalised to sum to 1); only with rule "shares"'
    )


class ResidentPriorities(_Model):
    """The place's residents' priorities (docs/model.md 2.2): points per theme, and how much they count beside the evidence."""

    strength: Share = 0.0
    weights: dict[Id, Points] = Field(description="theme id -> points >= 0, at least one positive")


class Commitment(_Model):
    """What the board has already promised (docs/model.md 2.3): at least ``min_spend`` on an intervention."""

    intervention: Id
    area: Id | None = None
    year: Annotated[int, Field(ge=1, le=10)] | None = None
    min_spend: Money


DECILES = tuple(str(d) for d in range(1, 11))


class Policy(_Model):
    """The place's rules; every field is optional and defaults to no rule."""

    community_wealth_fund: CommunityWealthFund = Field(default_factory=CommunityWealthFund)
    no_agency_worse_off: bool = False
    equity_weights: dict[str, Money] = Field(default_factory=dict)
    social_value_weight: Money = 0.0
    area_cap: Money | None = None
    cost_sharing: CostSharing = Field(default_factory=CostSharing, description="version 2: who pays among equally good plans")
    resident_priorities: ResidentPriorities | None = Field(default=None, description="version 2 (docs/model.md 2.2): residents' priorities")
    commitments: Annotated[list[Commitment], Field(max_length=10_000)] = Field(
        default_factory=list, description="version 2 (docs/model.md 2.3): spending already promised"
    )

    @field_validator("equity_weights")
    @classmethod
    def _deciles_only(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(k for k in value if k not in DECILES)
        if bad:
            raise ValueError(f"keys must be deciles '1' to '10'; remove or rename {bad}")
        return {d: float(value.get(d, 1.0)) + 0.0 for d in DECILES}


#: the solver names a scenario may ask for: the registry's (optimizer/backends/registry.py)
SOLVER_NAMES = tuple(backend_names())


class SolverOptions(_Model):
    """Which back end solves the programme, and its limits."""

    name: SolverName = "highs"
    time_limit: Annotated[float, Field(gt=0, le=86_400), _NZ] = 60.0
    mip_gap: Annotated[float, Field(ge=0, le=1), _NZ] = 1e-4


class Scenario(_Model):
    """A whole scenario, as in the model contract."""

    schema_version: Literal[1, 2]
    name: Label
    horizon_years: Annotated[int, Field(ge=1, le=10)]
    appraisal_years: Annotated[int, Field(ge=1, le=MAX_APPRAISAL_YEARS)] | None = None
    discount_rate: Annotated[float, Field(ge=0, le=1), _NZ] = 0.035
    pools: Annotated[list[Pool], Field(min_length=1, max_length=MAX_POOLS)]
    agencies: list[Agency] = Field(default_factory=list, max_length=MAX_POOLS)
    outcomes: Annotated[list[Outcome], Field(min_length=1, max_length=1000)]
    areas: Annotated[list[Area], Field(min_length=1, max_length=MAX_AREAS)]
    interventions: Annotated[list[Intervention], Field(min_length=1, max_length=MAX_INTERVENTIONS)]
    policy: Policy = Field(default_factory=Policy)
    solver: SolverOptions = Field(default_factory=SolverOptions)
    data_vintage: Literal["2019", "2025"] | None = Field(
        None, description='optional: the deprivation data of the areas, "2025" (IoD2025, 2021 LSOAs) or "2019" (IoD2019, 2011 LSOAs)'
    )

    # -- derived views -----------------------------------------------------
    @property
    def H(self) -> int:  # noqa: N802 - the contract's own symbol
        return self.horizon_years

    @property
    def A(self) -> int:  # noqa: N802
        return self.appraisal_years if self.appraisal_years is not None else self.horizon_years

    @property
    def agency_ids(self) -> list[str]:
        """Pools first (a pool is its agency), then the agencies without a pool."""
        return [p.id for p in self.pools] + [g.id for g in self.agencies]

    def budget(self, pool: Pool) -> list[float]:
        """B[p, t] for t = 1..H."""
        if isinstance(pool.budget, list):
            return [float(b) for b in pool.budget]
        return [float(pool.budget)] * self.H

    def equity_weight(self, decile: int) -> float:
        return float(self.policy.equity_weights.get(str(decile), 1.0))

    @property
    def is_mip(self) -> bool:
        return any(i.fixed_cost > 0 or i.min_participants > 0 for i in self.interventions)


# ---------------------------------------------------------------------------
# parsing and validation
# ---------------------------------------------------------------------------

_FRIENDLY = {
    "extra_forbidden": "unknown field: remove it (check its spelling against the model contract)",
    "missing": "required field is missing: add it",
    "finite_number": "must be a finite number: replace NaN or Infinity with a real amount",
}


def _friendly(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    msg = str(err["msg"])
    if kind == "string_pattern_mismatch":
        return "must not contain control characters (such as NUL, carriage returns, or tabs and newlines in ids): remove them"
    if kind == "too_short":
        return f"must not be empty: give at least {err.get('ctx', {}).get('min_length', 1)} item(s)"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"{msg}: got {err.get('input')!r}"
    if kind.endswith("_type") or kind.startswith("literal"):
        return f"{msg}; got {type(err.get('input')).__name__} {str(err.get('input'))[:60]!r}"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    return msg


def _location(loc: tuple[Any, ...]) -> str:
    # pydantic adds the type name of a union branch ("list[...]", "float") to the path: drop it
    parts = [
        p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("constrained-") or p in ("float", "int", "str", "bool")))
    ]
    return pointer(parts)


def parse_scenario(data: Any) -> Scenario:
    """Validate a scenario given as plain data (parsed JSON). Raises :class:`ScenarioError` listing every problem."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "a scenario must be a JSON object (a mapping of field names to values)")])
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors():
            loc = _location(err["loc"])
            prob = Problem(loc, _friendly(err))
            # a union (a budget is a number or a list) fails once per branch: keep the first
            if prob.loc not in seen:
                seen.add(prob.loc)
                problems.append(prob)
    # the reference checks run on the plain data, so that they are reported beside the structural ones
    known = {p.loc for p in problems}
    problems += [p for p in _cross_check(data) if p.loc not in known]
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The well-formed entries (mappings) of a list field; the structural pass reports the rest."""
    value = data.get(key)
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def _ids(items: list[dict[str, Any]], where: str, problems: list[Problem], taken: dict[str, str]) -> None:
    for k, item in enumerate(items):
        rid = item.get("id")
        if not isinstance(rid, str):
            continue
        if rid in taken:
            problems.append(Problem(f"/{where}/{k}/id", f"duplicate id {rid!r} (already used at {taken[rid]}): give each a unique id"))
        else:
            taken[rid] = f"/{where}/{k}"


def _number(value: Any) -> float | None:
    """The value as a finite number, or None if it is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _cross_check(data: dict[str, Any]) -> list[Problem]:
    """References, duplicates and lengths, checked on the plain data so they are found even when other fields are wrong."""
    problems: list[Problem] = []
    pools, extra, outcomes_, areas_, ivs = (_list(data, key) for key in ("pools", "agencies", "outcomes", "areas", "interventions"))
    agencies: dict[str, str] = {}
    _ids(pools, "pools", problems, agencies)
    _ids(extra, "agencies", problems, agencies)
    outcomes: dict[str, str] = {}
    _ids(outcomes_, "outcomes", problems, outcomes)
    areas: dict[str, str] = {}
    _ids(areas_, "areas", problems, areas)
    interventions: dict[str, str] = {}
    _ids(ivs, "interventions", problems, interventions)

    horizon = data.get("horizon_years")
    horizon = horizon if isinstance(horizon, int) and not isinstance(horizon, bool) else None
    appraisal = data.get("appraisal_years")
    if horizon is not None and isinstance(appraisal, int) and not isinstance(appraisal, bool) and appraisal < horizon:
        problems.append(Problem("/appraisal_years", f"must be at least horizon_years ({horizon}); got {appraisal}"))

    for k, pool in enumerate(pools):
        budget = pool.get("budget")
        if horizon is not None and isinstance(budget, list) and len(budget) != horizon:
            problems.append(
                Problem(
                    f"/pools/{k}/budget",
                    f"has {len(budget)} figures but horizon_years is {horizon}: give one budget per year, or a single number for every year",
                )
            )
        for name, known in (("areas", areas), ("interventions", interventions)):
            ref = pool.get(name)
            if not isinstance(ref, list):
                continue
            for j, rid in enumerate(ref):
                if isinstance(rid, str) and rid not in known:
                    problems.append(Problem(f"/pools/{k}/{name}/{j}", f"unknown {name[:-1]} id {rid!r}: use an id listed in /{name}"))
            if len({r for r in ref if isinstance(r, str)}) != len(ref):
                problems.append(Problem(f"/pools/{k}/{name}", f"lists an id twice: list each {name[:-1]} once"))

    for k, outcome in enumerate(outcomes_):
        costs = outcome.get("unit_costs")
        for gid in costs if isinstance(costs, dict) else {}:
            if gid not in agencies:
                problems.append(
                    Problem(
                        f"/outcomes/{k}/unit_costs/{gid}", f"unknown agency id {gid!r}: use the id of a pool or of an entry in /agencies"
                    )
                )

    for k, iv in enumerate(ivs):
        for j, eff in enumerate(_list(iv, "effects")):
            ref = eff.get("outcome")
            if isinstance(ref, str) and ref not in outcomes:
                problems.append(
                    Problem(f"/interventions/{k}/effects/{j}/outcome", f"unknown outcome id {ref!r}: use an id listed in /outcomes")
                )
            mid, low, high = (_number(eff.get(f)) for f in ("per_participant", "low", "high"))
            if mid is not None and low is not None and low > mid:
                problems.append(Problem(f"/interventions/{k}/effects/{j}/low", f"must not exceed per_participant ({mid}); got {low}"))
            if mid is not None and high is not None and high < mid:
                problems.append(Problem(f"/interventions/{k}/effects/{j}/high", f"must be at least per_participant ({mid}); got {high}"))

    policy = _mapping(data.get("policy"))
    problems += _check_version_2(data, policy, agencies, pools)
    problems += _check_v2_fields(data, outcomes, areas, interventions)
    cwf = _mapping(policy.get("community_wealth_fund"))
    active = any((_number(cwf.get(f)) or 0.0) > 0 for f in ("min_share", "per_capita_floor"))
    if cwf.get("basis") == "local" and active:
        for k, area in enumerate(areas_):
            if area.get("imd_rank") is None:
                problems.append(
                    Problem(
                        f"/areas/{k}/imd_rank",
                        "required when policy/community_wealth_fund/basis is 'local': give the area's IMD rank (1 = most deprived)",
                    )
                )
    return problems


#: the version 2 fields of docs/model.md, by where they sit, with their section: a scenario using one says "schema_version": 2
V2_FIELDS = {
    "interventions": {"response": "2.1", "source": "2.5"},
    "outcomes": {"themes": "2.2", "source": "2.5"},
    "areas": {"priorities": "2.2"},
    "policy": {"resident_priorities": "2.2", "commitments": "2.3", "cost_sharing": "2.4"},
}


def version_2_locations(data: dict[str, Any]) -> dict[str, str]:
    """Where the scenario uses a version 2 field: JSON pointer -> its section of docs/model.md."""
    found: dict[str, str] = {}
    for where in ("interventions", "outcomes", "areas"):
        for k, item in enumerate(_list(data, where)):
            for name, section in V2_FIELDS[where].items():
                if name in item and item[name] is not None:
                    found[f"/{where}/{k}/{name}"] = section
    for name, section in V2_FIELDS["policy"].items():
        if name in _mapping(data.get("policy")):
            found[f"/policy/{name}"] = section
    return found


def _check_v2_fields(data: dict[str, Any], outcomes: dict[str, str], areas: dict[str, str], interventions: dict[str, str]) -> list[Problem]:
    """Version 2 (docs/model.md 2.1-2.3): the version is declared; bands fall; priorities name known themes; commitments known ids."""
    problems: list[Problem] = []
    if data.get("schema_version") == 1:
        for loc, section in version_2_locations(data).items():
            problems.append(Problem(loc, f'is a version 2 field (docs/model.md section {section}): set "schema_version": 2 to use it'))
    for k, iv in enumerate(_list(data, "interventions")):
        response = iv.get("response")
        if not isinstance(response, list):
            continue
        bands = [b if isinstance(b, dict) else {} for b in response]
        ups = [_number(b.get("up_to")) for b in bands]
        effects = [_number(b.get("effect")) for b in bands]
        for j in range(1, len(bands)):
            if ups[j] is not None and ups[j - 1] is not None and ups[j] <= ups[j - 1]:  # type: ignore[operator]
                problems.append(
                    Problem(
                        f"/interventions/{k}/response/{j}/up_to",
                        f"must be greater than the band before it ({ups[j - 1]}); got {ups[j]}: list the bands from the lowest coverage up",
                    )
                )
            if effects[j] is not None and effects[j - 1] is not None and effects[j] > effects[j - 1]:  # type: ignore[operator]
                problems.append(
                    Problem(
                        f"/interventions/{k}/response/{j}/effect",
                        f"rises from {effects[j - 1]} to {effects[j]}: an effect that rises with coverage would need integer "
                        "variables, so bands must not increase; give this band at most the effect of the band before it",
                    )
                )
        cover = _number(iv.get("max_coverage"))
        if bands and ups[-1] is not None and cover is not None and "max_coverage" in iv and abs(ups[-1] - cover) > 1e-12:
            problems.append(
                Problem(
                    f"/interventions/{k}/response/{len(bands) - 1}/up_to",
                    f"the last band ends at {ups[-1]} but max_coverage is {cover}: they must be equal (the last band is the "
                    "largest coverage); change one, or leave max_coverage out",
                )
            )
    named: set[str] = set()
    for o in _list(data, "outcomes"):
        themes = o.get("themes")
        if isinstance(themes, list):
            named |= {t for t in themes if isinstance(t, str)}
    for k, o in enumerate(_list(data, "outcomes")):
        themes = o.get("themes")
        if isinstance(themes, list) and len({t for t in themes if isinstance(t, str)}) != len(themes):
            problems.append(Problem(f"/outcomes/{k}/themes", "lists a theme twice: list each theme once"))
    policy = _mapping(data.get("policy"))

    def check_points(points: Any, where: str) -> None:
        if not isinstance(points, dict):
            return
        for theme in points:
            if theme not in named:
                hint = (
                    f"themes named by outcomes: {', '.join(sorted(named))}"
                    if named
                    else "no outcome names any theme: add themes to /outcomes"
                )
                problems.append(Problem(f"{where}/{theme}", f"theme {theme!r} is named by no outcome (a likely typo): {hint}"))
        values = [_number(v) for v in points.values()]
        if all(v is not None for v in values) and not any(v and v > 0 for v in values):
            problems.append(Problem(where, "gives no theme any points: give at least one theme a positive number of points"))

    priorities = _mapping(policy.get("resident_priorities"))
    if "weights" in priorities:
        check_points(priorities.get("weights"), "/policy/resident_priorities/weights")
    for k, area in enumerate(_list(data, "areas")):
        if area.get("priorities") is not None:
            check_points(area.get("priorities"), f"/areas/{k}/priorities")
    horizon = data.get("horizon_years")
    commitments = policy.get("commitments")
    for k, c in enumerate(commitments if isinstance(commitments, list) else []):
        if not isinstance(c, dict):
            continue
        ref = c.get("intervention")
        if isinstance(ref, str) and ref not in interventions:
            problems.append(
                Problem(f"/policy/commitments/{k}/intervention", f"unknown intervention id {ref!r}: use an id listed in /interventions")
            )
        named_area = c.get("area")
        if isinstance(named_area, str) and named_area not in areas:
            problems.append(
                Problem(
                    f"/policy/commitments/{k}/area",
                    f"unknown area id {named_area!r}: use an id listed in /areas, or leave area out for spending in every area",
                )
            )
        year = c.get("year")
        if isinstance(year, int) and not isinstance(year, bool) and isinstance(horizon, int) and year > horizon:
            problems.append(
                Problem(
                    f"/policy/commitments/{k}/year",
                    f"year {year} is beyond horizon_years ({horizon}): give a year from 1 to "
                    f"{horizon}, or leave year out for spending over the whole horizon",
                )
            )
    return problems


def _check_version_2(data: dict[str, Any], policy: dict[str, Any], agencies: dict[str, str], pools: list[dict[str, Any]]) -> list[Problem]:
    """policy.cost_sharing (docs/model.md 2.4): a version 2 field; shares name every pool, only pools, and not all zero."""
    if "cost_sharing" not in policy:
        return []
    problems: list[Problem] = []
    sharing = _mapping(policy["cost_sharing"])
    shares = sharing.get("shares")
    rule = sharing.get("rule", "budget_share")
    if rule == "shares" and shares is None:
        problems.append(
            Problem(
                "/policy/cost_sharing/shares",
                'required when rule is "shares": give a share for every pool, e.g. {"council": 0.5, "nhs": 0.5}',
            )
        )
    elif rule == "budget_share" and shares is not None:
        problems.append(Problem("/policy/cost_sharing/shares", 'applies only with rule "shares": remove it, or set rule to "shares"'))
    if isinstance(shares, dict) and rule == "shares":
        pool_ids = [p.get("id") for p in pools if isinstance(p.get("id"), str)]
        for pid in shares:
            if pid not in pool_ids:
                hint = "an agency without a pool pays nothing" if pid in agencies else "use the id of an entry in /pools"
                problems.append(Problem(f"/policy/cost_sharing/shares/{pid}", f"unknown pool id {pid!r}: {hint}"))
        missing = [pid for pid in pool_ids if pid not in shares]
        if missing:
            problems.append(
                Problem(
                    "/policy/cost_sharing/shares",
                    f"leaves out pool(s) {', '.join(map(repr, missing))}: give a share for every pool (0 for none)",
                )
            )
        values = [_number(v) for v in shares.values()]
        if values and all(v is not None and v == 0 for v in values):
            problems.append(Problem("/policy/cost_sharing/shares", "all shares are 0: give at least one pool a positive share"))
    return problems


# ---------------------------------------------------------------------------
# canonical form and hash
# ---------------------------------------------------------------------------


def canonical_dict(s: Scenario, *, with_solver: bool = False) -> dict[str, Any]:
    """The scenario with every default filled and every amount a float."""
    data = s.model_dump(mode="python")
    data["appraisal_years"] = s.A
    for k, pool in enumerate(s.pools):
        data["pools"][k]["budget"] = s.budget(pool)
    data["policy"]["equity_weights"] = {d: s.equity_weight(int(d)) for d in DECILES}
    for pool in data["pools"]:  # a footprint is a set: its order means nothing
        for key in ("areas", "interventions"):
            if pool[key] is not None:
                pool[key] = sorted(pool[key])
    for iv in data["interventions"]:  # extensions left out where unused, so they change no existing hash
        for eff in iv["effects"]:
            for key in EXTENSION_FIELDS:
                if eff.get(key, 0) is None:
                    del eff[key]
    for area in data["areas"]:  # an empty name is no name (a spreadsheet cannot tell them apart)
        if area["name"] == "":
            area["name"] = None
    if s.policy.cost_sharing == CostSharing():  # the default rule: left out, so it changes no version 1 hash
        del data["policy"]["cost_sharing"]
    # version 2 fields left out where unused, so that they change no version 1 hash
    for where, fields in V2_FIELDS.items():
        for item in [data["policy"]] if where == "policy" else data[where]:
            for key in fields:
                if key in item and item[key] in (None, []):
                    del item[key]
    if data.get("data_vintage") is None:  # optional metadata: left out where unset, so it changes no existing hash
        data.pop("data_vintage", None)
    if not with_solver:
        data.pop("solver")
    # pydantic has already written every amount as a float (and -0.0 as 0.0) and every count as an int
    return data


#: optional fields added to the contract by this project (docs/model.md); absent when unused
EXTENSION_FIELDS = ("low", "high")


def canonical_json(s: Scenario, *, with_solver: bool = False) -> str:
    """Compact JSON with sorted keys: the text that is hashed."""
    return json.dumps(
        canonical_dict(s, with_solver=with_solver), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False
    )


def scenario_hash(s: Scenario) -> str:
    """SHA-256 of the canonical form (without the solver block)."""
    return hashlib.sha256(canonical_json(s).encode("utf-8")).hexdigest()
