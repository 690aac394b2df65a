"""The queue of reports staff have not handled yet: filters, order, pages and the total.

The queue holds reports with a draft lead and reports the triage has not finished (they have no
lead yet), highest priority first, then oldest first (received_at, then id). Read as one query,
that order needs a join and a sort of every match: 0.3 s at 100,000 reports, seconds at a
million. So the queue is read as three segments, each in the order of one index
(`ix_leads_queue`, `ix_reports_untriaged`): priority draft leads, the other draft leads, then
reports still being triaged. A page reads about as many index entries as its offset plus 50.

The total is counted exactly up to EXACT_UP_TO; above that, a count would read every match,
so the page shows PostgreSQL's planner estimate (rounded) or only that there are more.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, literal, select
from sqlalchemy.orm import Session

from models.lead import Lead
from models.report import Report
from models.vocabulary import LEAD_DRAFT, TRIAGE_DONE

PAGE = 50
EXACT_UP_TO = 2_000


@dataclass(frozen=True)
class QueueFilters:
    """What the officer narrowed the queue to; None (False) for a filter not set."""

    status: str | None = None
    channel: str | None = None
    area: str | None = None
    category: int | None = None
    agency: str | None = None
    priority: bool = False
    since: datetime | None = None  # received at or after
    until: datetime | None = None  # received before

    @property
    def need_lead(self) -> bool:
        """A filter on the lead's columns, which reports without a lead never match."""
        return bool(self.area or self.category is not None or self.agency or self.priority)


@dataclass(frozen=True)
class Total:
    """How many reports match: `exact` up to EXACT_UP_TO, else None with, when the database
    can tell, `estimate` (rounded to two significant digits, never at or below the bound)."""

    exact: int | None
    estimate: int | None
    bound: int


@dataclass(frozen=True)
class QueuePage:
    report_ids: list[int]  # in queue order
    page: int
    has_next: bool
    total: Total

    @property
    def pages(self) -> int | None:
        """The number of pages when the total is exact."""
        if self.total.exact is None:
            return None
        return max(1, -(-self.total.exact // PAGE))


def _inline(value: object):  # type: ignore[no-untyped-def]
    """A constant written into the SQL, so both databases match it with a partial index's
    WHERE clause (a bound parameter could be anything when the plan is made)."""
    return literal(value, literal_execute=True)


def _draft_leads(filters: QueueFilters, priority: bool) -> Select:
    """Report ids of the draft leads of one priority, oldest first (ix_leads_queue)."""
    stmt = (select(Lead.report_id)
            .where(Lead.state == _inline(LEAD_DRAFT), Lead.priority.is_(priority))
            .order_by(Lead.report_received_at, Lead.report_id))
    if filters.area:
        stmt = stmt.where(Lead.area == filters.area)
    if filters.category is not None:
        stmt = stmt.where(Lead.primary_category == filters.category)
    if filters.agency:
        stmt = stmt.where(Lead.agency == filters.agency)
    if filters.since is not None:
        stmt = stmt.where(Lead.report_received_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(Lead.report_received_at < filters.until)
    if filters.status or filters.channel:
        stmt = _on_report(stmt.join(Report, Report.id == Lead.report_id), filters)
    return stmt


def _untriaged(filters: QueueFilters) -> Select:
    """Ids of reports with no lead, oldest first (ix_reports_untriaged). Only reports whose
    triage is not done can be without one: the job writes the lead and `done` together."""
    stmt = (select(Report.id)
            .where(Report.triage_state != _inline(TRIAGE_DONE),
                   ~exists().where(Lead.report_id == Report.id))
            .order_by(Report.received_at, Report.id))
    if filters.since is not None:
        stmt = stmt.where(Report.received_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(Report.received_at < filters.until)
    return _on_report(stmt, filters)


def _on_report(stmt: Select, filters: QueueFilters) -> Select:
    if filters.status:
        stmt = stmt.where(Report.status == filters.status)
    if filters.channel:
        stmt = stmt.where(Report.channel == filters.channel)
    return stmt


def segments(filters: QueueFilters) -> list[Select]:
    """The queue's parts in queue order; together they are the whole queue, each once."""
    parts = [_draft_leads(filters, priority=True)]
    if not filters.priority:
        parts.append(_draft_leads(filters, priority=False))
    if not filters.need_lead:
        parts.append(_untriaged(filters))
    return parts


def _count(session: Session, segment: Select, cap: int) -> int:
    """The segment's size, or `cap` if it has at least that many rows (reads at most `cap`)."""
    if cap <= 0:
        return 0
    capped = segment.order_by(None).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def page_ids(session: Session, parts: list[Select], offset: int, limit: int) -> list[int]:
    """`limit` report ids from `offset` on, across the segments in order."""
    ids: list[int] = []
    for part in parts:
        got = session.scalars(part.offset(offset).limit(limit - len(ids))).all()
        ids.extend(got)
        if len(ids) == limit:
            break
        # This segment ended: if it gave nothing, the offset lay beyond it, by its size.
        offset = 0 if got else offset - _count(session, part, offset)
    return ids


def _planner_rows(session: Session, segment: Select) -> int | None:
    """PostgreSQL's estimate of the segment's rows (no row is read); None elsewhere."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return None
    compiled = segment.order_by(None).compile(bind, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _rounded(n: int) -> int:
    """n to two significant digits: 70,110 → 70,000."""
    return round(n, -max(0, len(str(n)) - 2))


def total(session: Session, parts: list[Select]) -> Total:
    """Exact up to EXACT_UP_TO (reading at most that many matches), else an estimate."""
    bound = EXACT_UP_TO
    left = bound + 1
    for part in parts:
        left -= _count(session, part, left)
    if left > 0:
        return Total(exact=bound + 1 - left, estimate=None, bound=bound)
    estimates = [_planner_rows(session, part) for part in parts]
    if None in estimates:
        return Total(exact=None, estimate=None, bound=bound)
    estimate = _rounded(sum(e for e in estimates if e is not None))
    return Total(exact=None, estimate=estimate if estimate > bound else None, bound=bound)


def queue_page(session: Session, filters: QueueFilters, page: int) -> QueuePage:
    """Page `page` (from 1) of the filtered queue, with the total."""
    parts = segments(filters)
    ids = page_ids(session, parts, (page - 1) * PAGE, PAGE + 1)
    return QueuePage(report_ids=ids[:PAGE], page=page, has_next=len(ids) > PAGE,
                     total=total(session, parts))
