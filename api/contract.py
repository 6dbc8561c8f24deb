"""The result and the analysis reports as typed models: the OpenAPI components a client is generated from.

The core builds its result as plain data (``optimizer.result.Result.to_dict``) and
the service passes the stored JSON through untouched; these models describe that
JSON field by field (docs/result-format.md; ``summary.cost_sharing`` and
``summary.pool_spending_range`` as docs/model.md defines them).
They are used for the document and by the tests that hold responses to it, not to
re-serialise results on the hot path. Objects that the core may extend (the
solver's report, a rule's keys) allow further fields, so that an addition to the
core is not a broken contract; every field listed is always of the type given.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from optimizer import Limit

Pounds = Annotated[float, Field(description="pounds, rounded to the penny")]
Ratio = Annotated[float, Field(description="a ratio, to 6 significant figures")]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Allocation(_Closed):
    """One row of spending: a pool's money on an intervention in an area in a year (spend > 0)."""

    area: str = Field(description="the area's id (an LSOA code for real places)")
    intervention: str = Field(description="the intervention's id")
    pool: str = Field(description="the paying pool's id")
    year: int = Field(ge=1, description="1-based year of the horizon")
    spend: Pounds
    participants: float = Field(ge=0, description="spend / unit_cost: the participants this pool's share pays for")


class AllocationsFile(_Closed):
    """Where the allocations were written instead of inline (``allocations`` is then null)."""

    path: str = Field(description="the file's path as written")
    format: Literal["csv", "csv.gz", "parquet"] = Field(description="the file's form")
    rows: int = Field(ge=0, description="allocation rows in the file")
    columns: list[str] = Field(description="the file's columns, in order")


class Launch(_Closed):
    """An intervention launched in an area (y = 1), and who pays its fixed cost."""

    area: str
    intervention: str
    fixed_cost_by_pool: dict[str, Pounds] = Field(description="pool id -> its share of the fixed cost, paid in year 1")


class InterventionSummary(_Closed):
    """One intervention's figures (an extension of the contract's summary)."""

    spending: Pounds = Field(description="undiscounted spending, fixed costs included")
    spending_discounted: Pounds = Field(description="discounted spending")
    savings: Pounds = Field(description="discounted savings to all agencies")
    benefit_cost_ratio: Ratio | None = Field(description="savings / discounted spending (null when not funded)")
    source: str | None = Field(None, description="version 2 (docs/model.md 2.5): the citation for its unit cost and effects, where given")
    outcome_sources: dict[str, str] | None = Field(
        None, description="version 2 (2.5): outcome id -> the citation for that outcome's unit costs, for the outcomes it affects"
    )


class PoolYearSpend(_Closed):
    pool: str
    year: int = Field(ge=1)
    spend: Pounds = Field(description="undiscounted spending of the pool in the year, fixed costs counted in year 1")


class CostSharingReport(_Open):
    """Who pays among equally good plans (docs/model.md 2.4)."""

    rule: Literal["budget_share", "shares"] = Field(description="the scenario's policy.cost_sharing rule")
    deviation: Pounds = Field(description="Delta of the reported plan: sum over pools and years of |X[p,t] - beta[p,t] X[t]|")
    target_shares: dict[str, list[float]] | None = Field(
        None, description="pool id -> beta[p,t], its target share of each year's spending (year 1 first)"
    )
    note: str | None = Field(None, description="present only when a stage could not finish: the plan is then the optimum as found")


class SpendingRange(_Closed):
    """The least and the most discounted spending of one pool over the equally good plans (docs/model.md 2.4)."""

    min: Pounds
    max: Pounds


