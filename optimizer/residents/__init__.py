"""Residents' voices in the plan (docs/residents.md): a survey's priorities and a participatory vote's commitments.

* :mod:`optimizer.residents.survey`: survey rows (respondent, area, theme, points) to
  ``policy.resident_priorities.weights`` and ``areas[].priorities`` (docs/model.md 2.2), with a
  threshold below which an area uses the place's weights;
* :mod:`optimizer.residents.vote`: a pabulib vote's winners (Method of Equal Shares, or greedy) to
  ``policy.commitments`` (docs/model.md 2.3);
* :mod:`optimizer.residents.synthetic`: a seeded synthetic survey for tests and demos.

pabutools (the ``[residents]`` extra) is imported only when a vote is read.
"""

from optimizer.residents.survey import (
    BELOW_THRESHOLD,
    DEFAULT_MIN_RESPONDENTS,
    Aggregate,
    aggregate,
    csv_locator,
    read_csv,
    rows_locator,
    with_priorities,
)
from optimizer.residents.synthetic import distinct_areas, synthetic_survey
from optimizer.residents.vote import RULES, VoteOutcome, read_election, with_commitments
from optimizer.residents.vote import outcome as vote_outcome

__all__ = [
    "BELOW_THRESHOLD",
    "DEFAULT_MIN_RESPONDENTS",
    "RULES",
    "Aggregate",
    "VoteOutcome",
    "aggregate",
    "csv_locator",
    "distinct_areas",
    "read_csv",
    "read_election",
    "rows_locator",
    "synthetic_survey",
    "vote_outcome",
    "with_commitments",
    "with_priorities",
]
