"""The service's own limits on a scenario, checked before and beside the core's validation.

The core (``optimizer.parse_scenario``) says what a scenario *is*; the
service also has to bound what one request may cost it. Three limits:

* **Size, before parsing.** More than ``MAX_AREAS`` areas or
  ``MAX_INTERVENTIONS`` interventions, or more than ``max_cells`` areas x
  interventions x years, is refused at once from the plain document, without
  validating 100,000 areas first: a 16 MiB body could otherwise ask for a
  programme of 100 million cells, whose solve needs tens of GB.
* **Magnitude.** Every number must be at most ``MAX_AMOUNT`` (10^12) in size.
  HiGHS treats 10^20 as infinite and gives up ("no solution") on unit costs
  of 10^15; nothing a place pools comes near 10^12 (that is about the whole of
  UK public spending in a year). Refused with the location of each.
* **Depth.** A value nested deeper than ``MAX_DEPTH`` levels is refused
  where it starts to be too deep (a scenario has six levels), rather than
  walked by recursive code that a body of thousands of levels would exhaust.
* **Number of problems.** At most ``MAX_PROBLEMS`` problems are listed (and
  how many more there were), so that a body of 50,000 broken areas gets a
  short answer, not a 50 MB one.
"""

from __future__ import annotations

from typing import Any

from optimizer import MAX_AREAS, MAX_INTERVENTIONS, Problem, Scenario, ScenarioError, parse_scenario, pointer

MAX_AMOUNT = 1e12
MAX_PROBLEMS = 1000
#: Levels of nesting walked; a scenario has six (/interventions/0/effects/0/outcome), JSON bodies can have thousands.
MAX_DEPTH = 32


def raw_cells(data: dict[str, Any]) -> int | None:
    """Areas x interventions x years of a plain document, when its shape allows counting them."""
    areas, ivs, years = data.get("areas"), data.get("interventions"), data.get("horizon_years")
    if isinstance(areas, list) and isinstance(ivs, list) and isinstance(years, int) and not isinstance(years, bool) and 1 <= years <= 10:
        return len(areas) * len(ivs) * years
    return None


def size_problems(data: dict[str, Any], max_cells: int) -> list[Problem]:
    """Problems of size, found from the plain document alone."""
    problems = []
    for key, limit in (("areas", MAX_AREAS), ("interventions", MAX_INTERVENTIONS)):
        value = data.get(key)
        if isinstance(value, list) and len(value) > limit:
            problems.append(Problem(f"/{key}", f"has {len(value):,} entries; at most {limit:,} are allowed: split the scenario"))
    cells = raw_cells(data)
    if cells is not None and cells > max_cells:
        problems.append(
            Problem(
                "/areas",
                f"areas x interventions x years is {cells:,}; this service solves at most {max_cells:,} "
                "(TOTALPLACE_MAX_CELLS): split the place, or drop interventions or years",
            )
        )
    return problems


def magnitude_problems(data: Any) -> list[Problem]:
    """Every number larger than ``MAX_AMOUNT`` in size, and every value nested too deeply, located (walked without recursion)."""
    problems: list[Problem] = []
    todo: list[tuple[list[str | int], Any]] = [([], data)]
    while todo and len(problems) <= MAX_PROBLEMS:
        path, value = todo.pop()
        if isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            problems.append(Problem(pointer(path), f"is nested more than {MAX_DEPTH} levels deep: a scenario has at most six levels"))
        elif isinstance(value, dict):
            todo.extend(([*path, str(k)], v) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend(([*path, i], v) for i, v in enumerate(value))
        elif isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_AMOUNT:
            problems.append(
                Problem(
                    pointer(path),
                    f"{value:.3g} is too large: this service accepts numbers up to {MAX_AMOUNT:.0e} "
                    "(solvers treat larger figures as infinite); check the units",
                )
            )
    return sorted(problems, key=lambda p: p.loc)


def capped(problems: list[Problem]) -> list[Problem]:
    """At most ``MAX_PROBLEMS`` problems, the last saying how many were left out."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    left = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS], Problem("", f"... and {left:,} more problem(s): correct these first")]


def parse_within_limits(data: Any, max_cells: int) -> Scenario:
    """``parse_scenario`` under the service's limits; raises ScenarioError with every problem (capped)."""
    if isinstance(data, dict):
        early = size_problems(data, max_cells)
        if early:
            raise ScenarioError(early)
    large = magnitude_problems(data)
    try:
        scenario = parse_scenario(data)
    except ScenarioError as exc:
        known = {p.loc for p in exc.problems}
        raise ScenarioError(capped(list(exc.problems) + [p for p in large if p.loc not in known])) from None
    if large:
        raise ScenarioError(capped(large))
    return scenario