class Summary(_Open):
    """The plan's figures, every one recomputable from the allocations, the launches and the scenario."""

    total_spending: Pounds = Field(description="all spending, undiscounted: allocation spend plus fixed costs")
    total_spending_discounted: Pounds = Field(description="sum over years of d[t] x spend in year t, plus fixed costs (year 1)")
    savings_by_agency: dict[str, Pounds] = Field(description="agency id -> discounted savings (every pool and agency listed)")
    spending_by_agency: dict[str, Pounds] = Field(description="agency id -> discounted spending of its pool (0 without a pool)")
    net_position_by_agency: dict[str, Pounds] = Field(description="agency id -> savings - discounted spending")
    social_value: Pounds = Field(description="discounted social value, unweighted")
    benefit_cost_ratio: Ratio | None = Field(
        description="total discounted savings / total discounted spending (null when nothing is spent)"
    )
    deprived_share: Ratio | None = Field(description="spending in deprived areas / all spending, undiscounted (null when nothing is spent)")
    spending_by_decile: dict[str, Pounds] = Field(description='"1".."10" -> undiscounted spending in areas of that IMD decile')
    by_intervention: dict[str, InterventionSummary] = Field(description="intervention id -> its figures")
    spending_by_pool_year: list[PoolYearSpend] = Field(description="undiscounted spending by pool and year")
    cost_sharing: CostSharingReport | None = Field(None, description="version 2: the cost-sharing rule and the reported plan's deviation")
    pool_spending_range: dict[str, SpendingRange] | None = Field(
        None, description="version 2: pool id -> least and most discounted spending over the equally good plans"
    )
    value_by_theme: dict[str, float] | None = Field(
        None,
        description="version 2 (docs/model.md 2.2): theme -> the objective's benefit through outcomes with that theme "
        "(each outcome's shared equally among its themes); present when some outcome has themes",
    )
    value_without_theme: float | None = Field(None, description="version 2: the objective's benefit through outcomes without themes")


class BudgetPrice(_Closed):
    pool: str
    year: int = Field(ge=1)
    value: float = Field(description="objective gained per extra £1 of the pool's budget in the year")


class RulePrice(_Open):
    """A rule's shadow price; the rule's keys (pool, intervention, year, ...) are further fields."""

    rule: str = Field(
        description="community_wealth_fund.min_share, community_wealth_fund.per_capita_floor, area_cap, no_agency_worse_off, capacity, ..."
    )
    value: float
    unit: str = Field(description="what one unit of the rule is (per percentage point, per £1, per participant)")


class ShadowPrices(_Open):
    """What one more unit of each budget and rule is worth (for a MIP, with the launches fixed)."""

    budgets: list[BudgetPrice]
    rules: list[RulePrice]


class BindingRule(_Open):
    """A rule that holds with equality at the optimum, in board words; its keys (pool, year, ...) are further fields."""

    rule: str
    message: str = Field(description="what the rule's binding means, in a sentence")


class Change(_Open):
    """One change that would make an infeasible scenario feasible; its keys (pool, area, year, ...) are further fields."""

    rule: str
    change: float = Field(description="how much the rule must move (pounds, or participants for coverage and capacity)")
    message: str


class Alternative(_Open):
    rule: str = Field(description="the one family of rules relaxed")
    total_change: float
    changes: list[Change]
    message: str


class Diagnosis(_Open):
    """Where infeasible: the rules in conflict, the least change found, and one-family alternatives."""

    conflicts: list[str]
    changes: list[Change]
    alternatives: list[Alternative]
    message: str


class SolverReport(_Open):
    """How the solve went; the back end may report more."""

    name: str = Field(description="the back end")
    version: str
    formulation: str | None = Field(None, description="merged, pooled or full: the programme as solved")
    build_seconds: float | None = None
    solve_seconds: float | None = None
    sharing_seconds: float | None = Field(None, description="the cost-sharing stage (docs/model.md 2.4): least deviation and its tie-break")
    ranges_seconds: float | None = Field(None, description="the pools' spending ranges over the equally good plans")
    sharing_from: str | None = Field(
        None, description="the back end that ran the cost-sharing stage (an exact one: HiGHS for ortools-pdlp)"
    )
    gap: float | None = Field(None, description="relative gap between objective and bound (0 when optimal)")
    limit: Limit | None = Field(None, description="the limit that stopped the solve before it proved its answer; none if it finished")
    integers_fixed_for_duals: bool | None = Field(None, description="shadow prices of a MIP were computed with the launches fixed")
    sharing_held_columns: int | None = Field(
        None,
        description="null: the cost-sharing stage worked on the band of docs/model.md 2.4; a count: on a large programme's optimal face, with that many columns held",
    )


