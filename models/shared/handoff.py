"""Handing a committed report to triage: the interface both apps call after their commit.

The caller has already committed the report (state `pending`). A hand-off only says "report N
is waiting"; it never carries content, keys or database URLs, and it never runs triage in the
caller's process. Which hand-off an app gets is decided by whoever assembles the process:

* `RqHandoff` queues the id on Redis for `qingfeng worker` (the scaled deployment);
* `LeavePending` does nothing: the sweep of the office process or of a worker picks the report
  up (a portal host without Redis);
* the one-machine server plugs in its in-process runner (triage/runner.py), which the portal
  never imports.

If the queue is down the report simply stays `pending`: the sweep hands it over later, so an
accepted report is never lost (P6).
"""
from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from models.report import Report
from models.vocabulary import TRIAGE_AWAITING, TRIAGE_PENDING, TRIAGE_QUEUED

log = logging.getLogger("qingfeng.handoff")
QUEUE_NAME = "triage"
# A name, not an import: the portal must not load the worker's code (P1).
JOB_FUNCTION = "triage.jobs.run_triage"


class Handoff(Protocol):
    def __call__(self, report_id: int) -> bool:
        """Hand one committed report over; False when it stays pending for the sweep."""


def job_id(report_id: int) -> str:
    """One RQ job id per report, so a second enqueue replaces rather than duplicates."""
    return f"triage-report-{report_id}"


def rq_queue(redis_url: str):  # type: ignore[no-untyped-def]
    """The RQ queue of triage jobs."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    return Queue(QUEUE_NAME, connection=connection)


def enqueue_rq(redis_url: str, report_id: int, queue=None) -> None:  # type: ignore[no-untyped-def]
    """Queue one report id (retried by RQ with back-off if the job fails), on `queue` if given
    (its connection pool reused) or on a new connection to `redis_url`."""
    from rq import Retry

    (queue or rq_queue(redis_url)).enqueue(
        JOB_FUNCTION,
        report_id,
        job_id=job_id(report_id),
        retry=Retry(max=5, interval=[10, 60, 300, 900, 3600]),
        result_ttl=3600,
        failure_ttl=30 * 86400,
    )


def mark_queued(factory: sessionmaker[Session], report_id: int) -> None:
    """Record that a report was handed over (bookkeeping: the sweep also checks the queue)."""
    with factory.begin() as session:
        session.execute(
            update(Report)
            .where(Report.id == report_id,
                   Report.triage_state.in_((TRIAGE_PENDING, TRIAGE_AWAITING)))
            .values(triage_state=TRIAGE_QUEUED)
        )


class LeavePending:
    """No queue here: the report waits for the sweep of an office or worker process."""

    def __call__(self, report_id: int) -> bool:
        return False


class RqHandoff:
    """Queue report ids on Redis for `qingfeng worker`."""

    def __init__(self, redis_url: str, factory: sessionmaker[Session]) -> None:
        self.redis_url = redis_url
        self.factory = factory
        self._queue = None  # made on first use, then kept: one connection pool, not one per report

    def __call__(self, report_id: int) -> bool:
        try:
            if self._queue is None:
                self._queue = rq_queue(self.redis_url)
            enqueue_rq(self.redis_url, report_id, self._queue)
        except Exception as exc:  # redis.ConnectionError, TimeoutError, …: the sweep will retry
            log.warning("triage queue unavailable (%s); a report was left for the sweep",
                        type(exc).__name__)
            return False
        try:
            mark_queued(self.factory, report_id)
        except Exception as exc:  # the job is queued; the row is fixed by the job itself
            log.warning("could not mark a report queued (%s)", type(exc).__name__)
        return True


def default_handoff(redis_url: str | None, factory: sessionmaker[Session]) -> Handoff:
    """RQ when Redis is configured, otherwise leave the report for a sweep."""
    return RqHandoff(redis_url, factory) if redis_url else LeavePending()
