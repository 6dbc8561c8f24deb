"""Shared fixtures of the core's tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.scenario import Scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny_data() -> dict:
    return json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text())


@pytest.fixture
def tiny(tiny_data: dict) -> Scenario:
    return parse_scenario(tiny_data)
