"""totalplace's HTTP service: the web layer over the optimisation core (docs/api.md).

    settings.py    one Settings (TOTALPLACE_*), cached get_settings()
    context.py     the components built from it: store, cache, queue, metrics
    db.py          SQLAlchemy models (tenants, api_keys, scenarios, jobs, results, idempotency_records)
    crud.py        tenant-scoped reads and writes
    auth.py        API keys (SHA-256 stored, constant-time compare)
    cache.py       result cache: Redis or in-process, single flight, fails open
    solving.py     effective solver options, cache key, one cached solve
    queues.py      where jobs wait: RQ, or threads in embedded mode
    jobs.py        job states in the database, and the reaper
    runner.py      one attempt of a job (what a worker runs)
    idempotency.py Idempotency-Key on POST
    errors.py      exceptions -> 401/404/409/413/422/500/503 bodies, never a stack trace
    middleware.py  request ids and latency, body size limit
    metrics.py     Prometheus instruments
    routes/        /v1/solve, /v1/scenarios, /v1/jobs, /v1/results, /healthz, /readyz, /metrics
    app.py         create_app(settings)
    cli.py         totalplace serve | worker | keys

The core (``optimizer/``) imports nothing from here.
"""
