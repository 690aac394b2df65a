"""Hand reports to triage: RQ on Redis when REDIS_URL is set, otherwise in this process.

The caller has already committed the report (state `pending`). If the queue is down the report
stays `pending` and `sweep` hands it over later, so an accepted report is never lost (P6).
Only ids cross this boundary: never content, keys or database URLs.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import CommonSettings
from models.report import Report
from models.vocabulary import TRIAGE_AWAITING, TRIAGE_PENDING, TRIAGE_QUEUED

log = logging.getLogger("qingfeng.dispatch")
QUEUE_NAME = "triage"
JOB_FUNCTION = "triage.jobs.run_triage"
_executor: ThreadPoolExecutor | None = None


def job_id(report_id: int) -> str:
    """One RQ job id per report, so a second enqueue replaces rather than duplicates."""
    return f"triage-report-{report_id}"


def rq_queue(redis_url: str):  # type: ignore[no-untyped-def]
    """The RQ queue of triage jobs."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    return Queue(QUEUE_NAME, connection=connection)


def enqueue_triage(settings: CommonSettings, factory: sessionmaker[Session], report_id: int) -> bool:
    """Queue one committed report for triage; False if the queue is unreachable right now."""
    if settings.triage_mode == "inline":
        _mark_queued(factory, report_id)
        _run_here(factory, report_id)
        return True
    try:
        if settings.triage_mode == "rq":
            _enqueue_rq(settings.redis_url or "", report_id)
        else:
            _thread_pool().submit(_run_here, factory, report_id)
    except Exception as exc:  # redis.ConnectionError, TimeoutError, …: the sweep will retry
        log.warning("triage queue unavailable (%s); report %s left pending for the sweep",
                    type(exc).__name__, report_id)
        return False
    _mark_queued(factory, report_id)
    return True


def _enqueue_rq(redis_url: str, report_id: int) -> None:
    from rq import Retry

    rq_queue(redis_url).enqueue(
        JOB_FUNCTION,
        report_id,
        job_id=job_id(report_id),
        retry=Retry(max=5, interval=[10, 60, 300, 900, 3600]),
        result_ttl=3600,
        failure_ttl=30 * 86400,
    )


def _mark_queued(factory: sessionmaker[Session], report_id: int) -> None:
    with factory.begin() as session:
        session.execute(
            update(Report)
            .where(Report.id == report_id, Report.triage_state.in_((TRIAGE_PENDING, TRIAGE_AWAITING)))
            .values(triage_state=TRIAGE_QUEUED)
        )


def _thread_pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage")
    return _executor


def _run_here(factory: sessionmaker[Session], report_id: int) -> None:
    from triage.jobs import process_report

    try:
        process_report(factory, report_id)
    except Exception:
        log.exception("in-process triage of report %s failed; the sweep will retry", report_id)


def waiting_reports(session: Session, include_awaiting: bool = False) -> list[int]:
    """Reports not yet seen by a triage job (and, if asked, those seen while no model existed)."""
    states = (TRIAGE_PENDING, TRIAGE_QUEUED) + ((TRIAGE_AWAITING,) if include_awaiting else ())
    rows = session.scalars(select(Report.id).where(Report.triage_state.in_(states)).order_by(Report.id))
    return list(rows)


def sweep(settings: CommonSettings, factory: sessionmaker[Session], include_awaiting: bool = False) -> int:
    """Hand every waiting report to triage again unless its job is already queued.

    Redis here keeps nothing on disk: after a restart the queue is empty while the database
    still says `queued`, so a job's presence is checked in Redis, not trusted from the row.
    """
    with factory() as session:
        ids = waiting_reports(session, include_awaiting)
    handed = 0
    for report_id in ids:
        if settings.triage_mode == "rq" and _job_alive(settings.redis_url or "", report_id):
            continue
        if enqueue_triage(settings, factory, report_id):
            handed += 1
    return handed


def _job_alive(redis_url: str, report_id: int) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id(report_id), connection=rq_queue(redis_url).connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in ("queued", "started", "deferred", "scheduled")
