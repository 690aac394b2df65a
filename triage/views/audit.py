"""The audit trail, for the auditor only."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from models.audit import AuditEvent
from models.session import request_session
from triage.auth import actor, roles
from triage.services.audit import record, verify

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@roles("auditor")
def index() -> str:
    db = request_session()
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)).all()
    problems = verify(db)
    record(db, actor(), "read_audit", "audit_events")
    db.commit()
    return render_template("audit/index.html", events=events, problems=problems)
