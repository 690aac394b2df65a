"""RQ entry points and the triage step. Arguments are ids only; jobs get their context passed.

Three layers: `run_triage(report_id)` (the RQ entry point, in a worker process whose runtime was
installed at start) → `process_report(factory, id, context)` (one transaction, row locked) →
`triage_report(session, report, context)` (the logic). A context is the engine and the office
key; None means no model yet: the report is marked `awaiting` and triaged when one exists.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from config.data import ConfigError
from config.office_settings import TriageSettings, triage_settings_from_env
from models.lead import Lead
from models.report import Report
from models.session import make_engine, make_sessionmaker
from models.shared import sealed
from models.shared.content import report_text
from models.shared.sealing import SealError
from models.vocabulary import (LEAD_DRAFT, TRIAGE_AWAITING, TRIAGE_DONE, TRIAGE_PENDING,
                               TRIAGE_QUEUED)
from triage.classifier.artifact import ArtifactError, load_artifact
from triage.engine import Lap, Suggestion, TriageEngine, no_lap
from triage.keys import load_office_private_key, private_key_path
from triage.linking import index_key, index_report, link_related

log = logging.getLogger("qingfeng.jobs")
WAITING = (TRIAGE_PENDING, TRIAGE_QUEUED, TRIAGE_AWAITING)


@dataclass(frozen=True)
class WorkerContext:
    """What a triage worker holds: the engine and the office private key."""

    engine: TriageEngine
    office_key: X25519PrivateKey
    index_key: bytes


def load_context(settings: TriageSettings) -> WorkerContext:
    """Unlock the office key and load the signed model; raises if either is missing."""
    if not settings.office_passphrase:
        raise ConfigError("QINGFENG_OFFICE_PASSPHRASE is not set")
    office_key = load_office_private_key(private_key_path(settings.paths),
                                         settings.office_passphrase)
    model, _ = load_artifact(settings.paths.artifacts, settings.secret_key)
    return WorkerContext(TriageEngine(model), office_key, index_key(office_key))


class ContextLoader:
    """A process's context, loaded on first use and kept; while it cannot load (no model yet:
    `make run` trains one in the background), None, retried at most every 15 seconds and
    logged once."""

    RETRY_SECONDS = 15

    def __init__(self, settings: TriageSettings) -> None:
        self.settings = settings
        self._context: WorkerContext | None = None
        self._lock = threading.Lock()
        self._last_failure = 0.0

    def __call__(self) -> WorkerContext | None:
        with self._lock:
            stale = time.monotonic() - self._last_failure > self.RETRY_SECONDS
            if self._context is None and (not self._last_failure or stale):
                try:
                    self._context = load_context(self.settings)
                except (ConfigError, ArtifactError, SealError, OSError) as exc:
                    if not self._last_failure:
                        log.warning("triage cannot run yet (%s: %s); reports wait",
                                    type(exc).__name__, exc)
                    self._last_failure = time.monotonic()
            return self._context


@dataclass
class Runtime:
    """What RQ jobs of this process use: sessions and the context."""

    factory: sessionmaker[Session]
    context: ContextLoader


_runtime: Runtime | None = None


def install(runtime: Runtime) -> None:
    """Called once by the worker process before it takes jobs (and before RQ forks)."""
    global _runtime
    _runtime = runtime


def current_runtime() -> Runtime | None:
    """The runtime installed in this process, if any."""
    return _runtime


def run_triage(report_id: int) -> str:
    """RQ entry point for one report."""
    global _runtime
    if _runtime is None:  # a plain `rq worker`: build the runtime once, from the environment
        settings = triage_settings_from_env()
        _runtime = Runtime(make_sessionmaker(make_engine(settings.database_url, durable=False)),
                           ContextLoader(settings))
    return process_report(_runtime.factory, report_id, _runtime.context())


def process_report(factory: sessionmaker[Session], report_id: int,
                   context: WorkerContext | None, lap: Lap = no_lap) -> str:
    """Triage one report in one transaction; idempotent. `lap(stage)` marks the end of each
    stage for the benchmark (bench/triage.py)."""
    with factory.begin() as session:
        found = session.execute(
            select(Report, Lead).outerjoin(Lead, Lead.report_id == Report.id)
            .options(joinedload(Report.messages)).where(Report.id == report_id)
            .with_for_update(of=Report)
        ).unique().first()
        if found is None:
            log.warning("triage: a report id that does not exist was queued")
            return "missing"
        lap("load")
        state = triage_report(session, found[0], context, lap, found[1])
    lap("commit")
    return state


def triage_report(session: Session, report: Report, context: WorkerContext | None,
                  lap: Lap = no_lap, lead: Lead | None = None) -> str:
    """Classify, route and extract; draft or refresh the lead (`lead`: the report's lead, if
    it has one); index and link the report."""
    if report.triage_state not in WAITING:
        return report.triage_state
    if context is None:
        report.triage_attempts += 1
        report.triage_state = TRIAGE_AWAITING
        return report.triage_state
    content = sealed.REPORT.open(context.office_key, report.content_box, report.uid)
    replies = [sealed.REPORTER_MESSAGE.open(context.office_key, m.body_box, report.uid)
               for m in report.messages if m.sender == "reporter"]
    text = report_text(content, replies)
    lap("decrypt")
    suggestion = context.engine.suggest(text, subject=content, lap=lap)
    first_time = lead is None
    _draft_lead(session, report, suggestion, context, lead)
    lap("write lead")
    digests = index_report(session, context.index_key, report.id, suggestion.entities,
                           suggestion.words, replace=not first_time)
    link_related(session, report.id, digests, fresh=first_time)
    lap("index and link")
    # Counted here, with the result, so the report is updated once; a failed try rolls back
    # everything, its count included.
    report.triage_attempts += 1
    report.triage_state = TRIAGE_DONE
    return report.triage_state


def _draft_lead(session: Session, report: Report, s: Suggestion, context: WorkerContext,
                lead: Lead | None) -> None:
    if lead is None:
        # received_at given, so the column's default need not read it back from the report
        lead = Lead(report_id=report.id, report_received_at=report.received_at, state=LEAD_DRAFT)
        session.add(lead)
    elif lead.state != LEAD_DRAFT:
        return  # staff have confirmed it: new material is theirs to weigh, not the model's
    entities = dict(s.entities.to_dict(), ledger_name=s.entities.ledger_name(),
                    ledger_unit_post=s.entities.ledger_unit_post())
    lead.model_version = s.model_version
    lead.in_scope, lead.in_scope_score = s.in_scope, s.in_scope_score
    lead.primary_category = s.categories[0]["id"] if s.in_scope else None
    lead.area = s.area if s.in_scope else None
    lead.suggestions, lead.agency, lead.co_agencies = s.categories, s.agency, s.co_agencies
    lead.route_reasons, lead.flags, lead.priority = s.reasons, s.flags, bool(s.flags)
    lead.entities_box = sealed.LEAD_ENTITIES.seal(context.office_key.public_key(), entities, report.uid)
    session.flush()
