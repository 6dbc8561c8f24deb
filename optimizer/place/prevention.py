"""The default prevention scenario template: three pools, five interventions, eleven outcomes.

Every amount has a stated basis. Unit costs come from :mod:`optimizer.place.unit_costs`
(GMCA database rows, uprated); early help's effects from the Manchester
calibration (:mod:`optimizer.place.calibration`); the other effects are stated
assumptions, each with its reasoning in :data:`EFFECT_BASIS` and in
``docs/data.md``. They are illustrative defaults for a board to replace with
local evidence, not findings.

The template is a scenario without areas; :func:`optimizer.place.geography.build_scenario`
adds the areas of a place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optimizer.place.calibration import early_help_effects
from optimizer.place.unit_costs import AGENCIES_WITHOUT_POOL, INTERVENTION_COSTS, OUTCOMES

#: Pool budget per resident per year, in pounds (2023/24 prices). Assumptions, see docs/data.md:
#: council ~1 % of net revenue spending (~£1,000-£1,300 per resident); police ~1 % of police
#: spending (~£300 per resident); NHS ~0.3 % of an ICB allocation (~£2,000 per resident).
BUDGET_PER_RESIDENT: dict[str, float] = {"council": 12.0, "police": 3.0, "nhs": 6.0}
POOL_NAMES = {
    "council": "Council (children's services, public health, adult social care)",
    "police": "Police (force and Police and Crime Commissioner)",
    "nhs": "NHS Integrated Care Board",
}

#: id -> (label, target group, largest share of the group reached in a year).
INTERVENTIONS: dict[str, tuple[str, str, float]] = {
    "early_help": ("Early help for families (Team Around the Family)", "families", 0.05),
    "youth_diversion": ("Youth diversion (pre-court, YOT-led)", "young_people_10_17", 0.02),
    "social_prescribing": ("Social prescribing (link worker)", "adults_16_plus", 0.01),
    "domestic_abuse_support": ("Domestic-abuse support (IDVA-style advocacy)", "adults_16_59", 0.005),
    "falls_prevention": ("Falls prevention (strength, balance, home hazards)", "older_65_plus", 0.03),
}

#: Effects other than early help's: (outcome, per participant, duration years). Assumptions.
OTHER_EFFECTS: dict[str, list[tuple[str, float, int]]] = {
    "youth_diversion": [("first_time_entrant", 0.10, 1), ("asb_incident", 0.30, 2), ("arrest", 0.10, 1)],
    "social_prescribing": [("gp_consultation", 1.5, 1), ("ae_attendance", 0.2, 1), ("emergency_admission", 0.02, 1)],
    "domestic_abuse_support": [("dv_incident", 0.40, 1)],
    "falls_prevention": [("fall_admission", 0.05, 1), ("hip_fracture", 0.01, 1)],
}

#: The reasoning behind each assumed effect (repeated in docs/data.md).
EFFECT_BASIS: dict[str, str] = {
    "early_help": "calibrated to Manchester Early Help before/after figures (policy paper); see docs/data.md",
    "youth_diversion": "assumption: 1 in 10 participants kept out of the youth justice system, of the order of the "
    "~13 % reduction the Youth Endowment Fund Toolkit reports for pre-court diversion, applied to young people "
    "on the edge of the system; 0.3 fewer ASB incidents a year for two years; 0.1 fewer arrests",
    "social_prescribing": "assumption: 1.5 fewer GP consultations, 0.2 fewer A&E attendances and 0.02 fewer emergency "
    "admissions a year, in line with the reductions (about a quarter) reported in reviews of social prescribing "
    "for frequent attenders",
    "domestic_abuse_support": "assumption: 0.4 fewer domestic-violence incidents in the year after support, for victims "
    "at high risk of repeat victimisation",
    "falls_prevention": "assumption: 0.05 fewer fall admissions and 0.01 fewer hip fractures a year per participant "
    "at raised risk of falling",
}


def outcomes() -> list[dict[str, Any]]:
    """The outcome list, each unit cost uprated from its GMCA rows and cited in its name."""
    return [{"id": o.id, "name": o.name(), "unit_costs": o.unit_costs()} for o in OUTCOMES.values()]


def interventions(*, early_help_years: int | None = None) -> list[dict[str, Any]]:
    """The intervention list; ``early_help_years`` overrides how long early help's effects last."""
    out = []
    for iid, (label, group, coverage) in INTERVENTIONS.items():
        cost = INTERVENTION_COSTS[iid]
        if iid == "early_help":
            effects = early_help_effects() if early_help_years is None else early_help_effects(early_help_years)
        else:
            effects = [{"outcome": o, "per_participant": e, "lag_years": 0, "duration_years": d} for o, e, d in OTHER_EFFECTS[iid]]
        name = f"{label} [cost: {cost.cite()}, uprated; effects: {'Manchester calibration' if iid == 'early_help' else 'assumption'}, docs/data.md]"
        out.append(
            {"id": iid, "name": name, "target_group": group, "unit_cost": cost.value(), "max_coverage": coverage, "effects": effects}
        )
    return out


def pools(population: float, per_resident: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """The three pools, each budget = population x pounds per resident, rounded to £1,000."""
    rates = dict(BUDGET_PER_RESIDENT if per_resident is None else per_resident)
    return [{"id": pid, "name": POOL_NAMES.get(pid, pid), "budget": float(round(population * rate, -3))} for pid, rate in rates.items()]


def default_template(
    population: float,
    *,
    name: str = "Prevention pool: {place}",
    horizon_years: int = 3,
    appraisal_years: int = 5,
    per_resident: Mapping[str, float] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete scenario but for its areas; budgets scaled to ``population``.

    ``name`` may hold ``{place}``, filled in by :func:`optimizer.place.geography.build_scenario`.
    The default policy: 30 % of spending in the nationally most deprived 10 % of areas.
    """
    return {
        "schema_version": 1,
        "name": name,
        "horizon_years": horizon_years,
        "appraisal_years": appraisal_years,
        "discount_rate": 0.035,
        "pools": pools(population, per_resident),
        "agencies": [{"id": aid, "name": label} for aid, label in AGENCIES_WITHOUT_POOL.items()],
        "outcomes": outcomes(),
        "areas": [],
        "interventions": interventions(),
        "policy": dict(policy) if policy is not None else {"community_wealth_fund": {"min_share": 0.3, "max_decile": 1}},
    }
