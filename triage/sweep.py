"""The sweep: hand every report still waiting for triage over again (P6).

Run by `qingfeng worker` at start and every minute, by the one-machine server, and by
`qingfeng sweep`. Redis here keeps nothing on disk: after a restart the queue is empty while the
database still says `queued`, so a job's presence is checked in Redis, not trusted from the row.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.report import Report
from models.shared.handoff import Handoff, job_id, rq_queue
from models.vocabulary import TRIAGE_AWAITING, TRIAGE_PENDING, TRIAGE_QUEUED


def waiting_reports(session: Session, include_awaiting: bool = False) -> list[int]:
    """Reports not yet seen by a triage job (and, if asked, those seen while no model existed)."""
    states = (TRIAGE_PENDING, TRIAGE_QUEUED) + ((TRIAGE_AWAITING,) if include_awaiting else ())
    rows = session.scalars(select(Report.id).where(Report.triage_state.in_(states))
                           .order_by(Report.id))
    return list(rows)


def sweep(handoff: Handoff, factory: sessionmaker[Session], redis_url: str | None = None,
          include_awaiting: bool = False) -> int:
    """Hand each waiting report over unless its RQ job is still alive; returns how many."""
    with factory() as session:
        ids = waiting_reports(session, include_awaiting)
    handed = 0
    queue = rq_queue(redis_url) if redis_url and ids else None  # one connection for the round
    for report_id in ids:
        if queue is not None and job_alive(queue, report_id):
            continue
        if handoff(report_id):
            handed += 1
    return handed


# Seconds without a heartbeat after which a worker counts as dead (triage.worker beats every
# few seconds: its WORKER_TTL is 20).
SILENT_WORKER = 30


def job_alive(queue, report_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Whether the report's RQ job is waiting, or running on a worker that is still alive.

    A job "queued" that is in no queue, or a job RQ lists as "started" whose worker sent no
    heartbeat for SILENT_WORKER seconds (or whose worker key is gone) was abandoned by a killed worker: it counts as dead, so the sweep
    hands the report over again within seconds instead of waiting for RQ's own clean-up
    (minutes; RQ keeps a dead worker's key for a minute more). A live worker beats every few
    seconds while it waits and before each job, and a triage job takes milliseconds. The job is
    idempotent: a double run is harmless.
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.utils import utcparse
    from rq.worker import Worker

    connection = queue.connection
    try:
        job = Job.fetch(job_id(report_id), connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == "queued":
        # Queued, and really in the queue: RQ first moves a job to its worker's intermediate
        # list and only then marks it started, so a worker killed in between leaves it
        # "queued" in no queue, where nothing would ever take it.
        return connection.lpos(queue.key, job.id) is not None
    if status in ("deferred", "scheduled"):
        return True
    if status != "started":
        return False
    if not job.worker_name:
        return True  # between RQ's two writes when the job starts
    beat = connection.hget(Worker.redis_worker_namespace_prefix + job.worker_name, "last_heartbeat")
    if not beat:
        return False
    silent = datetime.now(UTC) - utcparse(beat.decode())
    return silent.total_seconds() < SILENT_WORKER
