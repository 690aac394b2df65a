"""RQ entry points. Arguments are ids only; each job opens its own Session from settings.

The triage logic itself (classify, route, create the draft lead) arrives with the triage-engine
issue; until then the job records that the report awaits the classifier.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from config.settings import triage_settings_from_env
from models.report import Report
from models.session import make_engine, make_sessionmaker
from models.vocabulary import TRIAGE_AWAITING, TRIAGE_PENDING, TRIAGE_QUEUED

log = logging.getLogger("qingfeng.jobs")


@lru_cache(maxsize=1)
def _worker_sessions() -> sessionmaker[Session]:
    settings = triage_settings_from_env()
    return make_sessionmaker(make_engine(settings.database_url))


def run_triage(report_id: int) -> str:
    """Worker entry point for one report."""
    return process_report(_worker_sessions(), report_id)


def process_report(factory: sessionmaker[Session], report_id: int) -> str:
    """Triage one report; idempotent (a second run of a done report changes nothing)."""
    with factory.begin() as session:
        report = session.get(Report, report_id, with_for_update=True)
        if report is None:
            log.warning("triage: report %s does not exist", report_id)
            return "missing"
        return triage_report(session, report)


def triage_report(session: Session, report: Report) -> str:
    """The triage step proper. For now: note that the report awaits the classifier."""
    if report.triage_state in (TRIAGE_PENDING, TRIAGE_QUEUED):
        report.triage_state = TRIAGE_AWAITING
        report.triage_attempts += 1
    return report.triage_state
