"""The boards' pages: sign in, list and upload scenarios, solve, read the answer, edit, run the frontier.

Every page works on the service's own functions (the store's ``crud``, the
solving plan and cache, the job states), exactly as the ``/v1`` routes call
them, so an answer on the page is the API's answer. Every changing form is a
POST carrying the session's CSRF token; a scenario of another tenant is 404.
"""

from __future__ import annotations

import json
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
from api.solving.cached import plan, result_status, solve_cached
from api.store import crud
from api.store.db import ScenarioRow
from api.web import view
from api.web.session import Session, Sessions, csrf_ok
from optimizer import Problem, Scenario, ScenarioError, charts, form_of, load_data, load_scenario

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

#: Only the service's own origin; no inline script or style; vega runs with its interpreter (no eval).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                    "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
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
    return _page(request, "error.html", session, 403, title="This form has expired",
                 message="The form was not sent from this page (its security token did not match). Go back, reload the page and try again.")


def _not_found(request: Request, session: Session) -> HTMLResponse:
    return _page(request, "error.html", session, 404, title="Page not found",
                 message="There is no such scenario for your partnership. Go back to your scenarios and pick one from the list.")


def _row(request: Request, session: Session, scenario_id: str) -> ScenarioRow | None:
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        row = crud.get_scenario(db, session.tenant_id, scenario_id)
        if row is not None:
            db.expunge(row)
        return row


# -- signing in and out ---------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    session = _board(request)
    if not session.signed_in:
        return _page(request, "sign_in.html", session, title="Sign in")
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        rows, total = crud.list_scenarios(db, session.tenant_id, 200, 0)
        items = [{"id": r.id, "name": r.name, "parent_id": r.parent_id, "created": r.created_at.strftime("%d %b %Y %H:%M"),
                  "place": _place(r)} for r in rows]
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
        error = ("Enter your partnership's key" if not key else
                 "This key is not valid: check it was copied whole (it starts tp_), or ask your operator for a new one")
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
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    row = _row(request, session, scenario_id)
    if row is None:
        return _not_found(request, session)
    assert session.tenant_id is not None
    ctx = _ctx(request)
    doc = json.loads(row.canonical_json)
    names = view.names_of(doc)
    with ctx.db.session() as db:
        found = crud.get_result(db, session.tenant_id, row.scenario_hash, None)
        result = json.loads(found.result_json) if found is not None else None
        job_view = _job_view(ctx, db, session.tenant_id, job) if job else None
    values: dict[str, Any] = {"row": row, "doc": doc, "names": names, "result": result, "job": job_view,
                              "cwf": view.cwf_text(doc), "budgets": _budgets(doc)}
    if result is not None and result.get("summary"):
        years, pools = view.pool_years(result, names)
        values |= {"headline": view.headline(result), "who_pays": view.who_pays(result, names), "years": years, "pools": pools,
                   "deciles": view.deciles(result, doc), "interventions": view.interventions(result, doc),
                   "charts": json.dumps(view.charts_of(result, doc, names)),
                   "has_range": bool((result["summary"] or {}).get("pool_spending_range"))}
    elif result is not None:
        values["headline"] = view.headline(result)
    return _page(request, "scenario.html", session, title=row.name, **values)


def _budgets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": p["id"], "name": p["name"], "years": [{"year": t + 1, "value": f"{float(b):.2f}"} for t, b in enumerate(p["budget"])]}
            for p in doc.get("pools", [])]


def _job_view(ctx: Context, db: Any, tenant_id: str, job_id: str) -> dict[str, Any] | None:
    row = crud.get_job(db, tenant_id, job_id)
    if row is None:
        return None
    jobs.reap(ctx.db, ctx.queue, ctx.settings, job_id)
    db.expire_all()
    row = crud.get_job(db, tenant_id, job_id)
    assert row is not None
    report = json.loads(row.report_json) if row.report_json else None
    out: dict[str, Any] = {"id": row.id, "kind": row.kind, "status": row.status, "stage": row.stage,
                           "percent": round(100 * float(row.progress or 0.0)), "report": report, "error": row.error}
    if report and row.kind == "frontier":
        out["points"] = [{"share": p["min_share"], "share_text": f"{p['min_share']:.1%}", "objective": view.money(p["objective"]),
                          "status": p["status"]} for p in report.get("points", [])]
        out["chart"] = json.dumps({"frontier": charts.frontier_spec(
            report.get("points", []), min_share=float(report.get("min_share", 0.0)))})
    return out


