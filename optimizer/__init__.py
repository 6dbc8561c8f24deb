"""totalplace: the pooled-budget allocation optimiser (the domain core).

The core imports nothing of the web, the cache or the database.

    >>> from optimizer import parse_scenario, solve
    >>> result = solve(parse_scenario(data))           # doctest: +SKIP
"""

from optimizer.errors import Problem, ScenarioError, SolverFailure, SolverUnavailable, TotalplaceError
from optimizer.scenario import MODEL_VERSION, Scenario, canonical_json, parse_scenario, scenario_hash
from optimizer.solve import available_solvers, solve

__all__ = [
    "MODEL_VERSION",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SolverFailure",
    "SolverUnavailable",
    "TotalplaceError",
    "available_solvers",
    "canonical_json",
    "parse_scenario",
    "scenario_hash",
    "solve",
]
