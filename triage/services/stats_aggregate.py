"""Keeps the statistics aggregate (models.stats) up to date, and reads it.

A refresh looks for the received days whose figures may have changed since the last one, and
counts those days again from the reports, leads and transfers:

- new reports: those with a higher id than the newest one counted last time, and, for one
  that took its id earlier but committed later, those received since the hour of the last
  refresh (received_at is rounded down to the hour, P4);
- status changes: status_events.at (the office sets a status at the exact time);
- lead changes (drafted, accepted, categories, agency, closed): leads.updated_at;
- transfers made, finished or extended: transfers.changed_at.

Changes stamped up to MARGIN before the last refresh are looked at again: a transaction
stamps its rows when it writes them and may commit a little later, and the office and the
workers may not share a clock. A refresh runs at most every REFRESH_EVERY, when the page is
read, so the counts may be that old; the first one (after migration 0004) counts every day.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, Select, delete, func, insert, select, text, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models.base import utcnow
from models.lead import Lead, Transfer
from models.report import Report, StatusEvent
from models.stats import ALL_AGENCIES, StatsDay, StatsRefresh

REFRESH_EVERY = timedelta(minutes=1)
MARGIN = timedelta(minutes=5)
SPAN = timedelta(days=366)  # a full rebuild counts at most this many days per statement
LOCK_KEY = 0x71_66_73_74  # PostgreSQL advisory lock held while refreshing ("qfst")

STATUS, CHANNEL, AREA, CATEGORY, AGENCY, DUE = "status", "channel", "area", "category", "agency", "due"


class day_of(FunctionElement):
    """`day_of(t)`: the calendar day of a stored (naive UTC) datetime, as a DATE."""

    type = Date()
    name = "day_of"
    inherit_cache = True


@compiles(day_of)
def _day_of_default(element: day_of, compiler: SQLCompiler, **kw: object) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: SQLCompiler, **kw: object) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


def _as_date(value: object) -> date:
    """A DATE from the database (SQLite's date() gives text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- counting days ----------------------------------------------------------------------------

def _report_rows(session: Session, since: datetime, until: datetime) -> list[tuple]:
    """(day, lead agency, status, channel, area, category, n) for the reports received in
    [since, until); lead columns are None for a report without a lead."""
    day = day_of(Report.received_at)
    columns = (day, Lead.agency, Report.status, Report.channel, Lead.area, Lead.primary_category)
    return [tuple(row) for row in session.execute(
        select(*columns, func.count()).select_from(Report)
        .outerjoin(Lead, Lead.report_id == Report.id)
        .where(Report.received_at >= since, Report.received_at < until)
        .group_by(*columns))]


def unfinished_transfers(*columns: object) -> Select:
    """SELECT columns FROM the unfinished transfers JOIN their leads. Only accepted leads are
    transferred (transfer_lead requires it): saying so lets the database find the leads of
    some received days through ix_leads_durations."""
    return (select(*columns).select_from(Transfer).join(Lead, Transfer.lead_id == Lead.id)
            .where(Transfer.finished_at.is_(None), Lead.accepted_at.is_not(None)))


def _due_rows(session: Session, since: datetime, until: datetime) -> list[tuple]:
    """(day received, lead agency, day due, n) of the unfinished transfers of those reports."""
    columns = (day_of(Lead.report_received_at), Lead.agency, day_of(Transfer.handle_due))
    return [tuple(row) for row in session.execute(
        unfinished_transfers(*columns, func.count())
        .where(Lead.report_received_at >= since, Lead.report_received_at < until)
        .group_by(*columns))]


def _fold(report_rows: list[tuple], due_rows: list[tuple]) -> list[dict]:
    """StatsDay rows: each report counted once in the scope of all reports and once in the
    scope of its lead agency (if it has a lead)."""
    counts: Counter = Counter()
    for day, agency, status, channel, area, category, n in report_rows:
        keys = {STATUS: status, CHANNEL: channel, AREA: area or "", AGENCY: agency or ""}
        if category is not None:
            keys[CATEGORY] = str(category)
        for scope in (ALL_AGENCIES, agency) if agency else (ALL_AGENCIES,):
            for measure, key in keys.items():
                counts[scope, measure, _as_date(day), key] += n
    for day, agency, due, n in due_rows:
        for scope in (ALL_AGENCIES, agency):
            counts[scope, DUE, _as_date(day), _as_date(due).isoformat()] += n
    return [{"scope": s, "measure": m, "day": d, "key": k, "count": n}
            for (s, m, d, k), n in counts.items()]


def _spans(days: set[date]) -> list[tuple[date, date]]:
    """Runs of consecutive days as (first, last) pairs, none longer than SPAN."""
    spans: list[tuple[date, date]] = []
    for day in sorted(days):
        if spans and day - spans[-1][1] == timedelta(days=1) and day - spans[-1][0] < SPAN:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def recount(session: Session, days: set[date]) -> None:
    """Count the given received days again, replacing their rows."""
    for first, last in _spans(days):
        since = datetime.combine(first, datetime.min.time())
        until = datetime.combine(last + timedelta(days=1), datetime.min.time())
        session.execute(delete(StatsDay).where(StatsDay.day >= first, StatsDay.day <= last))
        rows = _fold(_report_rows(session, since, until), _due_rows(session, since, until))
        if rows:
            session.execute(insert(StatsDay.__table__), rows)  # Core: no ORM bookkeeping


# --- what changed -----------------------------------------------------------------------------

def changed_days(session: Session, since: datetime, last_report_id: int) -> set[date]:
    """Received days whose figures may have changed at or after `since`, or of reports newer
    than `last_report_id`."""
    hour = since.replace(minute=0, second=0, microsecond=0)
    received = union(
        select(Report.received_at).where(Report.id > last_report_id),
        select(Report.received_at).where(Report.received_at >= hour),
        select(Report.received_at).join(StatusEvent, StatusEvent.report_id == Report.id)
        .where(StatusEvent.at >= hour),  # stored to the hour: compared to the hour
        select(Lead.report_received_at).where(Lead.updated_at >= hour),
        select(Lead.report_received_at).join(Transfer, Transfer.lead_id == Lead.id)
        .where(Transfer.changed_at >= since),
    ).subquery()
    return {at.date() for at in session.scalars(select(received.c[0]))}


def all_days(session: Session) -> set[date]:
    """Every day from the first report received to today."""
    first = session.scalar(select(func.min(Report.received_at)))
    if first is None:
        return set()
    day, today, days = first.date(), utcnow().date(), set()
    while day <= today:
        days.add(day)
        day += timedelta(days=1)
    return days


# --- refreshing -------------------------------------------------------------------------------

def _lock(session: Session) -> None:
    """One refresh at a time: PostgreSQL waits on an advisory lock; SQLite has one writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def refresh(session: Session, max_age: timedelta = timedelta(0)) -> datetime:
    """Bring the aggregate up to date unless it was refreshed less than `max_age` ago; returns
    the time up to which changes are counted. Runs in the caller's transaction."""
    _lock(session)
    state = session.get(StatsRefresh, 1, populate_existing=True)
    started = utcnow()
    if state is not None and started - state.refreshed_at < max_age:
        return state.refreshed_at
    newest = session.scalar(select(func.max(Report.id))) or 0
    if state is None:
        session.execute(delete(StatsDay))
        days = all_days(session)
        session.add(StatsRefresh(id=1, refreshed_at=started, last_report_id=newest))
    else:
        days = changed_days(session, state.refreshed_at - MARGIN, state.last_report_id)
        state.refreshed_at, state.last_report_id = started, newest
    recount(session, days)
    session.flush()
    return started


def fresh(session: Session, max_age: timedelta = REFRESH_EVERY) -> datetime:
    """The aggregate's time, refreshing it first (in a transaction of its own, committed) if it
    is older than `max_age`."""
    refreshed_at = session.scalar(select(StatsRefresh.refreshed_at).where(StatsRefresh.id == 1))
    if refreshed_at is not None and utcnow() - refreshed_at < max_age:
        return refreshed_at
    with Session(bind=session.get_bind()) as own, own.begin():
        return refresh(own, max_age)


# --- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    """The aggregate summed over a range of received days, for one scope."""

    by_measure: dict[str, list[tuple[str, int]]]  # measure -> [(key, n)], DUE excluded
    by_day: list[tuple[date, int]]  # reports received per day
    due: list[tuple[date, int]]  # unfinished transfers per day due


def totals(session: Session, first: date, last: date, agency: str | None) -> Totals:
    """Sums of the rows of days first..last (both included) in the scope of `agency`."""
    scope = agency or ALL_AGENCIES
    in_range = (StatsDay.scope == scope, StatsDay.day >= first, StatsDay.day <= last)
    by_measure: dict[str, list[tuple[str, int]]] = {}
    for measure, key, n in session.execute(
            select(StatsDay.measure, StatsDay.key, func.sum(StatsDay.count))
            .where(*in_range, StatsDay.measure != DUE).group_by(StatsDay.measure, StatsDay.key)):
        by_measure.setdefault(measure, []).append((key, int(n)))
    by_day = [(_as_date(d), int(n)) for d, n in session.execute(
        select(StatsDay.day, func.sum(StatsDay.count))
        .where(*in_range, StatsDay.measure == STATUS).group_by(StatsDay.day))]
    due = [(date.fromisoformat(k), int(n)) for k, n in session.execute(
        select(StatsDay.key, func.sum(StatsDay.count))
        .where(*in_range, StatsDay.measure == DUE).group_by(StatsDay.key))]
    return Totals(by_measure, by_day, due)