class Result(_Closed):
    """A solve's result (docs/result-format.md): every field always present, null where it has no value."""

    model_config = ConfigDict(extra="forbid", title="Result")

    model_version: int = Field(description="the contract's version of the result: 2 (docs/model.md)")
    status: Literal["optimal", "feasible", "infeasible", "unbounded", "error"] = Field(
        description="feasible: a solution not proven optimal (time limit or gap)"
    )
    message: str = Field(description="one sentence on how the solve ended")
    objective: Pounds | None = Field(description="the docs/model.md objective, recomputed from the returned solution")
    bound: Pounds | None = Field(description="the best proven bound (MIP; equals objective for an optimal LP)")
    allocations: list[Allocation] | None = Field(description="null when they were written to allocations_file")
    allocations_file: AllocationsFile | None = Field(description="where the allocations were written instead of inline (CLI), else null")
    launches: list[Launch] = Field(description="where an intervention is launched (y = 1), with who pays its fixed cost")
    summary: Summary | None = Field(description="null when there is no solution")
    shadow_prices: ShadowPrices | None = Field(description="the value of one more unit of each budget and rule (null without a solution)")
    binding_rules: list[BindingRule] = Field(description="rules that hold with equality at the optimum, in board words")
    diagnosis: Diagnosis | None = Field(description="where infeasible: what is in conflict and the smallest change found")
    solver: SolverReport = Field(description="the back end, its version, the formulation, timings and gap")
    scenario_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the canonical scenario (without its solver block)")


# -- analysis reports (docs/analyses.md) ------------------------------------------


class _Report(_Open):
    messages: list[str] = Field(default_factory=list, description="what the report says, in sentences")


class SplitReport(_Report):
    """A fair split between agencies: coalition values, Shapley values, the core."""

    analysis: Literal["split"]
    pools: list[str]
    coalitions: list[dict[str, Any]]
    shapley: dict[str, Pounds]
    grand_value: Pounds
    agencies: list[dict[str, Any]]
    in_core: bool
    warnings: list[str]


class FrontierReport(_Report):
    """Net value as the share of spending in deprived areas rises."""

    analysis: Literal["frontier"]
    points: list[dict[str, Any]]
    cost_of_rule: Pounds | None = None


class SensitivityReport(_Open):
    """What one more pound or a looser rule would buy, and how far that holds."""

    analysis: Literal["sensitivity"]
    base_objective: Pounds
    items: list[dict[str, Any]]
    sentences: list[str]


class MonteCarloReport(_Report):
    """The objective's distribution over uncertain effects."""

    analysis: Literal["montecarlo"]
    samples: int
    seed: int
    distribution: str
    objective: dict[str, Any]
    funded: list[dict[str, Any]]
    warnings: list[str]


class AppraisalReport(_Report):
    """The appraisal pack: spending, savings, NPV, return and payback per intervention and agency."""

    analysis: Literal["appraisal"]
    scenario_hash: str | None
    objective: Pounds | None
    interventions: list[dict[str, Any]]
    agencies: list[dict[str, Any]]
    total: dict[str, Any]


class ResidentsReport(_Report):
    """What honouring residents costs: the plan on the evidence alone, with priorities, with the vote's commitments."""

    analysis: Literal["residents"]
    strength: float
    ways: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    frontier: list[dict[str, Any]]


#: the reports of the analyses of docs/analyses.md (the comparison's, CompareReport, is api/routes/compare.py's;
#: api/routes/jobs.py joins them as the AnalysisReport component)
REPORTS = (SplitReport, FrontierReport, SensitivityReport, MonteCarloReport, AppraisalReport, ResidentsReport)
