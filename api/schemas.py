"""Request and response bodies of the API (the result itself is the core's JSON, passed through)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from api import examples
from api.store.db import JobRow, ScenarioRow

_NOW = "2026-11-02T10:15:00Z"
JobStatus = Literal["queued", "running", "finished", "failed", "cancelled"]


class ScenarioCreate(BaseModel):
    """A scenario to store; ``parent_id`` names the stored version it was derived from."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"scenario": examples.SCENARIO, "parent_id": None}]})

    scenario: dict[str, Any] = Field(description="the scenario document, as in docs/model.md")
    parent_id: str | None = Field(
        None, max_length=40, pattern=r"^[a-z]{2,3}_[0-9a-f]{32}$", description="id of the stored scenario this one revises (lineage)"
    )


class ScenarioOut(BaseModel):
    """A stored scenario version (immutable)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "sc_0f5c2d9a6e8b4c1f9a7d3e2b1c0a9f8e",
                    "name": "Tiny two-area example",
                    "scenario_hash": examples.HASH,
                    "parent_id": None,
                    "cells": 8,
                    "is_mip": False,
                    "solves": "sync",
                    "created_at": _NOW,
                }
            ]
        }
    )

    id: str
    name: str
    scenario_hash: str
    parent_id: str | None
    cells: int = Field(description="areas x interventions x years (x10 for a mixed-integer scenario)")
    is_mip: bool
    solves: Literal["sync", "async"] = Field(description="whether POST .../solve answers at once or with a job")
    created_at: datetime

    @classmethod
    def of(cls, row: ScenarioRow, sync_max_cells: int) -> ScenarioOut:
        return cls(
            id=row.id,
            name=row.name,
            scenario_hash=row.scenario_hash,
            parent_id=row.parent_id,
            cells=row.cells,
            is_mip=row.is_mip,
            solves="sync" if row.cells <= sync_max_cells else "async",
            created_at=row.created_at,
        )


class ScenarioDetail(ScenarioOut):
    """A stored scenario with its canonical document (defaults filled, amounts as numbers)."""

    scenario: dict[str, Any]


class ScenarioList(BaseModel):
    items: list[ScenarioOut]
    total: int
    limit: int
    offset: int


class JobOut(BaseModel):
    """A job: its state, how far it got, and where its result is."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "job_6a1e0c2b9d8f4e3a8b7c6d5e4f3a2b1c",
                    "status": "finished",
                    "stage": "finished",
                    "progress": 1.0,
                    "error": None,
                    "scenario_id": "sc_0f5c2d9a6e8b4c1f9a7d3e2b1c0a9f8e",
                    "scenario_hash": examples.HASH,
                    "solver_key": examples.SOLVER_KEY,
                    "attempts": 1,
                    "result_url": f"/v1/results/{examples.HASH}?solver_key={examples.SOLVER_KEY}",
                    "created_at": _NOW,
                    "started_at": _NOW,
                    "finished_at": _NOW,
                    "kind": "solve",
                    "tasks": None,
                }
            ]
        }
    )

    id: str
    status: JobStatus
    stage: str = Field(description="queued, loading, solving, storing, finished, failed or cancelled")
    progress: float = Field(
        ge=0, le=1, description="a solve: by stage (the solver reports no finer progress); an analysis: finished tasks / tasks"
    )
    error: str | None = Field(description="why it failed or was retried, in words to act on")
    scenario_id: str
    scenario_hash: str
    solver_key: str
    attempts: int
    result_url: str | None = Field(description="where the result is, once finished")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    kind: str = Field("solve", description="solve, or the analysis it runs (split, frontier, sensitivity, montecarlo, appraisal)")
    tasks: int | None = Field(None, description="an analysis: how many tasks it was planned as (known once it runs)")

    @classmethod
    def of(cls, row: JobRow) -> JobOut:
        url = None
        if row.status == "finished":
            url = f"/v1/results/{row.scenario_hash}?solver_key={row.solver_key}" if row.kind == "solve" else f"/v1/jobs/{row.id}/result"
        return cls(
            kind=row.kind,
            tasks=row.tasks_total,
            id=row.id,
            status=cast(JobStatus, row.status),
            stage=row.stage,
            progress=row.progress,
            error=row.error,
            scenario_id=row.scenario_id,
            scenario_hash=row.scenario_hash,
            solver_key=row.solver_key,
            attempts=row.attempts,
            result_url=url,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


class JobList(BaseModel):
    items: list[JobOut]
    limit: int
    offset: int


class Health(BaseModel):
    """The process answers; says nothing of its dependencies (that is /readyz)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class Component(BaseModel):
    up: bool
    detail: str


class Ready(BaseModel):
    """Which components are up; 503 when the service cannot serve (its database is down)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "mode": "production",
                    "database": {"up": True, "detail": "postgresql"},
                    "redis": {"up": True, "detail": "redis cache, rq queue 'totalplace'"},
                    "workers": {"up": True, "detail": "2 worker(s) on queue 'totalplace'"},
                }
            ]
        }
    )

    status: Literal["ready", "degraded", "unavailable"]
    mode: Literal["embedded", "production"]
    database: Component
    redis: Component
    workers: Component
