"""Dashboard statistics for supervisors: what came in, where it went, how fast it moved.

Every number describes one population: the reports received in [start, end] (whole days,
stored UTC), optionally narrowed to the leads of one lead agency. Counts by status, channel,
month, area, category and agency, and the overdue transfers before today, are sums of the
per-day aggregate (`stats_aggregate`: a few hundred rows a month instead of every report; at
most REFRESH_EVERY old). Durations and the transfers falling due today or within the next days
are read live, from indexes that hold what they need (`ix_leads_durations`, transfers by
handle_due); medians come from an ORDER BY … OFFSET lookup that returns one or two rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Float, Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from config.data import AGENCIES, AREA_CODES, CATEGORY_COUNT, load_taxonomy
from models.base import utcnow
from models.lead import Lead, Transfer
from models.vocabulary import CHANNELS, PUBLIC_STATUSES
from triage.services import stats_aggregate as aggregate

UNCLASSIFIED = "未分类"  # area of a report with no lead, or a lead without an area
NO_LEAD = "无线索"  # lead-agency bucket for reports the triage has not turned into a lead
NEARLY_DUE_DAYS = 5


class days_between(FunctionElement):  # noqa: N801 - reads like the SQL function it stands for
    """`days_between(a, b)`: the days (with fractions) from datetime `a` to datetime `b`.

    Compiled per dialect, since SQLite has no interval type and PostgreSQL no julianday().
    """

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element: days_between, compiler: SQLCompiler, **kw: object) -> str:
    # PostgreSQL (and other databases with interval arithmetic).
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: object) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


@dataclass(frozen=True)
class Durations:
    """How long a step took, in days, over the leads that completed it (None when none did)."""

    count: int
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's numbers. Count mappings list every known key (zero when nothing matched)
    in display order; unknown values found in the database are appended."""

    start: date
    end: date
    agency: str | None
    now: datetime
    total: int
    by_area: dict[str, int]  # "A".."F", then UNCLASSIFIED
    by_category: dict[int, int]  # primary category 1..32 (reports without one are not counted)
    by_agency: dict[str, int]  # lead agency; NO_LEAD when some reports have no lead
    by_channel: dict[str, int]
    by_month: dict[str, int]  # "YYYY-MM", every month of the range
    by_status: dict[str, int]  # public status code ("submitted", …), see status_items()
    to_accept: Durations  # report received → lead accepted
    to_close: Durations  # lead accepted → lead closed (销号)
    overdue_transfers: int  # unfinished, handle_due < now
    nearly_due_transfers: int  # unfinished, now <= handle_due <= now + NEARLY_DUE_DAYS
    counted_at: datetime | None = None  # changes up to then are in the counts (the aggregate)

    def area_items(self) -> list[tuple[str, int]]:
        """(area code and title, count) pairs for a chart."""
        taxonomy = load_taxonomy()
        return [(f"{code} {taxonomy.area(code).title}" if code in AREA_CODES else code, n)
                for code, n in self.by_area.items()]

    def category_items(self) -> list[tuple[str, int]]:
        """(category number and short title, count) pairs for a chart."""
        taxonomy = load_taxonomy()
        return [(f"{i} {taxonomy.category(i).title}" if 1 <= i <= CATEGORY_COUNT else str(i), n)
                for i, n in self.by_category.items()]

    def status_items(self) -> list[tuple[str, int]]:
        """(public status in Chinese, count) pairs for a chart."""
        return [(PUBLIC_STATUSES.get(code, code), n) for code, n in self.by_status.items()]

    def agency_items(self) -> list[tuple[str, int]]:
        return list(self.by_agency.items())

    def channel_items(self) -> list[tuple[str, int]]:
        return list(self.by_channel.items())

    def month_items(self) -> list[tuple[str, int]]:
        return list(self.by_month.items())


