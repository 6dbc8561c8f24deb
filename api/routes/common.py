"""Helpers shared by the routers: parsing with located problems, and result responses."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from api.edge.errors import ScenarioRefused
from api.edge.limits import parse_within_limits
from api.solving.cached import SolvePlan
from optimizer import Scenario, ScenarioError

HASH_PATTERN = r"^[0-9a-f]{64}$"
#: What the service's ids look like (``sc_`` or ``job_`` and 32 hex digits); anything else cannot name one.
ID_PATTERN = r"^[a-z]{2,3}_[0-9a-f]{32}$"
#: Deepest page a list endpoint serves (a larger offset is refused, not passed to the database as an overflow).
MAX_OFFSET = 1_000_000_000


def parse_or_refuse(data: Any, base: str = "", *, max_cells: int) -> Scenario:
    """The scenario, or a 422 listing every problem at ``base`` + its JSON pointer (within the service's limits)."""
    try:
        return parse_within_limits(data, max_cells)
    except ScenarioError as exc:
        raise ScenarioRefused(exc, base) from None


def result_response(text: str, outcome: str, plan: SolvePlan) -> Response:
    """The core's result JSON as it is, saying whether it came from the cache and where it lives."""
    return Response(
        text,
        media_type="application/json",
        headers={
            "X-Cache": "hit" if outcome == "hit" else "miss",
            "X-Scenario-Hash": plan.scenario_hash,
            "Content-Location": plan.result_url(),
        },
    )
