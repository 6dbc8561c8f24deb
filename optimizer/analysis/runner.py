"""Running an analysis's tasks: one dispatcher for every kind, and a local process-pool runner.

Every many-solve analysis is three pure functions (see :mod:`optimizer.analysis`):
``plan(scenario, **options) -> list[Task]``, ``run_task(task) -> dict`` and
``combine(scenario, results) -> dict``. :func:`run_task` here dispatches a task to
its analysis by ``task["kind"]``, so a job queue needs one entry point
(``optimizer.analysis.run_task``) for all of them. :func:`run_local` runs a list of
tasks on ``workers`` local processes and reports progress; results come back in
task order whatever order the tasks finish in.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Protocol, cast

from optimizer.analysis.common import AnalysisError, Task
from optimizer.scenario import Scenario

#: analysis name -> module (each has plan, run_task and combine)
ANALYSES = {
    "split": "optimizer.analysis.split",
    "frontier": "optimizer.analysis.frontier",
    "sensitivity": "optimizer.analysis.sensitivity",
    "montecarlo": "optimizer.analysis.montecarlo",
    "compare": "optimizer.analysis.compare",
    "residents": "optimizer.analysis.residents",
}

#: progress(done, total): called once before the first task (done = 0) and after each task
Progress = Callable[[int, int], None]


class Analysis(Protocol):
    """What the module of every many-solve analysis provides (each of :data:`ANALYSES`)."""

    def plan(self, scenario: Scenario, /, *args: Any, **options: Any) -> list[Task]: ...  # options differ by analysis

    def run_task(self, task: Task, /) -> dict[str, Any]: ...

    def combine(self, scenario: Scenario, results: list[dict[str, Any]], /) -> dict[str, Any]: ...


if TYPE_CHECKING:  # each module of ANALYSES is an Analysis: checked here, as a module imported by name is not
    from optimizer.analysis import compare, frontier, montecarlo, residents, sensitivity, split

    _ANALYSES: tuple[Analysis, ...] = (compare, frontier, montecarlo, residents, sensitivity, split)


def module(kind: str) -> Analysis:
    """The module of analysis ``kind``, imported when first asked for (a worker imports only what it runs)."""
    if kind not in ANALYSES:
        raise AnalysisError(f"unknown analysis {kind!r}: choose one of {', '.join(ANALYSES)}")
    return cast(Analysis, importlib.import_module(ANALYSES[kind]))


def run_task(task: Task) -> dict[str, Any]:
    """Run one task of any analysis (pure: it reads nothing but ``task``); the queue's job function."""
    return module(str(task.get("kind"))).run_task(task)


def run_local(
    tasks: list[Task], *, workers: int = 1, progress: Progress | None = None, start_method: str = "spawn", executor: Executor | None = None
) -> list[dict[str, Any]]:
    """Run ``tasks`` here (``workers`` <= 1) or on a pool of ``workers`` processes; results in task order.

    Processes are started with ``spawn`` by default: a forked child would inherit
    the solver's thread pool from a parent that has already solved something.
    A caller that runs many analyses may pass its own ``executor`` (kept open,
    so that no process is started per analysis); ``workers`` is then ignored.
    The first task that fails stops the run (queued tasks are cancelled) and its
    exception is raised here.
    """
    total = len(tasks)
    if progress:
        progress(0, total)
    if executor is None and (workers <= 1 or total <= 1):
        here: list[dict[str, Any]] = []
        for j, task in enumerate(tasks):
            here.append(run_task(task))
            if progress:
                progress(j + 1, total)
        return here
    results: dict[int, dict[str, Any]] = {}  # task index -> result, in the order the tasks finish
    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=min(workers, total), mp_context=multiprocessing.get_context(start_method))
    pending: dict[Future[dict[str, Any]], int] = {}
    try:
        for j, task in enumerate(tasks):
            pending[pool.submit(run_task, task)] = j
        done = 0
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                results[pending.pop(fut)] = fut.result()
                done += 1
                if progress:
                    progress(done, total)
    except BaseException:
        if own:
            pool.shutdown(wait=False, cancel_futures=True)
        else:
            for fut in pending:
                fut.cancel()
        raise
    if own:
        pool.shutdown(wait=True)
    return [results[j] for j in range(total)]


def run_analysis(
    kind: str, scenario: Any, *, workers: int = 1, progress: Progress | None = None, executor: Executor | None = None, **options: Any
) -> dict[str, Any]:
    """Plan, run (locally) and combine analysis ``kind`` on ``scenario``: the whole report."""
    mod = module(kind)
    tasks = mod.plan(scenario, **options)
    return mod.combine(scenario, run_local(tasks, workers=workers, progress=progress, executor=executor))