def _naive_utc(moment: datetime) -> datetime:
    """Stored datetimes are naive UTC; convert an aware `now` to match."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _filled(known: tuple, rows: list[tuple[object, int]]) -> dict:
    """Counts for every known key in order (zero if absent), then any unexpected keys."""
    counts = dict.fromkeys(known, 0)
    for key, n in rows:
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def _months(start: date, end: date) -> list[str]:
    """Every "YYYY-MM" from start's month to end's month."""
    year, month, out = start.year, start.month, []
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


class _Scope:
    """The filter shared by every live query: the leads of the reports received in range
    (leads.report_received_at is the report's received_at), optionally of one lead agency."""

    def __init__(self, start: date, end: date, agency: str | None) -> None:
        self.since = datetime.combine(start, time())
        self.until = datetime.combine(end + timedelta(days=1), time())  # exclusive
        self.agency = agency

    def restrict(self, stmt: Select) -> Select:
        stmt = stmt.where(Lead.report_received_at >= self.since, Lead.report_received_at < self.until)
        if self.agency is not None:
            stmt = stmt.where(Lead.agency == self.agency)
        return stmt


def _durations(session: Session, scope: _Scope) -> tuple[Durations, Durations]:
    """Received → accepted and accepted → closed, in days, over the leads where both ends are
    set: count and mean in one aggregate query, medians by ordered lookups. Every lead read is
    accepted, which is the condition of ix_leads_durations: the index holds all they need."""
    steps = ((Lead.report_received_at, Lead.accepted_at), (Lead.accepted_at, Lead.closed_at))
    spans = [days_between(begin, finish) for begin, finish in steps]

    def accepted(*columns: object) -> Select:
        return scope.restrict(select(*columns).where(Lead.accepted_at.is_not(None)))

    # COUNT(expr) and AVG(expr) skip NULLs, and a span is NULL when either end is.
    aggregates = session.execute(accepted(*(f(span) for span in spans for f in (func.count, func.avg)))).one()
    results = []
    for i, span in enumerate(spans):
        count, mean = int(aggregates[2 * i] or 0), aggregates[2 * i + 1]
        if not count:
            results.append(Durations(0, None, None))
            continue
        # The median: the middle value (odd count) or the two middle values (even count),
        # found by the database through ORDER BY … OFFSET; only one or two rows come back.
        middle = session.scalars(
            accepted(span).where(span.is_not(None)).order_by(span)
            .offset((count - 1) // 2).limit(2 - count % 2)
        ).all()
        median = sum(float(v) for v in middle) / len(middle)
        results.append(Durations(count, round(float(mean), 4), round(median, 4)))
    return results[0], results[1]


def _due_live(session: Session, scope: _Scope, since: datetime, until: datetime,
              through: bool = False) -> int:
    """Unfinished transfers of the leads in scope with since <= handle_due < until (<= until
    when `through`): a day or two of due dates, read through ix_transfers_handle_due."""
    end = Transfer.handle_due <= until if through else Transfer.handle_due < until
    stmt = aggregate.unfinished_transfers(func.count()).where(Transfer.handle_due >= since, end)
    return session.scalar(scope.restrict(stmt)) or 0


def _transfers_due(session: Session, scope: _Scope, due: list[tuple[date, int]], now: datetime,
                   nearly_days: int) -> tuple[int, int]:
    """(overdue, nearly due) unfinished transfers of the leads in scope. Whole days before today
    and between today and the last nearly-due day come from the aggregate (`due`: transfers
    per day due); today and that last day, cut at a time of day, are read live."""
    soon = now + timedelta(days=nearly_days)
    today, last = now.date(), soon.date()
    midnight, last_midnight = datetime.combine(today, time()), datetime.combine(last, time())
    overdue = sum(n for day, n in due if day < today) + _due_live(session, scope, midnight, now)
    if last == today:
        return overdue, _due_live(session, scope, now, soon, through=True)
    nearly = (_due_live(session, scope, now, midnight + timedelta(days=1))
              + sum(n for day, n in due if today < day < last)
              + _due_live(session, scope, last_midnight, soon, through=True))
    return overdue, nearly


def _by_month(start: date, end: date, by_day: list[tuple[date, int]]) -> dict[str, int]:
    return _filled(tuple(_months(start, end)), [(f"{day.year:04d}-{day.month:02d}", n) for day, n in by_day])


def dashboard(session: Session, start: date, end: date, agency: str | None = None,
              now: datetime | None = None, nearly_days: int = NEARLY_DUE_DAYS,
              max_age: timedelta = aggregate.REFRESH_EVERY) -> Dashboard:
    """The statistics of the reports received from `start` to `end` (both days included).

    `agency` keeps only reports whose lead has that lead agency. Overdue and nearly-due
    transfers are those of the same reports, measured at `now` (default: the current UTC time).
    The counts come from the aggregate, refreshed first if older than `max_age`.
    """
    if isinstance(start, datetime):
        start = start.date()
    if isinstance(end, datetime):
        end = end.date()
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    now = _naive_utc(now) if now is not None else utcnow()
    scope = _Scope(start, end, agency)
    counted_at = aggregate.fresh(session, max_age)
    sums = aggregate.totals(session, start, end, agency)
    counts = sums.by_measure

    by_status = _filled(tuple(PUBLIC_STATUSES), counts.get(aggregate.STATUS, []))
    by_area = _filled(AREA_CODES + (UNCLASSIFIED,),
                      [(code or UNCLASSIFIED, n) for code, n in counts.get(aggregate.AREA, [])])
    by_agency = _filled(AGENCIES, [(name or NO_LEAD, n) for name, n in counts.get(aggregate.AGENCY, [])])
    if not by_agency.get(NO_LEAD):
        by_agency.pop(NO_LEAD, None)
    to_accept, to_close = _durations(session, scope)
    overdue, nearly = _transfers_due(session, scope, sums.due, now, nearly_days)
    return Dashboard(
        start=start, end=end, agency=agency, now=now,
        total=sum(by_status.values()),
        by_area=by_area,
        by_category=_filled(tuple(range(1, CATEGORY_COUNT + 1)),
                            [(int(c), n) for c, n in counts.get(aggregate.CATEGORY, [])]),
        by_agency=by_agency,
        by_channel=_filled(CHANNELS, counts.get(aggregate.CHANNEL, [])),
        by_month=_by_month(start, end, sums.by_day),
        by_status=by_status,
        to_accept=to_accept, to_close=to_close,
        overdue_transfers=overdue, nearly_due_transfers=nearly, counted_at=counted_at,
    )
