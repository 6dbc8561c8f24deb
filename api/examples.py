"""Examples shown in the OpenAPI document (``/docs``): a real scenario and, shortened, its real result."""

from __future__ import annotations

from typing import Any

SCENARIO: dict[str, Any] = {
    "schema_version": 1,
    "name": "Tiny two-area example",
    "horizon_years": 2,
    "appraisal_years": 3,
    "pools": [
        {"id": "council", "name": "Council", "budget": [50000, 50000]},
        {"id": "police", "name": "Police", "budget": 20000, "interventions": ["youth_diversion"]},
    ],
    "agencies": [{"id": "nhs", "name": "NHS"}],
    "outcomes": [
        {"id": "care_entry", "name": "Child taken into care", "unit_costs": {"council": 51080}},
        {"id": "police_callout", "name": "Police call-out", "unit_costs": {"police": 500}, "social_value": 200},
        {"id": "ae_visit", "name": "A&E attendance", "unit_costs": {"nhs": 150}},
    ],
    "areas": [
        {
            "id": "E01000001",
            "name": "Deprived estate",
            "imd_decile": 1,
            "imd_rank": 120,
            "population": 1500,
            "groups": {"families": 60, "young_people": 90},
        },
        {
            "id": "E01000002",
            "name": "Market town",
            "imd_decile": 6,
            "imd_rank": 19000,
            "population": 1600,
            "groups": {"families": 40, "young_people": 70},
        },
    ],
    "interventions": [
        {
            "id": "early_help",
            "name": "Early help for families",
            "target_group": "families",
            "unit_cost": 1500,
            "max_coverage": 0.5,
            "effects": [
                {"outcome": "care_entry", "per_participant": 0.02, "lag_years": 1, "duration_years": 2},
                {"outcome": "police_callout", "per_participant": 0.5},
            ],
        },
        {
            "id": "youth_diversion",
            "name": "Youth diversion",
            "target_group": "young_people",
            "unit_cost": 800,
            "max_coverage": 0.3,
            "effects": [
                {"outcome": "police_callout", "per_participant": 1.2, "duration_years": 2},
                {"outcome": "ae_visit", "per_participant": 0.5},
            ],
        },
    ],
    "policy": {"community_wealth_fund": {"min_share": 0.5, "max_decile": 1}},
    "solver": {"name": "highs", "time_limit": 30},
}

HASH = "b95d726d172756e7f171c26fb66bd8a1e4459ddc54398a6304368845fc579554"
SOLVER_KEY = "5c1d0f4f8e0b9a21"

RESULT: dict[str, Any] = {
    "model_version": 2,
    "status": "optimal",
    "message": "Optimal: £108,400 of spending yields £57,465 of weighted net present value.",
    "objective": 57465.42,
    "bound": 57465.42,
    "allocations": [
        {"area": "E01000001", "intervention": "early_help", "pool": "council", "year": 1, "spend": 31600.0, "participants": 21.07},
        {"area": "E01000001", "intervention": "youth_diversion", "pool": "council", "year": 1, "spend": 10350.0, "participants": 12.94},
    ],
    "launches": [],
    "allocations_file": None,
    "summary": {
        "total_spending": 108400.0,
        "total_spending_discounted": 107101.45,
        "benefit_cost_ratio": 1.54,
        "deprived_share": 0.69,
        "savings_by_agency": {"council": 40884.66, "police": 116603.95, "nhs": 7078.26},
        "spending_by_agency": {"council": 76501.04, "police": 30600.41, "nhs": 0.0},
        "net_position_by_agency": {"council": -35616.38, "police": 86003.54, "nhs": 7078.26},
        "social_value": 46641.58,
        "spending_by_decile": {"1": 74800.0, "2": 0.0, "3": 0.0, "4": 0.0, "5": 0.0, "6": 33600.0, "7": 0.0, "8": 0.0, "9": 0.0, "10": 0.0},
        "by_intervention": {
            "early_help": {"spending": 31600.0, "spending_discounted": 31600.0, "savings": 46151.33, "benefit_cost_ratio": 1.46},
            "youth_diversion": {"spending": 76800.0, "spending_discounted": 75501.45, "savings": 118415.54, "benefit_cost_ratio": 1.57},
        },
        "spending_by_pool_year": [
            {"pool": "council", "year": 1, "spend": 50000.0},
            {"pool": "council", "year": 2, "spend": 27428.57},
            {"pool": "police", "year": 1, "spend": 20000.0},
            {"pool": "police", "year": 2, "spend": 10971.43},
        ],
        "cost_sharing": {
            "rule": "budget_share",
            "deviation": 0.0,
            "target_shares": {"council": [0.7142857142857143, 0.7142857142857143], "police": [0.2857142857142857, 0.2857142857142857]},
        },
        "pool_spending_range": {"council": {"min": 67777.77, "max": 87101.48}, "police": {"min": 19999.99, "max": 39323.67}},
    },
    "shadow_prices": {"budgets": [{"pool": "council", "year": 1, "value": 0.46}], "rules": []},
    "binding_rules": [
        {
            "rule": "budget",
            "pool": "council",
            "year": 1,
            "value": 0.46,
            "message": "The Council pool's year 1 budget is fully used: one more £1 would add £0.46 of net value.",
        }
    ],
    "diagnosis": None,
    "solver": {"name": "highs", "version": "1.14.0", "build_seconds": 0.006, "solve_seconds": 0.001, "gap": 0.0, "limit": None},
    "scenario_hash": HASH,
}

PROBLEMS: dict[str, Any] = {
    "detail": [
        {
            "loc": "/pools/0/budget",
            "msg": "has 3 figures but horizon_years is 2: give one budget per year, or a single number for every year",
            "in": "body",
        },
        {"loc": "/interventions/1/effects/0/outcome", "msg": "unknown outcome id 'arrest': use an id listed in /outcomes", "in": "body"},
    ]
}

CSV = "area,intervention,pool,year,spend,participants\r\nE01000001,early_help,council,1,31600.0,21.066666666666666\r\n"


def error(detail: str) -> dict[str, Any]:
    """An OpenAPI response entry for an error with a one-sentence detail."""
    return {"content": {"application/json": {"example": {"detail": detail}}}}


def json_example(description: str, example: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


COMMON: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid X-API-Key", **error("missing or invalid API key: send your tenant's key in the X-API-Key header")},
    413: {"description": "body over the size limit", **error("request body too large: the limit is 16,777,216 bytes")},
    422: json_example("invalid input: every problem, located by a JSON pointer", PROBLEMS),
}
