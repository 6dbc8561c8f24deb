"""Reading and writing the store. Every function that a route calls takes ``tenant_id`` and filters on it.

A row of another tenant is indistinguishable from a missing one: both give
``None``, which the routes turn into 404.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from cachetools import LRUCache
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.solving.cached import cells
from api.store.db import ApiKey, IdempotencyRecord, JobRow, ResultRow, ScenarioRow, Tenant, new_id, utcnow
from optimizer import Scenario, canonical_json, scenario_hash

# -- tenants and keys ----------------------------------------------------------


def get_or_create_tenant(session: Session, name: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        tenant = Tenant(id=new_id("tn"), name=name)
        session.add(tenant)
        session.flush()
    return tenant


def add_key(session: Session, tenant: Tenant, key_id: str, key_hash: str, label: str = "") -> ApiKey:
    row = ApiKey(id=key_id, tenant_id=tenant.id, key_hash=key_hash, label=label)
    session.add(row)
    session.flush()
    return row


def active_key(session: Session, key_id: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)))


def list_keys(session: Session) -> list[tuple[ApiKey, Tenant]]:
    rows = session.execute(select(ApiKey, Tenant).join(Tenant, Tenant.id == ApiKey.tenant_id).order_by(Tenant.name, ApiKey.created_at))
    return [(k, t) for k, t in rows]


def revoke_key(session: Session, key_id: str) -> bool:
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


# -- scenarios -------------------------------------------------------------------


def create_scenario(session: Session, tenant_id: str, scenario: Scenario, parent_id: str | None) -> ScenarioRow:
    row = ScenarioRow(
        id=new_id("sc"),
        tenant_id=tenant_id,
        name=scenario.name,
        scenario_hash=scenario_hash(scenario),
        canonical_json=canonical_json(scenario, with_solver=True),
        parent_id=parent_id,
        cells=cells(scenario),
        is_mip=scenario.is_mip,
    )
    session.add(row)
    session.flush()
    return row


def get_scenario(session: Session, tenant_id: str, scenario_id: str) -> ScenarioRow | None:
    return session.scalar(select(ScenarioRow).where(ScenarioRow.id == scenario_id, ScenarioRow.tenant_id == tenant_id))


def list_scenarios(session: Session, tenant_id: str, limit: int, offset: int) -> tuple[list[ScenarioRow], int]:
    where = ScenarioRow.tenant_id == tenant_id
    total = session.scalar(select(func.count()).select_from(ScenarioRow).where(where)) or 0
    rows = session.scalars(
        select(ScenarioRow).where(where).order_by(ScenarioRow.created_at.desc(), ScenarioRow.id).limit(limit).offset(offset)
    )
    return list(rows), int(total)


# -- results ---------------------------------------------------------------------


def save_result(session: Session, tenant_id: str, digest: str, solver: str, text: str, status: str) -> None:
    """Insert or replace the tenant's result for (hash, solver options); safe under concurrent writers."""
    for _ in range(2):
        row = session.scalar(
            select(ResultRow).where(ResultRow.tenant_id == tenant_id, ResultRow.scenario_hash == digest, ResultRow.solver_key == solver)
        )
        if row is not None:
            if row.result_json != text:
                row.result_json, row.status, row.created_at = text, status, utcnow()
            session.commit()
            return
        try:
            session.add(ResultRow(tenant_id=tenant_id, scenario_hash=digest, solver_key=solver, result_json=text, status=status))
            session.commit()
            return
        except IntegrityError:  # a concurrent twin inserted it first: update that row instead
            session.rollback()
    raise RuntimeError("could not store the result")  # pragma: no cover


class StoredResults:
    """What this process has stored: (tenant, hash, solver key) -> a fingerprint of the result text it stored.

    A cache hit of a tenant that already has that very result then needs no
    database round trip (the row exists and rows are never deleted); a
    different text (a re-solve after the cache expired) is stored again.
    """

    def __init__(self, max_entries: int = 100_000):
        self._seen: LRUCache[tuple[str, str, str], tuple[int, int]] = LRUCache(max_entries)
        self._guard = threading.Lock()

    @staticmethod
    def fingerprint(text: str) -> tuple[int, int]:
        return len(text), hash(text)  # within one process: the texts come from the service's own cache, not from clients

    def known(self, key: tuple[str, str, str], text: str) -> bool:
        with self._guard:
            return self._seen.get(key) == self.fingerprint(text)

    def remember(self, key: tuple[str, str, str], text: str) -> None:
        with self._guard:
            self._seen[key] = self.fingerprint(text)


def keep_result(
    sessions: Callable[[], Session],
    stored: StoredResults,
    tenant_id: str,
    digest: str,
    solver: str,
    text: str,
    status: Callable[[str], str],
) -> None:
    """``save_result``, skipped when this process already stored this very text for this tenant."""
    key = (tenant_id, digest, solver)
    if stored.known(key, text):
        return
    with sessions() as session:
        save_result(session, tenant_id, digest, solver, text, status(text))
    stored.remember(key, text)


def get_result(session: Session, tenant_id: str, digest: str, solver: str | None) -> ResultRow | None:
    query = select(ResultRow).where(ResultRow.tenant_id == tenant_id, ResultRow.scenario_hash == digest)
    if solver:
        query = query.where(ResultRow.solver_key == solver)
    return session.scalar(query.order_by(ResultRow.created_at.desc()).limit(1))


# -- jobs --------------------------------------------------------------------------


def get_job(session: Session, tenant_id: str, job_id: str) -> JobRow | None:
    return session.scalar(select(JobRow).where(JobRow.id == job_id, JobRow.tenant_id == tenant_id))


def list_jobs(session: Session, tenant_id: str, limit: int, offset: int) -> list[JobRow]:
    return list(
        session.scalars(
            select(JobRow).where(JobRow.tenant_id == tenant_id).order_by(JobRow.created_at.desc(), JobRow.id).limit(limit).offset(offset)
        )
    )


def job_counts(session: Session) -> dict[str, int]:
    return {status: int(n) for status, n in session.execute(select(JobRow.status, func.count()).group_by(JobRow.status))}


# -- idempotency ---------------------------------------------------------------------


def forget_old_idempotency_records(session: Session, ttl_seconds: int) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - timedelta(seconds=ttl_seconds)))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
