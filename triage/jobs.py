"""RQ entry points and the triage step. Arguments are ids only; each job opens its own Session.

Three layers: `run_triage(report_id)` (the RQ entry point) → `process_report(factory, id)`
(one transaction, row locked) → `triage_report(session, report, context)` (the logic).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.data import ConfigError
from config.settings import TriageSettings, triage_settings_from_env
from models.lead import Lead
from models.report import Report
from models.sealing import SealError, load_office_private_key, open_box, open_json, seal_json
from models.session import make_engine, make_sessionmaker
from models.vocabulary import TRIAGE_AWAITING, TRIAGE_DONE, TRIAGE_PENDING, TRIAGE_QUEUED
from triage.classifier.artifact import ArtifactError, load_artifact
from triage.engine import Suggestion, TriageEngine
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
    office_key = load_office_private_key(settings.paths.office_private_key, settings.office_passphrase)
    model, _ = load_artifact(settings.paths.artifacts, settings.secret_key)
    return WorkerContext(TriageEngine(model), office_key, index_key(office_key))


_context: WorkerContext | None = None
_context_lock = threading.Lock()
_last_failure = 0.0
RETRY_SECONDS = 60  # after a failed load, try again at most once a minute (and log once)


def worker_context() -> WorkerContext | None:
    """This process's context, loaded on first use; None (reports wait) if it cannot load yet."""
    global _context, _last_failure
    with _context_lock:
        if _context is None and time.monotonic() - _last_failure > RETRY_SECONDS:
            try:
                _context = load_context(triage_settings_from_env())
            except (ConfigError, ArtifactError, SealError, OSError) as exc:
                if not _last_failure:
                    log.warning("triage cannot run yet (%s: %s); reports wait", type(exc).__name__, exc)
                _last_failure = time.monotonic()
        return _context


@lru_cache(maxsize=1)
def _worker_sessions() -> sessionmaker[Session]:
    settings = triage_settings_from_env()
    return make_sessionmaker(make_engine(settings.database_url))


def run_triage(report_id: int) -> str:
    """RQ entry point for one report."""
    return process_report(_worker_sessions(), report_id)


def process_report(factory: sessionmaker[Session], report_id: int) -> str:
    """Triage one report in one transaction; idempotent."""
    context = worker_context()
    with factory.begin() as session:
        report = session.get(Report, report_id, with_for_update=True)
        if report is None:
            log.warning("triage: report %s does not exist", report_id)
            return "missing"
        return triage_report(session, report, context)


def report_text(content: dict, replies: list[str]) -> str:
    """The text the classifier reads: who is reported, the facts, the reporter's later replies."""
    subject = "，".join(f"{label}{content.get(key)}" for key, label in
                       (("subject_name", "被反映人"), ("subject_unit", "单位"), ("subject_post", "职务"))
                       if content.get(key) and content.get(key) != "不清楚")
    facts = "，".join(content.get(k, "") for k in ("event_time", "event_place") if content.get(k))
    parts = [subject, facts, content.get("description", ""),
             f"涉及金额{content['amount']}" if content.get("amount") else "", *replies]
    return "。".join(p for p in parts if p)


def triage_report(session: Session, report: Report, context: WorkerContext | None) -> str:
    """Classify, route and extract; draft or refresh the lead; index and link the report."""
    if report.triage_state not in WAITING:
        return report.triage_state
    report.triage_attempts += 1
    if context is None:
        report.triage_state = TRIAGE_AWAITING
        return report.triage_state
    content = open_json(context.office_key, report.content_box, "report", report.uid)
    replies = [open_box(context.office_key, m.body_box, "reporter-message", report.uid).decode()
               for m in report.messages if m.sender == "reporter"]
    text = report_text(content, replies)
    suggestion = context.engine.suggest(text, subject=content)
    _draft_lead(session, report, suggestion, context)
    index_report(session, context.index_key, report.id, suggestion.entities, text)
    link_related(session, report.id)
    report.triage_state = TRIAGE_DONE
    log.info("triage: report %s done with model %s", report.id, suggestion.model_version)
    return report.triage_state


def _draft_lead(session: Session, report: Report, s: Suggestion, context: WorkerContext) -> None:
    lead = session.scalar(select(Lead).where(Lead.report_id == report.id))
    if lead is None:
        lead = Lead(report_id=report.id, state="draft")
        session.add(lead)
    elif lead.state != "draft":
        return  # staff have confirmed it: new material is theirs to weigh, not the model's
    entities = dict(s.entities.to_dict(), ledger_name=s.entities.ledger_name(),
                    ledger_unit_post=s.entities.ledger_unit_post())
    lead.model_version = s.model_version
    lead.in_scope, lead.in_scope_score = s.in_scope, s.in_scope_score
    lead.primary_category = s.categories[0]["id"] if s.in_scope else None
    lead.area = s.area if s.in_scope else None
    lead.suggestions, lead.agency, lead.co_agencies = s.categories, s.agency, s.co_agencies
    lead.route_reasons, lead.flags, lead.priority = s.reasons, s.flags, bool(s.flags)
    lead.entities_box = seal_json(context.office_key.public_key(), entities, "lead-entities", report.uid)
    session.flush()
