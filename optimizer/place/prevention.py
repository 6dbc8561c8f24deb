"""The default prevention scenario template (model version 2): three pools, five interventions, eleven outcomes.

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


#: Bands of diminishing returns (docs/model.md 2.1): (share of ``max_coverage`` where the band ends, effect). Assumptions,
#: each normalised so that the average effect over the whole coverage is 1: the calibrated or assumed effect per
#: participant above stays the average of everyone the template lets a place reach (docs/data.md, section 6a).
RESPONSES: dict[str, list[tuple[float, float]]] = {
    "early_help": [(0.4, 1.3), (0.7, 1.0), (1.0, 0.6)],
    "youth_diversion": [(0.5, 1.2), (1.0, 0.8)],
    "social_prescribing": [],
    "domestic_abuse_support": [(0.5, 1.3), (1.0, 0.7)],
    "falls_prevention": [(0.5, 1.4), (1.0, 0.6)],
}
#: Why each intervention has the response it has (repeated in docs/data.md, section 6a).
RESPONSE_BASIS: dict[str, str] = {
    "early_help": "assumption: families are taken on in order of need, as early-help triage does, so the families "
    "reached first avoid more than the average (1.3 times up to 2 % of families, 1.0 to 3.5 %, 0.6 to 5 %)",
    "youth_diversion": "assumption: referrals start with the young people closest to the justice system (1.2 times the "
    "average effect up to 1 % of 10-17s, 0.8 beyond)",
    "social_prescribing": "one band: no evidence found on how the effect changes with the number referred, so none is assumed",
    "domestic_abuse_support": "assumption: support starts with victims at high risk of repeat victimisation (the cases "
    "referred to a risk conference), 1.3 times the average up to 0.25 % of adults 16-59, 0.7 beyond",
    "falls_prevention": "assumption: assessment starts with people who have already fallen, at the highest risk of "
    "falling again (1.4 times the average up to 1.5 % of people 65+, 0.6 beyond)",
}
#: The residents' themes each outcome serves (docs/model.md 2.2), from the themes of a good life that Camden's residents
#: co-designed (Camden's framework: health; equality and safety; income and affordability; education and lifelong
#: learning; social connections; empowered citizenship; environment; housing).
OUTCOME_THEMES: dict[str, list[str]] = {
    "dv_incident": ["equality_and_safety", "health"],
    "police_callout": ["equality_and_safety"],
    "persistent_absence": ["education_and_lifelong_learning"],
    "first_time_entrant": ["equality_and_safety"],
    "asb_incident": ["equality_and_safety"],
    "arrest": ["equality_and_safety"],
    "gp_consultation": ["health"],
    "ae_attendance": ["health"],
    "emergency_admission": ["health"],
    "fall_admission": ["health"],
    "hip_fracture": ["health"],
}
#: Where the themes come from (the source of the outcomes' theme tags; docs/data.md, section 6b).
THEMES_SOURCE = "themes: the themes of a good life co-designed by Camden's residents (Camden's framework), as snake_case ids"


def outcomes() -> list[dict[str, Any]]:
    """The outcome list: each unit cost uprated from its GMCA rows, cited in its ``source``, tagged with residents' themes."""
    return [
        {
            "id": o.id,
            "name": o.name(),
            "unit_costs": o.unit_costs(),
            "themes": OUTCOME_THEMES[o.id],
            "source": f"{o.source()}; {THEMES_SOURCE}",
        }
        for o in OUTCOMES.values()
    ]


def interventions(*, early_help_years: int | None = None) -> list[dict[str, Any]]:
    """The intervention list; ``early_help_years`` overrides how long early help's effects last."""
    out = []
    for iid, (label, group, coverage) in INTERVENTIONS.items():
        cost = INTERVENTION_COSTS[iid]
        if iid == "early_help":
            effects = early_help_effects() if early_help_years is None else early_help_effects(early_help_years)
        else:
            effects = [{"outcome": o, "per_participant": e, "lag_years": 0, "duration_years": d} for o, e, d in OTHER_EFFECTS[iid]]
        source = (
            f"cost: {cost.cite()}, uprated to 2023/24 by GDP deflator; effects: {EFFECT_BASIS[iid]}; "
            f"response: {RESPONSE_BASIS[iid]} (docs/data.md)"
        )
        row: dict[str, Any] = {
            "id": iid,
            "name": label,
            "target_group": group,
            "unit_cost": cost.value(),
            "max_coverage": coverage,
            "effects": effects,
            "source": source,
        }
        if RESPONSES[iid]:
            row["response"] = [{"up_to": round(share * coverage, 6), "effect": effect} for share, effect in RESPONSES[iid]]
        out.append(row)
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
        "schema_version": 2,
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
