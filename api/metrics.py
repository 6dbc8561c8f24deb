"""Prometheus metrics of one API process (``GET /metrics``).

Each app has its own registry, so two apps in one test process count apart.
Solves run by RQ workers happen in other processes and are not counted here;
the job counts by status (read from the database at scrape time) and the
queue depth cover them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

# The *_created series double the output and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The service's instruments, registered in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.request_latency = Histogram(
            "totalplace_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.solves = Counter("totalplace_solves_total", "Solves run by this process", ["status", "mode"], registry=r)
        self.solve_seconds = Histogram("totalplace_solve_duration_seconds", "Wall time of one solve", buckets=LATENCY_BUCKETS, registry=r)
        self.cache = Counter(
            "totalplace_cache_requests_total", "Result cache look-ups by outcome (hit, miss, error)", ["outcome"], registry=r
        )
        self.queue_depth = Gauge("totalplace_queue_depth", "Jobs waiting in the queue", registry=r)
        self.jobs = Gauge("totalplace_jobs", "Jobs in the store by status", ["status"], registry=r)
        self.workers = Gauge("totalplace_workers", "Workers registered on the queue", registry=r)
        self.rate_limited = Counter("totalplace_rate_limited_total", "Requests refused with 429 by the per-key rate limit", registry=r)

    def count_cache(self, outcome: str) -> None:
        self.cache.labels("error" if outcome == "bypass" else outcome).inc()
