"""totalplace's HTTP service: the web layer over the optimisation core (docs/api.md).

    app.py         create_app(settings): the one place that wires the rooms below, the routers and the middleware
    settings.py    one Settings (TOTALPLACE_*), cached get_settings()
    context.py     the components built from it: store, cache, queue, limiter, key cache, metrics
    store/         the database: SQLAlchemy models and JobStatus (db), tenant-scoped reads and writes (crud), migrations
    solving/       the result cache (Redis or in-process, single flight, fails open) and one cached solve
    jobs/          job states and the reaper (states), queues (RQ or threads, with the analyses' fan-out),
                   one attempt (runner), analyses, what an RQ work horse runs (worker)
    edge/          the request edge: API keys and their cache (auth), rate limit, idempotency, limits,
                   the cache-hit fast path, middleware (request ids, body limit), error bodies
    routes/        /v1/solve, /v1/scenarios, /v1/jobs, /v1/results, /healthz, /readyz, /metrics
    metrics.py     Prometheus instruments
    cli.py         totalplace serve | worker | keys | db

Job code is handed what it needs (a database, settings, a queue), never the
whole context, so that no module of the service imports one that imports it.
The core (``optimizer/``) imports nothing from here.
"""
