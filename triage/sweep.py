"""The sweep: hand every report still waiting for triage over again (P6).

Run by `qingfeng worker` at start and every minute, by the one-machine server, and by
`qingfeng sweep`. Redis here keeps nothing on disk: after a restart the queue is empty while the
database still says `queued`, so a job's presence is checked in Redis, not trusted from the row.
"""
from __future__ import annotations

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
    for report_id in ids:
        if redis_url and job_alive(redis_url, report_id):
            continue
        if handoff(report_id):
            handed += 1
    return handed


def job_alive(redis_url: str, report_id: int) -> bool:
    """Whether the report's RQ job is waiting or running."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id(report_id), connection=rq_queue(redis_url).connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in ("queued", "started", "deferred", "scheduled")
