"""The queue of new reports, with the machine's suggestions; paginated and filtered."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import defer

from config.deadlines import load_rules as load_deadline_rules
from models.lead import Lead
from models.report import Report
from models.session import request_session
from models.shared import sealed
from models.shared.sealing import SealError
from models.vocabulary import CHANNELS, PUBLIC_STATUSES
from triage.auth import actor, roles
from triage.forms import small_int
from triage.services import deadlines
from triage.services.audit import record
from triage.services.queue import QueueFilters, queue_page
from triage.views import office_key

bp = Blueprint("queue", __name__)


def _date(args: dict, name: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(args.get(name, "")), datetime.min.time())
    except ValueError:
        return None


def queue_filters(args: dict) -> QueueFilters:
    """The filters of the query string; a value outside the vocabulary is ignored."""
    since, until = _date(args, "from"), _date(args, "to")
    category = str(args.get("category", ""))
    return QueueFilters(
        status=args.get("status") if args.get("status") in PUBLIC_STATUSES else None,
        channel=args.get("channel") if args.get("channel") in CHANNELS else None,
        area=args.get("area") or None,
        category=small_int(category),
        agency=args.get("agency") or None,
        priority=args.get("priority") == "1",
        since=since,
        until=until + timedelta(days=1) if until is not None else None,
    )


EXCERPT = 60  # characters of the description shown in a queue row


@dataclass(frozen=True)
class Glimpse:
    """What a clerk scans in a queue row: the person, the unit, the start of the description."""

    person: str
    unit: str
    excerpt: str


UNREADABLE = Glimpse("", "", "（内容无法解密，请打开举报查看）")


def glimpse(key, report: Report) -> Glimpse:  # type: ignore[no-untyped-def]
    """The row's glimpse; one unreadable box (a damaged row) never takes the queue down."""
    try:
        content = sealed.REPORT.open(key, report.content_box, report.uid)
    except SealError:
        return UNREADABLE
    text = " ".join((content.get("description") or "").split())
    return Glimpse(content.get("subject_name") or "", content.get("subject_unit") or "",
                   text if len(text) <= EXCERPT else text[:EXCERPT] + "…")


@bp.get("/")
@roles("triage", "supervisor")
def index() -> str:
    page = max(small_int(request.args.get("page")) or 1, 1)
    db = request_session()
    found_page = queue_page(db, queue_filters(request.args), page)
    ids = found_page.report_ids
    # Load the 50 shown: their content box (for the excerpt), no other sealed column.
    found = {report.id: (report, lead) for report, lead in db.execute(
        select(Report, Lead).outerjoin(Lead, Lead.report_id == Report.id).where(Report.id.in_(ids))
        .options(defer(Report.contact_box), defer(Lead.entities_box), defer(Lead.summary_box)))}
    key = office_key()
    rows = [(*found[i], glimpse(key, found[i][0])) for i in ids]
    if ids:  # the excerpts are decrypted content: who saw which reports is audited
        # The ids in `detail` (text): `target` is 80 characters, and a page shows up to 50.
        record(db, actor(), "view_queue", f"queue:page {page}",
               detail="reports:" + ",".join(map(str, ids)))
        db.commit()
    rules = load_deadline_rules()
    return render_template("queue/index.html", rows=rows, total=found_page.total, page=page,
                           pages=found_page.pages, has_next=found_page.has_next,
                           args=request.args, channels=CHANNELS, statuses=PUBLIC_STATUSES,
                           reply_due=lambda report: deadlines.real_name_reply_due(report.received_at, rules))
