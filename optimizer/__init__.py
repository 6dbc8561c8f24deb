"""totalplace: the pooled-budget allocation optimiser (the domain core).

The core imports nothing of the web, the cache or the database. Its public
names are this one flat namespace (as httpx's): callers, the service in
``api/`` among them, import from ``optimizer`` and not from its modules, so
the modules can move without breaking them (tests/test_architecture.py keeps
``api/`` to this surface).

    >>> from optimizer import parse_scenario, solve
    >>> result = solve(parse_scenario(data))           # doctest: +SKIP
    >>> result.status is Status.OPTIMAL                 # doctest: +SKIP

The analyses and the command line load on first use (their names are looked
up in :data:`_LAZY`), so ``import optimizer`` costs no more than a solve needs.

The exceptions (:mod:`optimizer.errors`)::

    TotalplaceError
     +-- ScenarioError        the input is not a valid scenario (every problem listed)
     |    +-- ResidentsInputError   a residents' survey or vote is not valid input (by row and column)
     +-- SolverUnavailable    the requested back end is not installed or unknown
     +-- SolverFailure        a back end crashed or answered nonsense
    AnalysisError             an analysis cannot run on this scenario (a ValueError)
"""

import importlib as _importlib
import typing as _typing

from optimizer import logs as logs
from optimizer.backends import backend_names
from optimizer.check import Violation, check_result
from optimizer.errors import Problem, ResidentsInputError, ScenarioError, SolverFailure, SolverUnavailable, TotalplaceError, pointer
from optimizer.money import in_pence
from optimizer.result import Result
from optimizer.scenario import (
    MAX_AREAS,
    MAX_INTERVENTIONS,
    MODEL_VERSION,
    Scenario,
    canonical_dict,
    canonical_json,
    parse_scenario,
    scenario_hash,
)
from optimizer.solve import available_solvers, solve
from optimizer.status import Limit, Status

if _typing.TYPE_CHECKING:
    from optimizer import residents as residents
    from optimizer.analysis import appraisal as appraisal
    from optimizer.analysis import charts as charts
    from optimizer.analysis import compare as compare
    from optimizer.analysis import maps as maps
    from optimizer.analysis import report as report
    from optimizer.analysis import waterfall as waterfall
    from optimizer.analysis import worth as worth
    from optimizer.analysis.appraisal import appraise
    from optimizer.analysis.common import AnalysisError
    from optimizer.analysis.runner import module as analysis_module
    from optimizer.analysis.runner import run_task
    from optimizer.cli.main import app as cli_app
    from optimizer.cli.main import main as cli_main
    from optimizer.export import write_workbook
    from optimizer.forms import form_of, load_data, load_scenario
    from optimizer.place import geography as geography
    from optimizer.place import prevention as prevention

#: public name -> (module, name there), imported on first use
_LAZY = {
    "AnalysisError": ("optimizer.analysis.common", "AnalysisError"),
    "analysis_module": ("optimizer.analysis.runner", "module"),
    "appraise": ("optimizer.analysis.appraisal", "appraise"),
    "appraisal": ("optimizer.analysis.appraisal", ""),
    "report": ("optimizer.analysis.report", ""),
    "geography": ("optimizer.place.geography", ""),
    "prevention": ("optimizer.place.prevention", ""),
    "residents": ("optimizer.residents", ""),
    "cli_app": ("optimizer.cli.main", "app"),
    "cli_main": ("optimizer.cli.main", "main"),
    "run_task": ("optimizer.analysis.runner", "run_task"),
    "compare": ("optimizer.analysis.compare", ""),
    "charts": ("optimizer.analysis.charts", ""),
    "maps": ("optimizer.analysis.maps", ""),
    "waterfall": ("optimizer.analysis.waterfall", ""),
    "worth": ("optimizer.analysis.worth", ""),
    "form_of": ("optimizer.forms", "form_of"),
    "load_data": ("optimizer.forms", "load_data"),
    "load_scenario": ("optimizer.forms", "load_scenario"),
    "write_workbook": ("optimizer.export", "write_workbook"),
}

__all__ = [
    "MAX_AREAS",
    "MAX_INTERVENTIONS",
    "MODEL_VERSION",
    "AnalysisError",
    "Limit",
    "Problem",
    "ResidentsInputError",
    "Result",
    "Scenario",
    "ScenarioError",
    "SolverFailure",
    "SolverUnavailable",
    "Status",
    "TotalplaceError",
    "Violation",
    "analysis_module",
    "appraise",
    "available_solvers",
    "backend_names",
    "canonical_dict",
    "canonical_json",
    "check_result",
    "form_of",
    "in_pence",
    "load_data",
    "load_scenario",
    "write_workbook",
    "cli_app",
    "cli_main",
    "parse_scenario",
    "pointer",
    "run_task",
    "scenario_hash",
    "solve",
]


def __getattr__(name: str) -> _typing.Any:
    """The lazily loaded names of :data:`_LAZY` (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    module, attr = _LAZY[name]
    loaded = _importlib.import_module(module)
    value = getattr(loaded, attr) if attr else loaded  # "" names a module (the comparison)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
