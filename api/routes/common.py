"""Helpers shared by the routers: parsing with located problems, and result responses."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from api.errors import ScenarioRefused
from api.solving import SolvePlan
from optimizer import Scenario, ScenarioError, parse_scenario

HASH_PATTERN = r"^[0-9a-f]{64}$"


def parse_or_refuse(data: Any, base: str = "") -> Scenario:
    """The scenario, or a 422 listing every problem at ``base`` + its JSON pointer."""
    try:
        return parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioRefused(exc, base) from None


def result_response(text: str, outcome: str, plan: SolvePlan) -> Response:
    """The core's result JSON as it is, saying whether it came from the cache and where it lives."""
    return Response(text, media_type="application/json", headers={
        "X-Cache": "hit" if outcome == "hit" else "miss",
        "X-Scenario-Hash": plan.scenario_hash,
        "Content-Location": plan.result_url(),
    })
