"""The queue of new reports, with the machine's suggestions; paginated and filtered."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import defer

from config.deadlines import load_rules as load_deadline_rules
from models.lead import Lead
from models.report import Report
from models.session import request_session
from models.vocabulary import CHANNELS, LEAD_DRAFT, PUBLIC_STATUSES
from triage.auth import roles
from triage.services import deadlines

bp = Blueprint("queue", __name__)
PAGE = 50


def _date(name: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(request.args.get(name, "")), datetime.min.time())
    except ValueError:
        return None


def queue_query(args: dict):  # type: ignore[no-untyped-def]
    """Reports not yet handled by staff, filtered, highest priority and oldest first."""
    query = (select(Report.id).outerjoin(Lead, Lead.report_id == Report.id)
             .where(or_(Lead.id.is_(None), Lead.state == LEAD_DRAFT)))
    conditions = []
    if args.get("status") in PUBLIC_STATUSES:
        conditions.append(Report.status == args["status"])
    if args.get("channel") in CHANNELS:
        conditions.append(Report.channel == args["channel"])
    if args.get("area"):
        conditions.append(Lead.area == args["area"])
    if str(args.get("category", "")).isdigit():
        conditions.append(Lead.primary_category == int(args["category"]))
    if args.get("agency"):
        conditions.append(Lead.agency == args["agency"])
    if args.get("priority") == "1":
        conditions.append(Lead.priority.is_(True))
    if args.get("from"):
        conditions.append(Report.received_at >= args["from"])
    if args.get("to"):
        conditions.append(Report.received_at < args["to"] + timedelta(days=1))
    if conditions:
        query = query.where(and_(*conditions))
    return query


@bp.get("/")
@roles("triage", "supervisor")
def index() -> str:
    args = dict(request.args)
    args["from"], args["to"] = _date("from"), _date("to")
    page = max(int(request.args.get("page", "1") or 1) if request.args.get("page", "1").isdigit() else 1, 1)
    db = request_session()
    query = queue_query(args)
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    # Sort and page over ids only (narrow rows, no sealed columns), then load the 50 shown.
    ids = db.scalars(query.order_by(Lead.priority.desc().nulls_last(), Report.received_at, Report.id)
                     .limit(PAGE).offset((page - 1) * PAGE)).all()
    found = {report.id: (report, lead) for report, lead in db.execute(
        select(Report, Lead).outerjoin(Lead, Lead.report_id == Report.id).where(Report.id.in_(ids))
        .options(defer(Report.content_box), defer(Report.contact_box), defer(Lead.entities_box),
                 defer(Lead.summary_box)))}
    rows = [found[i] for i in ids]
    rules = load_deadline_rules()
    return render_template("queue/index.html", rows=rows, total=total, page=page, pages=(total + PAGE - 1) // PAGE,
                           args=request.args, channels=CHANNELS, statuses=PUBLIC_STATUSES,
                           reply_due=lambda report: deadlines.real_name_reply_due(report.received_at, rules))
