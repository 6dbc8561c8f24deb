"""A seeded synthetic survey (docs/residents.md, "A synthetic survey"): for tests and demos, never for a decision.

The themes are those the scenario's outcomes name, in sorted order t_1 .. t_T.
Respondents are spread over the areas in proportion to their population (at
least one in every area when there are enough of them). Most residents share
the place's profile, in which theme t_j carries weight T - j + 1 (the first
theme matters most); the residents of the **distinct** areas, the
:data:`DISTINCT_AREAS` most deprived ones (lowest ``imd_decile``, then lowest
``imd_rank``, then id), hold the reverse profile (the last theme matters
most). Each respondent's points are a Dirichlet draw around their profile,
rounded to whole points summing to about 100, and only the themes they give
points to are written (a respondent always gives at least one point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.errors import Problem, ResidentsInputError
from optimizer.scenario import Scenario

#: how many of the most deprived areas hold the reverse priorities
DISTINCT_AREAS = 3
#: how closely a respondent follows their area's profile (the Dirichlet's concentration)
CONCENTRATION = 20.0


def distinct_areas(scenario: Scenario, count: int = DISTINCT_AREAS) -> list[str]:
    """The ids of the areas whose synthetic residents hold the reverse priorities: the ``count`` most deprived."""
    ranked = sorted(scenario.areas, key=lambda a: (a.imd_decile, a.imd_rank if a.imd_rank is not None else 10**9, a.id))
    return [a.id for a in ranked[:count]]


def synthetic_survey(scenario: Scenario, respondents: int, seed: int, *, distinct: int = DISTINCT_AREAS) -> pd.DataFrame:
    """A survey table (``respondent, area, theme, points``) of ``respondents`` people, the same for the same seed."""
    themes = sorted({t for o in scenario.outcomes for t in (o.themes or ())})
    if not themes:
        raise ResidentsInputError(
            [
                Problem(
                    "/outcomes",
                    "no outcome names a theme, so residents have nothing to weigh: add themes to the outcomes (docs/model.md 2.2)",
                )
            ]
        )
    if respondents < 1:
        raise ResidentsInputError([Problem("respondents", f"must be at least 1; got {respondents}")])
    rng = np.random.default_rng(seed)
    ids = [a.id for a in scenario.areas]
    population = np.array([max(a.population, 0.0) for a in scenario.areas], dtype=float)
    share = population / population.sum() if population.sum() > 0 else np.full(len(ids), 1 / len(ids))
    if respondents >= len(ids):  # one in every area, the rest by population
        where = np.concatenate([np.arange(len(ids)), rng.choice(len(ids), size=respondents - len(ids), p=share)])
    else:
        where = rng.choice(len(ids), size=respondents, p=share)
    where = np.sort(where)
    T = len(themes)
    profile = np.arange(T, 0, -1, dtype=float)  # T, T-1, ..., 1
    reverse = profile[::-1].copy()
    special = np.isin(np.array(ids)[where], distinct_areas(scenario, distinct))
    alpha = np.where(special[:, None], reverse, profile) / profile.sum() * CONCENTRATION
    draws = rng.gamma(alpha)  # a Dirichlet draw per respondent: gammas, normalised
    draws /= draws.sum(axis=1, keepdims=True)
    points = np.rint(draws * 100).astype(int)
    top = draws.argmax(axis=1)
    points[np.arange(respondents), top] = np.maximum(points[np.arange(respondents), top], 1)  # never all zero
    r, t = np.nonzero(points)
    width = len(str(respondents))
    return pd.DataFrame(
        {
            "respondent": [f"s{k:0{width}d}" for k in r + 1],
            "area": np.array(ids, dtype=object)[where[r]],
            "theme": np.array(themes, dtype=object)[t],
            "points": points[r, t],
        }
    )
