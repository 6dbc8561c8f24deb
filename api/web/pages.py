"""The boards' pages: sign in, list and upload scenarios, solve, read the answer, edit, run the frontier.

Every page works on the service's own functions (the store's ``crud``, the
solving plan and cache, the job states), exactly as the ``/v1`` routes call
them, so an answer on the page is the API's answer. Every changing form is a
POST carrying the session's CSRF token; a scenario of another tenant is 404.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.context import Context
from api.edge.auth import authenticate, key_id_of
from api.edge.limits import parse_within_limits
from api.jobs import analyses
from api.jobs import states as jobs
from api.jobs.queues import QueueUnavailable
from api.routes import results as result_routes
from api.routes.compare import SYNC_FACTOR
from api.solving.cached import plan, result_status, solve_cached
from api.store import crud
from api.store.db import ScenarioRow
from api.web import place_form, view
from api.web.session import Session, Sessions, csrf_ok
from optimizer import (
    AnalysisError,
    Problem,
    Scenario,
    ScenarioError,
    appraisal,
    appraise,
    charts,
    form_of,
    load_data,
    load_scenario,
    maps,
    report,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

#: Only the service's own origin; no inline script or style; vega runs with its interpreter (no eval).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
UPLOAD_FORMS = ("json", "yaml", "xlsx")
MAX_UPLOAD_BYTES = 16 * 1024 * 1024


def _ctx(request: Request) -> Context:
    return request.app.state.ctx  # type: ignore[no-any-return]


def _sessions(request: Request) -> Sessions:
    return request.app.state.web_sessions  # type: ignore[no-any-return]


def _board(request: Request) -> Session:
    """The session; signed out when the key it was made with has been revoked since."""
    session = _sessions(request).read(request)
    if session.signed_in and session.key_id is not None:
        with _ctx(request).db.session() as db:
            row = crud.active_key(db, session.key_id)
        if row is None or row.tenant_id != session.tenant_id:
            return Session(session.csrf)
    return session


def _page(request: Request, name: str, session: Session, status: int = 200, **values: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, {"session": session, "money": view.money, **values}, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    if session.fresh:
        _sessions(request).write(request, response, session)
    return response


def _redirect(url: str, headers: dict[str, str] | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(SECURITY_HEADERS | (headers or {}))
    return response


def _refused(request: Request, session: Session) -> HTMLResponse:
    return _page(
        request,
        "error.html",
        session,
        403,
        title="This form has expired",
        message="The form was not sent from this page (its security token did not match). Go back, reload the page and try again.",
    )


def _not_found(request: Request, session: Session) -> HTMLResponse:
    return _page(
        request,
        "error.html",
        session,
        404,
        title="Page not found",
        message="There is no such scenario for your partnership. Go back to your scenarios and pick one from the list.",
    )


def _row(request: Request, session: Session, scenario_id: str) -> ScenarioRow | None:
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        row = crud.get_scenario(db, session.tenant_id, scenario_id)
        if row is not None:
            db.expunge(row)
        return row


def _board_and_row(request: Request, scenario_id: str, csrf: str | None = None) -> tuple[Session, ScenarioRow] | Response:
    """The signed-in board's session and its scenario ``scenario_id``, or the response to return instead: the way to sign in
    (signed out), the refused form (``csrf`` given, for a changing form, and not the session's token), or 404 (not this
    tenant's scenario, or no such scenario)."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    if csrf is not None and not csrf_ok(session, csrf):
        return _refused(request, session)
    row = _row(request, session, scenario_id)
    if row is None:
        return _not_found(request, session)
    return session, row


# -- signing in and out ---------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    session = _board(request)
    if not session.signed_in:
        return _page(request, "sign_in.html", session, title="Sign in")
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        rows, total = crud.list_scenarios(db, session.tenant_id, 200, 0)
        items = [
            {"id": r.id, "name": r.name, "parent_id": r.parent_id, "created": r.created_at.strftime("%d %b %Y %H:%M"), "place": _place(r)}
            for r in rows
        ]
    return _page(request, "home.html", session, title="Your scenarios", items=items, total=total)


def _place(row: ScenarioRow) -> str:
    try:
        areas = json.loads(row.canonical_json).get("areas", [])
    except ValueError:
        return ""
    return f"{len(areas)} neighbourhood{'s' if len(areas) != 1 else ''}"


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, key: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    session = _sessions(request).read(request)
    if not csrf_ok(session, csrf):
        return _refused(request, session)
    key = key.strip()
    with _ctx(request).db.session() as db:
        tenant_id = authenticate(db, key)
    key_id = key_id_of(key)
    if tenant_id is None or key_id is None:
        error = (
            "Enter your partnership's key"
            if not key
            else "This key is not valid: check it was copied whole (it starts tp_), or ask your operator for a new one"
        )
        return _page(request, "sign_in.html", session, 401, title="Sign in", error=error)
    response = _redirect("/")
    _sessions(request).write(request, response, Sessions.signed_in(tenant_id, key_id))
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    session = _sessions(request).read(request)
    if not csrf_ok(session, csrf):
        return _refused(request, session)
    response = _redirect("/")
    Sessions.clear(request, response)
    return response


# -- new scenarios ------------------------------------------------------------------------


@router.get("/scenarios/new", response_class=HTMLResponse)
def new_scenario(request: Request) -> Response:
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    return _page(request, "new.html", session, title="Upload a scenario")


@router.post("/scenarios/new", response_class=HTMLResponse)
async def upload_scenario(request: Request, scenario_file: UploadFile | None = None, csrf: Annotated[str, Form()] = "") -> Response:
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    if not csrf_ok(session, csrf):
        return _refused(request, session)
    data = await scenario_file.read(MAX_UPLOAD_BYTES + 1) if scenario_file is not None else b""
    name = (scenario_file.filename or "") if scenario_file is not None else ""
    problems = _file_problems(name, data)
    scenario = None
    if not problems:
        try:
            scenario = await run_in_threadpool(_read_upload, _ctx(request), name, data)
        except ScenarioError as exc:
            problems = [{"loc": p.loc or "/", "msg": p.msg} for p in exc.problems]
    if scenario is None:
        return _page(request, "new.html", session, 422, title="Upload a scenario", problems=problems, filename=name)
    row_id = _store(request, session, scenario, None)
    return _redirect(f"/scenarios/{row_id}")


def _place_page(request: Request, session: Session, values: dict[str, Any], problems: list[Problem] | None = None) -> HTMLResponse:
    summary, by_field = place_form.located(problems or [], [p["id"] for p in place_form.pools()])
    return _page(
        request,
        "new_place.html",
        session,
        422 if problems else 200,
        title="Build a scenario for a place",
        values=values,
        problems=summary,
        errors=by_field,
        groups=place_form.place_groups(),
        vintages=place_form.VINTAGES,
        years=place_form.YEARS,
        pools=place_form.pools(),
        library=place_form.interventions(),
    )


@router.get("/scenarios/new/place", response_class=HTMLResponse)
def new_place(request: Request) -> Response:
    """The form for a new scenario from a place of the shipped geography (``totalplace scenario build``)."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    return _place_page(request, session, place_form.defaults())


@router.post("/scenarios/new/place", response_class=HTMLResponse)
async def build_place(request: Request) -> Response:
    """Build the scenario the form describes; every problem next to its field, in the validator's words; else store it and show it."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    form = await request.form()
    if not csrf_ok(session, str(form.get("csrf", ""))):
        return _refused(request, session)
    values = place_form.values_of(form, [str(v) for v in form.getlist("interventions")])
    ctx = _ctx(request)
    doc, problems = await run_in_threadpool(place_form.build, values)
    scenario = None
    if doc is not None:
        try:
            scenario = parse_within_limits(doc, ctx.settings.max_cells)
        except ScenarioError as exc:
            problems = list(exc.problems)
    if scenario is None:
        return _place_page(request, session, values, problems)
    return _redirect(f"/scenarios/{_store(request, session, scenario, None)}")


def _file_problems(name: str, data: bytes) -> list[dict[str, str]]:
    if not name or not data:
        return [{"loc": "file", "msg": "Choose a scenario file (.json, .yaml, .yml or .xlsx)"}]
    if len(data) > MAX_UPLOAD_BYTES:
        return [{"loc": "file", "msg": f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: split the scenario"}]
    try:
        form = form_of(name)
    except ValueError as exc:
        return [{"loc": "file", "msg": str(exc)}]
    if form not in UPLOAD_FORMS:
        return [{"loc": "file", "msg": f"A {form} scenario cannot be uploaded here: use .json, .yaml, .yml or .xlsx"}]
    return []


def _read_upload(ctx: Context, name: str, data: bytes) -> Scenario:
    """The uploaded file read as the CLI reads a file (``optimizer.forms``), then checked within the service's limits."""
    suffix = {"json": ".json", "yaml": ".yaml", "xlsx": ".xlsx"}[form_of(name)]
    with tempfile.TemporaryDirectory(prefix="totalplace-upload-") as folder:
        path = Path(folder) / f"scenario{suffix}"
        path.write_bytes(data)
        doc = load_data(path)
        try:
            return parse_within_limits(doc, ctx.settings.max_cells)
        except ScenarioError:
            if suffix == ".xlsx":  # the sheet and cell of each problem, as the CLI says them
                load_scenario(path)
            raise


def _store(request: Request, session: Session, scenario: Scenario, parent_id: str | None) -> str:
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        row = crud.create_scenario(db, session.tenant_id, scenario, parent_id)
        db.commit()
        return row.id


# -- a scenario's page ----------------------------------------------------------------------


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
def scenario_page(request: Request, scenario_id: str, job: str | None = None) -> Response:
    started = time.perf_counter()
    board = _board_and_row(request, scenario_id)
    if isinstance(board, Response):
        return board
    session, row = board
    response = _scenario_view(request, session, row, job=job)
    response.headers["Server-Timing"] = _timing("page", started)
    return response


def _scenario_view(
    request: Request,
    session: Session,
    row: ScenarioRow,
    *,
    job: str | None = None,
    status: int = 200,
    problems: list[Problem] | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    """The scenario's page; with ``problems``, the "What if?" form refused (422), each problem next to its field, what
    the board typed (``entered``, field -> text) kept in the fields."""
    assert session.tenant_id is not None
    ctx = _ctx(request)
    doc = json.loads(row.canonical_json)
    names = view.names_of(doc)
    with ctx.db.session() as db:
        found = crud.get_result(db, session.tenant_id, row.scenario_hash, None)
        result = json.loads(found.result_json) if found is not None else None
        job_view = _job_view(ctx, db, session.tenant_id, job) if job else None
    values: dict[str, Any] = {
        "row": row,
        "doc": doc,
        "names": names,
        "result": result,
        "job": job_view,
        "cwf": view.cwf_text(doc),
        "budgets": _budgets(doc),
        "labels": {iv["id"]: iv["name"] for iv in doc.get("interventions", [])}
        | {a["id"]: a.get("name") or a["id"] for a in doc.get("areas", [])},
    }
    if result is not None and result.get("summary"):
        years, pools = view.pool_years(result, names)
        banded = view.responses(result, doc)
        values |= {
            "responses": banded,
            "headline": view.headline(result),
            "who_pays": view.who_pays(result, names),
            "years": years,
            "pools": pools,
            "deciles": view.deciles(result, doc),
            "interventions": view.interventions(result, doc),
            "area_map": view.area_map(result, doc),
            "charts": view.script_json(view.charts_of(result, doc, names, banded)),
            "has_range": bool((result["summary"] or {}).get("pool_spending_range")),
        }
    elif result is not None:
        values["headline"] = view.headline(result)
    values["history"] = _history(request, session, row)
    summary, by_field = _what_if_located(problems or [], doc)
    return _page(
        request, "scenario.html", session, status, title=row.name, problems=summary, errors=by_field, entered=entered or {}, **values
    )


#: The "What if?" form's fields of a commitment, by the key of policy.commitments[n] a problem names
COMMITMENT_FIELDS = ("intervention", "area", "year", "min_spend")


def _what_if_located(problems: list[Problem], doc: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """The "What if?" form's problems for its error summary (field, pointer, message) and by field (next to each).

    /pools/{p}/budget/{t} is the budget field of that pool and year, /policy/community_wealth_fund/... the share,
    /policy/commitments/{n}/{key} the new commitment's field; anything else goes to the form's heading."""
    pools = [p["id"] for p in doc.get("pools", [])]
    summary: list[dict[str, str]] = []
    by_field: dict[str, list[str]] = {}
    for p in problems:
        parts = [x for x in p.loc.split("/") if x]
        field = "what-if"
        if len(parts) >= 4 and parts[0] == "pools" and parts[2] == "budget" and parts[1].isdigit() and int(parts[1]) < len(pools):
            field = f"budget-{pools[int(parts[1])]}-{int(parts[3]) + 1}"
        elif parts[:2] == ["policy", "community_wealth_fund"]:
            field = "min_share"
        elif parts[:2] == ["policy", "commitments"]:
            key = parts[3] if len(parts) > 3 and parts[3] in COMMITMENT_FIELDS else "intervention"
            field = f"commitment-{key}"
        summary.append({"field": field, "loc": p.loc, "msg": p.msg})
        by_field.setdefault(field, []).append(p.msg)
    return summary, by_field


def _timing(name: str, started: float) -> str:
    """A ``Server-Timing`` entry: what the service spent on this response (the page benchmark splits the browser's time with it)."""
    return f"{name};dur={1000 * (time.perf_counter() - started):.1f}"


def _budgets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": p["id"], "name": p["name"], "years": [{"year": t + 1, "value": f"{float(b):.2f}"} for t, b in enumerate(p["budget"])]}
        for p in doc.get("pools", [])
    ]


def _job_view(ctx: Context, db: Any, tenant_id: str, job_id: str) -> dict[str, Any] | None:
    row = crud.get_job(db, tenant_id, job_id)
    if row is None:
        return None
    jobs.reap(ctx.db, ctx.queue, ctx.settings, job_id)
    db.expire_all()
    row = crud.get_job(db, tenant_id, job_id)
    assert row is not None
    report = json.loads(row.report_json) if row.report_json else None
    out: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "stage": row.stage,
        "percent": round(100 * float(row.progress or 0.0)),
        "report": report,
        "error": row.error,
    }
    if report and row.kind == "frontier":
        out["points"] = [
            {"share": p["min_share"], "share_text": f"{p['min_share']:.1%}", "objective": view.money(p["objective"]), "status": p["status"]}
            for p in report.get("points", [])
        ]
        out["chart"] = view.script_json(
            {"frontier": charts.frontier_spec(report.get("points", []), min_share=float(report.get("min_share", 0.0)))}
        )
    return out


@router.post("/scenarios/{scenario_id}/solve")
def solve_page(request: Request, scenario_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    board = _board_and_row(request, scenario_id, csrf)
    if isinstance(board, Response):
        return board
    session, row = board
    return _solve(request, session, row)


def _solve(request: Request, session: Session, row: ScenarioRow) -> Response:
    """As ``POST /v1/scenarios/{id}/solve``: at once when small (through the cache), else a job the page follows."""
    assert session.tenant_id is not None
    ctx, s = _ctx(request), _ctx(request).settings
    scenario = parse_within_limits(json.loads(row.canonical_json), s.max_cells)
    started = time.perf_counter()
    if row.cells <= s.sync_max_cells:
        p = plan(scenario, ctx.cache, s.sync_time_limit)
        text, _ = solve_cached(p, ctx.cache, ctx.metrics, mode="sync")
        crud.keep_result(ctx.db.session, ctx.stored, session.tenant_id, p.scenario_hash, p.solver_key, text, result_status)
        return _redirect(f"/scenarios/{row.id}#answer", {"Server-Timing": _timing("solve", started)})
    p = plan(scenario, ctx.cache, s.job_time_limit)
    with ctx.db.session() as db:
        job = jobs.create(db, session.tenant_id, row, p)
        db.commit()
        job_id = job.id
    return _enqueue(request, session, row, job_id)


def _enqueue(request: Request, session: Session, row: ScenarioRow, job_id: str) -> Response:
    try:
        ctx = _ctx(request)
        jobs.enqueue(ctx.db, ctx.queue, job_id, 1)
    except QueueUnavailable:
        return _page(
            request,
            "error.html",
            session,
            503,
            title="Jobs are unavailable",
            message="The job queue is not answering, so this cannot run now. Try again in a minute.",
        )
    return _redirect(f"/scenarios/{row.id}?job={job_id}")


@router.post("/scenarios/{scenario_id}/versions")
async def new_version(request: Request, scenario_id: str) -> Response:
    """Save a new version from the edit form (budgets, CWF share) or a frontier point (``min_share``), then solve it."""
    form = await request.form()
    board = _board_and_row(request, scenario_id, str(form.get("csrf", "")))
    if isinstance(board, Response):
        return board
    session, row = board
    doc = json.loads(row.canonical_json)
    problems: list[Problem] = []
    for p, pool in enumerate(doc.get("pools", [])):
        for t in range(len(pool["budget"])):
            raw = form.get(f"budget-{pool['id']}-{t + 1}")
            if raw is None:
                continue
            try:
                pool["budget"][t] = float(str(raw).replace(",", "").replace("£", "").strip())
            except ValueError:
                problems.append(Problem(f"/pools/{p}/budget/{t}", f"{raw!r} is not an amount: give pounds, such as 250000"))
    share = form.get("min_share")
    if share is not None:
        try:
            value = float(str(share).strip().rstrip("%"))
            doc["policy"]["community_wealth_fund"]["min_share"] = value / 100 if form.get("share_unit") == "percent" else value
        except ValueError:
            problems.append(Problem("/policy/community_wealth_fund/min_share", f"{share!r} is not a number: give a percentage, such as 40"))
    if form.get("name"):
        doc["name"] = str(form.get("name"))[:200]
    problems += _commitments(form, doc)
    ctx = _ctx(request)
    try:
        if problems:
            raise ScenarioError(problems)
        scenario = parse_within_limits(doc, ctx.settings.max_cells)
    except ScenarioError as exc:
        entered = {str(k): str(v) for k, v in form.items() if k != "csrf" and isinstance(v, str)}
        return await run_in_threadpool(_scenario_view, request, session, row, status=422, problems=exc.problems, entered=entered)
    new_id = _store(request, session, scenario, row.id)
    new_row = _row(request, session, new_id)
    assert new_row is not None
    return await run_in_threadpool(_solve, request, session, new_row)


def _commitments(form: Any, doc: dict[str, Any]) -> list[Problem]:
    """docs/model.md 2.3 from the "What if?" form: remove the commitments ticked, add the one filled in (a version 2 scenario).

    The new one is ``commitment-intervention`` (required with an amount), ``commitment-area`` and ``commitment-year``
    (blank: anywhere, any year) and ``commitment-min_spend`` in pounds; problems point at the field of the scenario."""
    policy = doc.setdefault("policy", {})
    kept = [c for j, c in enumerate(policy.get("commitments") or []) if not form.get(f"remove-commitment-{j}")]
    problems: list[Problem] = []
    iv = str(form.get("commitment-intervention") or "").strip()
    raw = str(form.get("commitment-min_spend") or "").replace(",", "").replace("£", "").strip()
    at = f"/policy/commitments/{len(kept)}"
    if iv or raw:
        new: dict[str, Any] = {"intervention": iv}
        if not iv:
            problems.append(Problem(f"{at}/intervention", "choose the intervention the board has committed to"))
        try:
            new["min_spend"] = float(raw)
        except ValueError:
            problems.append(
                Problem(
                    f"{at}/min_spend",
                    f"{raw!r} is not an amount: give the least spending in pounds, such as 250000"
                    if raw
                    else "give the least the board has committed to spend, in pounds, such as 250000",
                )
            )
        area = str(form.get("commitment-area") or "").strip()
        if area:
            new["area"] = area
        year = str(form.get("commitment-year") or "").strip()
        if year:
            try:
                new["year"] = int(year)
            except ValueError:
                problems.append(Problem(f"{at}/year", f"{year!r} is not a year of the plan: choose one, or any year"))
        kept.append(new)
    if kept or policy.get("commitments"):
        policy["commitments"] = kept
        doc["schema_version"] = max(2, int(doc.get("schema_version", 1)))
    if not kept:
        policy.pop("commitments", None)
    return problems


#: What the page runs as the API's analysis jobs, with these options (validated by the API's own option models).
PAGE_ANALYSES: dict[str, dict[str, Any]] = {
    "frontier": {"points": 11},
    "split": {},
    "sensitivity": {},
    "montecarlo": {"samples": 100, "seed": 0},
    "residents": {},
}


@router.post("/scenarios/{scenario_id}/analyses/{kind}")
def analysis_page(
    request: Request,
    scenario_id: str,
    kind: str,
    csrf: Annotated[str, Form()] = "",
    vote_commitments: Annotated[int, Form(ge=0, le=10_000)] = 0,
) -> Response:
    """The frontier, the fair split, the sensitivity, the Monte Carlo or what honouring residents costs, as the API's
    analysis job; the page follows its progress. ``vote_commitments`` (residents only): how many of the scenario's
    commitments, counted from the last, came from a participatory vote (the select offers 0 to their number)."""
    board = _board_and_row(request, scenario_id, csrf)
    if isinstance(board, Response):
        return board
    session, row = board
    if kind not in PAGE_ANALYSES:
        return _not_found(request, session)
    assert session.tenant_id is not None
    asked = PAGE_ANALYSES[kind] | ({"vote_commitments": min(vote_commitments, len(_commitments_of(row)))} if kind == "residents" else {})
    options = analyses.OPTIONS[kind].model_validate(asked).model_dump(mode="json")
    with _ctx(request).db.session() as db:
        job = jobs.create_analysis(db, session.tenant_id, row, kind, options)
        db.commit()
        job_id = job.id
    return _enqueue(request, session, row, job_id)


def _commitments_of(row: ScenarioRow) -> list[Any]:
    return list((json.loads(row.canonical_json).get("policy") or {}).get("commitments") or [])


@router.get("/scenarios/{scenario_id}/allocations.csv")
def allocations_csv(request: Request, scenario_id: str) -> Response:
    return _download(request, scenario_id, "csv")


@router.get("/scenarios/{scenario_id}/result.json")
def result_json(request: Request, scenario_id: str) -> Response:
    return _download(request, scenario_id, "json")


@router.get("/scenarios/{scenario_id}/result.xlsx")
def result_xlsx(request: Request, scenario_id: str) -> Response:
    return _download(request, scenario_id, "xlsx")


@router.get("/scenarios/{scenario_id}/appraisal.{form}")
def appraisal_pack(request: Request, scenario_id: str, form: str) -> Response:
    """The appraisal pack of the stored answer, as ``totalplace appraisal SCENARIO --result RESULT`` writes it: the table (``.csv``)
    or the one-page report with its charts and map (``.html``, self-contained)."""
    board = _board_and_row(request, scenario_id)
    if isinstance(board, Response):
        return board
    session, row = board
    if form not in ("csv", "html"):
        return _not_found(request, session)
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        found = crud.get_result(db, session.tenant_id, row.scenario_hash, None)
        result = json.loads(found.result_json) if found is not None else None
    if result is None:
        return _page(request, "error.html", session, 404, title="No answer yet", message="Solve the scenario first.")
    scenario = parse_within_limits(json.loads(row.canonical_json), _ctx(request).settings.max_cells)
    try:
        pack = appraise(scenario, result)
    except AnalysisError as exc:
        return _page(request, "error.html", session, 409, title="No plan to appraise", message=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    stem = f"appraisal-{row.scenario_hash[:12]}"
    if form == "csv":
        body, media = appraisal.table(pack).to_csv(index=False), "text/csv; charset=utf-8"
    else:
        body, media = report.html_page(pack, *maps.pack_svg(scenario, result)), "text/html; charset=utf-8"
    response = Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{stem}.{form}"'})
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("/scenarios/{scenario_id}/map.json")
def map_json(request: Request, scenario_id: str) -> Response:
    """The map's Vega-Lite specification, boundaries inlined, for the page to draw once it has loaded (``app.js``)."""
    started = time.perf_counter()
    board = _board_and_row(request, scenario_id)
    if isinstance(board, Response):
        return board
    session, row = board
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        found = crud.get_result(db, session.tenant_id, row.scenario_hash, None)
        result = json.loads(found.result_json) if found is not None else None
    spec = view.map_spec(result, json.loads(row.canonical_json)) if result is not None else None
    if spec is None:
        return _page(
            request,
            "error.html",
            session,
            404,
            title="No map",
            message="Solve the scenario first; a map is drawn for "
            f"places of English neighbourhoods, up to {view.MAP_AREAS_DRAWN:,} of them.",
        )
    response = Response(json.dumps(spec, allow_nan=False), media_type="application/json")
    response.headers.update(SECURITY_HEADERS | {"Server-Timing": _timing("map", started)})
    return response


def _download(request: Request, scenario_id: str, kind: str) -> Response:
    """The API's own result responses (``/v1/results/{hash}``, its CSV and its workbook), for the signed-in board."""
    board = _board_and_row(request, scenario_id)
    if isinstance(board, Response):
        return board
    session, row = board
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        if crud.get_result(db, session.tenant_id, row.scenario_hash, None) is None:
            return _page(request, "error.html", session, 404, title="No answer yet", message="Solve the scenario first.")
        if kind == "csv":
            response = result_routes.get_allocations_csv(row.scenario_hash, db, session.tenant_id, None)
        elif kind == "xlsx":
            response = result_routes.get_result_workbook(row.scenario_hash, db, session.tenant_id, None)
        else:
            response = result_routes.get_result(row.scenario_hash, db, session.tenant_id, None)
            response.headers["Content-Disposition"] = f'attachment; filename="result-{row.scenario_hash[:12]}.json"'
    response.headers.update(SECURITY_HEADERS)
    return response


# -- comparing two versions -----------------------------------------------------------------

#: versions listed in a scenario's history (its parent chain, and the versions made from it)
HISTORY_DEPTH = 50


def _history(request: Request, session: Session, row: ScenarioRow) -> list[dict[str, Any]]:
    """The versions a board can compare this one with: its earlier versions (parent chain, nearest first) and the versions made from it.

    Each entry names the comparison as A (the earlier version) and B (the later one), as ``totalplace compare A B`` does."""
    assert session.tenant_id is not None
    out: list[dict[str, Any]] = []
    with _ctx(request).db.session() as db:
        seen, parent_id = {row.id}, row.parent_id
        while parent_id and parent_id not in seen and len(seen) <= HISTORY_DEPTH:
            parent = crud.get_scenario(db, session.tenant_id, parent_id)
            if parent is None:
                break
            seen.add(parent.id)
            out.append(
                {
                    "id": parent.id,
                    "name": parent.name,
                    "created": parent.created_at.strftime("%d %b %Y %H:%M"),
                    "relation": "the version this one was made from"
                    if len(out) == 0
                    else f"an earlier version ({len(out) + 1} steps back)",
                    "a": parent.id,
                    "b": row.id,
                }
            )
            parent_id = parent.parent_id
        rows, _ = crud.list_scenarios(db, session.tenant_id, 200, 0)
        for child in rows:
            if child.parent_id == row.id:
                out.append(
                    {
                        "id": child.id,
                        "name": child.name,
                        "created": child.created_at.strftime("%d %b %Y %H:%M"),
                        "relation": "a version made from this one",
                        "a": row.id,
                        "b": child.id,
                    }
                )
    return out


def _compare_error(request: Request, session: Session, status: int, title: str, problems: list[str], **values: Any) -> HTMLResponse:
    return _page(request, "compare.html", session, status, title=title, errors=problems, **values)


def _pair(request: Request, session: Session, scenario_id: str, other_id: str) -> tuple[ScenarioRow, ScenarioRow] | HTMLResponse:
    """Both versions, the board's own; else a 404 page, as ``GET /v1/scenarios/{id}/compare/{other_id}`` answers 404."""
    a, b = _row(request, session, scenario_id), _row(request, session, other_id)
    if a is None or b is None:
        missing = [i for i, r in ((scenario_id, a), (other_id, b)) if r is None]
        return _compare_error(
            request,
            session,
            404,
            "Page not found",
            [f"There is no scenario {i} for your partnership: pick versions from your scenarios' history." for i in missing],
        )
    return a, b


#: what a version's id may look like in the "Compare two versions" form (the store's ids are sc_ and 32 hex digits)
VERSION_ID = re.compile(r"[A-Za-z0-9_]{1,64}")


@router.get("/scenarios/{scenario_id}/compare", response_class=HTMLResponse)
def choose_compare(request: Request, scenario_id: str, a: str = "", b: str = "") -> Response:
    """The "Compare two versions" form of a scenario's history (a GET: it changes nothing): on to the comparison of A with B."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    if not (VERSION_ID.fullmatch(a) and VERSION_ID.fullmatch(b)):
        return _compare_error(request, session, 422, "Compare two versions", ["Choose an earlier version (A) and a later version (B)."])
    return _redirect(f"/scenarios/{a}/compare/{b}")


@router.get("/scenarios/{scenario_id}/compare/{other_id}", response_class=HTMLResponse)
def compare_page(request: Request, scenario_id: str, other_id: str, job: str | None = None) -> Response:
    """What changed from version A to version B, and what each change cost or bought (the API's comparison report).

    A small pair is compared at once, as the API answers it with 200; a larger one is offered as a job (a POST with the
    CSRF token), which this page then follows (``?job=``), refreshing itself, or by its Refresh link without scripts."""
    from optimizer import AnalysisError, compare

    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    pair = _pair(request, session, scenario_id, other_id)
    if isinstance(pair, HTMLResponse):
        return pair
    a_row, b_row = pair
    assert session.tenant_id is not None
    ctx, s = _ctx(request), _ctx(request).settings
    doc_a, doc_b = json.loads(a_row.canonical_json), json.loads(b_row.canonical_json)
    values: dict[str, Any] = {"a_row": a_row, "b_row": b_row}
    title = "Compare two versions"
    report: dict[str, Any] | None = None
    if job:
        with ctx.db.session() as db:
            found = crud.get_job(db, session.tenant_id, job)
            options = json.loads(found.options_json or "{}") if found is not None else {}
            ours = found is not None and found.kind == "compare" and found.scenario_id == a_row.id and options.get("other_id") == b_row.id
            job_view = _job_view(ctx, db, session.tenant_id, job) if ours else None
        if job_view is None:
            return _compare_error(
                request,
                session,
                404,
                "Page not found",
                ["There is no such comparison for your partnership: start it again from the scenario's version history."],
                **values,
            )
        values["job"] = job_view
        if job_view["status"] == "finished" and job_view["report"]:
            report = job_view["report"]
        elif job_view["status"] == "failed":
            return _compare_error(request, session, 200, title, [f"The comparison failed: {job_view['error']}"], **values)
    else:
        try:
            a = parse_within_limits(doc_a, s.max_cells)
            b = parse_within_limits(doc_b, s.max_cells)
            tasks = compare.plan(a, b)
        except ScenarioError as exc:
            return _compare_error(request, session, 422, title, [f"{p.loc}: {p.msg}" for p in exc.problems], **values)
        except AnalysisError as exc:
            return _compare_error(request, session, 422, title, [str(exc)], **values)
        solves = 2 + sum(len(t.get("masks", [])) for t in tasks)
        if solves * max(a_row.cells, b_row.cells) <= SYNC_FACTOR * s.sync_max_cells:
            report = compare.combine(a, [compare.run_task(t) for t in tasks])
        else:
            values["start"] = {"solves": solves}
    if report is not None:
        values |= view.comparison(report, doc_a, doc_b)
        if values.get("structure"):
            values["errors"] = [values["structure"]]
    return _page(request, "compare.html", session, title=title, **values)


@router.post("/scenarios/{scenario_id}/compare/{other_id}")
def start_compare(request: Request, scenario_id: str, other_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    """Start a long comparison as the API's job of kind ``compare`` (A is the job's scenario, B named in its options)."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    if not csrf_ok(session, csrf):
        return _refused(request, session)
    pair = _pair(request, session, scenario_id, other_id)
    if isinstance(pair, HTMLResponse):
        return pair
    a_row, b_row = pair
    assert session.tenant_id is not None
    ctx = _ctx(request)
    with ctx.db.session() as db:
        job = jobs.create_analysis(
            db, session.tenant_id, a_row, "compare", {"other_id": b_row.id, "method": "auto", "orders": 200, "seed": 0}
        )
        db.commit()
        job_id = job.id
    try:
        jobs.enqueue(ctx.db, ctx.queue, job_id, 1)
    except QueueUnavailable:
        return _compare_error(
            request,
            session,
            503,
            "Jobs are unavailable",
            ["The job queue is not answering, so this comparison cannot run now. Try again in a minute."],
        )
    return _redirect(f"/scenarios/{a_row.id}/compare/{b_row.id}?job={job_id}")
