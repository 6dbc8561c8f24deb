"""The analyses boards ask for, built on the core: who pays and who gains, the price of targeting, how sure we are.

========================  =======================================  ===========================
analysis                  module                                   solves
========================  =======================================  ===========================
fair split (Shapley)      :mod:`optimizer.analysis.split`          one per coalition of pools
CWF frontier              :mod:`optimizer.analysis.frontier`       one per share swept
sensitivity               :mod:`optimizer.analysis.sensitivity`    a bisection per budget/rule
Monte Carlo and robust    :mod:`optimizer.analysis.montecarlo`     one per sample
appraisal pack            :mod:`optimizer.analysis.appraisal`      one (or none, given a result)
comparison of two         :mod:`optimizer.analysis.compare`        one per subset of the changes
map of spending           :mod:`optimizer.analysis.maps`           none: it draws a given result
========================  =======================================  ===========================

Each many-solve analysis is three pure functions, so that a job queue can
split it into independent units of work and show progress:

* ``plan(scenario, **options) -> list[Task]``: small JSON-able dicts, each naming its
  ``kind`` and carrying what one unit needs (a scenario's canonical dict, a seed...);
* ``run_task(task) -> dict``: one unit (a solve, a batch of samples, one bisection);
  pure, runs in any process; :func:`run_task` here dispatches on ``task["kind"]``;
* ``combine(scenario, results) -> dict``: the report, from the results in task order.

:func:`run_local` runs tasks here or on a local process pool with a progress
callback; :func:`run_analysis` does plan, run and combine in one call. Nothing
here imports the web, the cache or the queue.
"""

from optimizer.analysis.common import AnalysisError, Task
from optimizer.analysis.runner import ANALYSES, Progress, run_analysis, run_local, run_task

__all__ = ["ANALYSES", "AnalysisError", "Progress", "Task", "run_analysis", "run_local", "run_task"]