@router.post("/scenarios/{scenario_id}/solve")
def solve_page(request: Request, scenario_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    if not csrf_ok(session, csrf):
        return _refused(request, session)
    row = _row(request, session, scenario_id)
    if row is None:
        return _not_found(request, session)
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
        return _redirect(f"/scenarios/{row.id}#answer", {"Server-Timing": f"solve;dur={1000 * (time.perf_counter() - started):.1f}"})
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
        return _page(request, "error.html", session, 503, title="Jobs are unavailable",
                     message="The job queue is not answering, so this cannot run now. Try again in a minute.")
    return _redirect(f"/scenarios/{row.id}?job={job_id}")


@router.post("/scenarios/{scenario_id}/versions")
async def new_version(request: Request, scenario_id: str) -> Response:
    """Save a new version from the edit form (budgets, CWF share) or a frontier point (``min_share``), then solve it."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    form = await request.form()
    if not csrf_ok(session, str(form.get("csrf", ""))):
        return _refused(request, session)
    row = _row(request, session, scenario_id)
    if row is None:
        return _not_found(request, session)
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
    ctx = _ctx(request)
    try:
        if problems:
            raise ScenarioError(problems)
        scenario = parse_within_limits(doc, ctx.settings.max_cells)
    except ScenarioError as exc:
        return _page(request, "error.html", session, 422, title="This version cannot be saved",
                     message="Fix these and try again:", problems=[{"loc": p.loc, "msg": p.msg} for p in exc.problems])
    new_id = _store(request, session, scenario, row.id)
    new_row = _row(request, session, new_id)
    assert new_row is not None
    return await run_in_threadpool(_solve, request, session, new_row)


#: What the page runs as the API's analysis jobs, with these options (validated by the API's own option models).
PAGE_ANALYSES: dict[str, dict[str, Any]] = {"frontier": {"points": 11}, "split": {}, "sensitivity": {}, "montecarlo": {"samples": 100, "seed": 0}}


@router.post("/scenarios/{scenario_id}/analyses/{kind}")
def analysis_page(request: Request, scenario_id: str, kind: str, csrf: Annotated[str, Form()] = "") -> Response:
    """The frontier, the fair split, the sensitivity or the Monte Carlo, as the API's analysis job; the page follows its progress."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    if not csrf_ok(session, csrf):
        return _refused(request, session)
    row = _row(request, session, scenario_id)
    if row is None or kind not in PAGE_ANALYSES:
        return _not_found(request, session)
    assert session.tenant_id is not None
    options = analyses.OPTIONS[kind].model_validate(PAGE_ANALYSES[kind]).model_dump(mode="json")
    with _ctx(request).db.session() as db:
        job = jobs.create_analysis(db, session.tenant_id, row, kind, options)
        db.commit()
        job_id = job.id
    return _enqueue(request, session, row, job_id)


@router.get("/scenarios/{scenario_id}/allocations.csv")
def allocations_csv(request: Request, scenario_id: str) -> Response:
    return _download(request, scenario_id, "csv")


@router.get("/scenarios/{scenario_id}/result.json")
def result_json(request: Request, scenario_id: str) -> Response:
    return _download(request, scenario_id, "json")


def _download(request: Request, scenario_id: str, kind: str) -> Response:
    """The API's own result responses (``/v1/results/{hash}`` and its CSV), for the signed-in board."""
    session = _board(request)
    if not session.signed_in:
        return _redirect("/")
    row = _row(request, session, scenario_id)
    if row is None:
        return _not_found(request, session)
    assert session.tenant_id is not None
    with _ctx(request).db.session() as db:
        if crud.get_result(db, session.tenant_id, row.scenario_hash, None) is None:
            return _page(request, "error.html", session, 404, title="No answer yet", message="Solve the scenario first.")
        if kind == "csv":
            response = result_routes.get_allocations_csv(row.scenario_hash, db, session.tenant_id, None)
        else:
            response = result_routes.get_result(row.scenario_hash, db, session.tenant_id, None)
            response.headers["Content-Disposition"] = f'attachment; filename="result-{row.scenario_hash[:12]}.json"'
    response.headers.update(SECURITY_HEADERS)
    return response
