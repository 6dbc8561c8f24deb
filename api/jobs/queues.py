"""Where jobs wait and run: RQ when Redis is configured, else a thread pool in the API process.

Both take a job id and an attempt number. An attempt is one RQ job, named
``{job_id}-a{attempt}``, so an attempt lost with its worker can never be
confused with the retry that replaced it. The job's state is not kept here
but in the database (``api/jobs/states.py``); the queue only carries the work.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

from optimizer import logs

log = logging.getLogger(__name__)

#: What RQ imports in the worker to run an attempt (a string: the API need not import the runner's deps).
RQ_TASK = "api.jobs.worker.run_queued_job"
#: What RQ imports to run a helper of an analysis's fan-out.
RQ_HELPER = "api.jobs.worker.run_helper"


class QueueUnavailable(Exception):
    """The job queue cannot take the job (Redis is down)."""


class JobQueue:
    """The interface of both back ends."""

    kind = "abstract"
    #: the Redis that workers share, where an analysis keeps the list of its chunks; None: nothing is shared (threads)
    shared: redis.Redis | None = None

    def submit(self, job_id: str, attempt: int) -> str:
        """Queue an attempt; returns its queue id."""
        raise NotImplementedError

    def fan_out(self, job_id: str, attempt: int, helpers: int) -> int:
        """Queue up to ``helpers`` helpers of attempt ``attempt``'s analysis (``RQ_HELPER``); returns how many were queued.

        Only a queue with :attr:`shared` has helpers: elsewhere the job runs its tasks itself.
        """
        return 0

    def cancel(self, queue_id: str | None, *, running: bool) -> None:
        """Take a queued attempt off the queue, or stop a running one where the back end can."""

    def lost(self, queue_id: str | None) -> str | None:
        """Why the queue no longer holds a queued attempt (None while it does)."""
        return None

    def depth(self) -> int:
        return 0

    def workers(self) -> int:
        return 0

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass


class ThreadQueue(JobQueue):
    """Embedded mode: jobs run on threads of the API process (one process; see docs/api.md).

    A thread cannot be killed: a cancelled or timed-out job keeps its thread
    until the solver's own time limit ends it, and its result is discarded.
    """

    kind = "threads"

    def __init__(self, threads: int, runner: Callable[[str, int], object]):
        self._runner = runner
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="totalplace-job")
        self._threads = threads
        self._pending: set[Future[object]] = set()
        self._guard = threading.Lock()

    def submit(self, job_id: str, attempt: int) -> str:
        try:
            # run in a copy of the request's context: the job's log lines carry the request id that queued it
            future = self._pool.submit(contextvars.copy_context().run, self._runner, job_id, attempt)
        except RuntimeError as exc:  # the pool is shut down: the API is stopping
            raise QueueUnavailable(f"the job threads are stopped (the service is shutting down): {exc}") from exc
        with self._guard:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return f"{job_id}-a{attempt}"

    def _done(self, future: Future[object]) -> None:
        with self._guard:
            self._pending.discard(future)
        if future.exception() is not None:  # the runner records failures itself; this is a bug
            log.error("job runner raised", exc_info=future.exception())

    def depth(self) -> int:
        with self._guard:
            return sum(1 for f in self._pending if not f.running())

    def workers(self) -> int:
        return self._threads

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class RQQueue(JobQueue):
    """Production: an RQ queue in Redis, served by ``totalplace worker`` processes on any machine."""

    kind = "rq"

    def __init__(self, redis_url: str, queue_name: str, hard_limit: float):
        import redis
        from rq import Queue

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.connection = redis.Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=10.0)
        self.shared = self.connection
        self.queue = Queue(queue_name, connection=self.connection)
        self.hard_limit = int(hard_limit) + 1

    def submit(self, job_id: str, attempt: int) -> str:
        queue_id = f"{job_id}-a{attempt}"
        try:
            # job_timeout: RQ stops the work horse after it (and kills it 60 s later if it does not stop)
            self.queue.enqueue(
                RQ_TASK,
                job_id,
                attempt,
                job_id=queue_id,
                job_timeout=self.hard_limit,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                description=f"totalplace job {job_id}, attempt {attempt}",
                meta={"log": logs.current()},
            )  # the worker logs with the request id (and tenant id) that queued it
        except self._errors as exc:
            raise QueueUnavailable(f"the job queue (Redis) is unavailable: {exc}") from exc
        return queue_id

    def fan_out(self, job_id: str, attempt: int, helpers: int) -> int:
        for h in range(helpers):
            self.queue.enqueue(
                RQ_HELPER,
                job_id,
                attempt,
                job_id=f"{job_id}-a{attempt}-h{h}",
                job_timeout=self.hard_limit,
                result_ttl=600,
                failure_ttl=86400,
                description=f"totalplace analysis {job_id}, attempt {attempt}, helper {h}",
            )
        return max(0, helpers)

    def cancel(self, queue_id: str | None, *, running: bool) -> None:
        if not queue_id:
            return
        from rq.command import send_stop_job_command
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import Job

        try:
            if running:
                send_stop_job_command(self.connection, queue_id)
            else:
                Job.fetch(queue_id, connection=self.connection).cancel()
        except (NoSuchJobError, InvalidJobOperation):
            pass  # already gone or already finished: the database state is what counts
        except self._errors as exc:
            log.warning("could not reach Redis to stop %s: %s", queue_id, exc)

    def lost(self, queue_id: str | None) -> str | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        if not queue_id:
            return "it was never queued"
        try:
            job = Job.fetch(queue_id, connection=self.connection)
            status = job.get_status(refresh=False)
        except NoSuchJobError:
            return "its entry in the queue is gone (Redis was flushed or lost its data)"
        except self._errors:
            return None  # cannot tell now: leave it for a later look
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            return f"the queue reports it {status.value}"
        return None

    def depth(self) -> int:
        try:
            return int(self.queue.count)
        except self._errors:
            return 0

    def workers(self) -> int:
        from rq import Worker

        try:
            return int(Worker.count(connection=self.connection, queue=self.queue))
        except self._errors:
            return 0

    def ping(self) -> bool:
        try:
            return bool(self.connection.ping())
        except self._errors:
            return False

    def close(self) -> None:
        self.connection.close()
