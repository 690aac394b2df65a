"""The queue and the statistics at scale give the numbers the direct queries give.

The queue is read in segments with a capped count, the statistics from a per-day aggregate
refreshed at most every minute: on a small random data set (SQLite and PostgreSQL) the pages,
totals and figures equal those of plain queries, and a change made after the aggregate was
built is counted at the next refresh.
"""
from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, or_, select, text

from models.base import hour_now, utcnow
from models.lead import Lead, Transfer
from models.report import Report, StatusEvent
from models.stats import StatsRefresh
from models.vocabulary import CHANNELS, LEAD_DRAFT
from triage.services import queue as queue_service
from triage.services import stats_aggregate
from triage.services.queue import QueueFilters, queue_page
from triage.services.statistics import NO_LEAD, UNCLASSIFIED, dashboard

NOW = datetime(2024, 3, 20, 12, 0)
FIRST = datetime(2024, 1, 1)
AGENCIES = ("卫健委", "医保局", "市场监管局")
STATUSES = ("submitted", "accepted", "transferred", "closed")


def _report(session, received_at: datetime, channel: str = "网络", status: str = "submitted",
            triage_state: str = "done") -> Report:
    report = Report(channel=channel, received_at=received_at, status=status,
                    triage_state=triage_state, content_box=b"sealed")
    session.add(report)
    session.flush()
    return report


def _lead(session, report: Report, state: str = LEAD_DRAFT, agency: str = "卫健委",
          category: int | None = 1, priority: bool = False, accepted_at: datetime | None = None,
          closed_at: datetime | None = None) -> Lead:
    area = "ABCDEF"[category % 6] if category else None
    lead = Lead(report=report, state=state, model_version="test", in_scope=category is not None,
                in_scope_score=0.9, primary_category=category, area=area, suggestions=[],
                agency=agency, co_agencies=[], route_reasons=[], flags=[], priority=priority,
                entities_box=b"sealed", accepted_at=accepted_at, closed_at=closed_at)
    session.add(lead)
    session.flush()
    return lead


def _transfer(session, lead: Lead, handle_due: datetime, finished_at: datetime | None = None) -> None:
    session.add(Transfer(lead_id=lead.id, agency=lead.agency, role="lead",
                         accept_due=handle_due - timedelta(days=50), handle_due=handle_due,
                         finished_at=finished_at))


@pytest.fixture
def data(db_session):
    """About 240 reports from 1 January to 20 March 2024: draft leads (some priority), handled
    leads with transfers due around NOW, reports still being triaged; ties in received_at."""
    rng = random.Random(20240320)
    s = db_session
    for _ in range(240):
        received = FIRST + timedelta(hours=rng.randrange(int((NOW - FIRST).total_seconds() // 3600)))
        roll = rng.random()
        if roll < 0.12:  # no lead yet: triage pending, waiting for a model, or failed
            _report(s, received, rng.choice(CHANNELS[:4]),
                    triage_state=rng.choice(("pending", "awaiting", "failed")))
            continue
        report = _report(s, received, rng.choice(CHANNELS[:4]), rng.choice(STATUSES))
        category = rng.choice((1, 5, 17, 22, None))
        if roll < 0.65:
            _lead(s, report, agency=rng.choice(AGENCIES), category=category,
                  priority=rng.random() < 0.3)
            continue
        accepted = received + timedelta(hours=rng.randint(1, 200))
        closed = accepted + timedelta(hours=rng.randint(5, 900)) if rng.random() < 0.5 else None
        lead = _lead(s, report, state=rng.choice(("accepted", "transferred", "closed")),
                     agency=rng.choice(AGENCIES), category=category or 1, accepted_at=accepted,
                     closed_at=closed)
        for _ in range(rng.randint(0, 2)):
            due = NOW + timedelta(hours=rng.randint(-30 * 24, 8 * 24))
            _transfer(s, lead, due, due - timedelta(days=1) if rng.random() < 0.3 else None)
    # Due on the edges the live part counts: earlier today, later today, the last nearly-due day.
    edge = _lead(s, _report(s, datetime(2024, 2, 2, 9), status="transferred"), state="transferred",
                 agency="医保局", accepted_at=datetime(2024, 2, 3))
    for due in (NOW - timedelta(hours=1), NOW + timedelta(hours=2), NOW + timedelta(days=5),
                NOW + timedelta(days=5, seconds=1), NOW + timedelta(days=4, hours=23)):
        _transfer(s, edge, due)
    s.commit()
    return s


# --- the queue --------------------------------------------------------------------------------

def direct_queue(session, f: QueueFilters) -> list[int]:
    """The queue as one query, as the office read it before (join, filter, sort everything)."""
    query = (select(Report.id).outerjoin(Lead, Lead.report_id == Report.id)
             .where(or_(Lead.id.is_(None), Lead.state == LEAD_DRAFT)))
    for column, value in ((Report.status, f.status), (Report.channel, f.channel), (Lead.area, f.area),
                          (Lead.primary_category, f.category), (Lead.agency, f.agency)):
        if value is not None:
            query = query.where(column == value)
    if f.priority:
        query = query.where(Lead.priority.is_(True))
    if f.since:
        query = query.where(Report.received_at >= f.since)
    if f.until:
        query = query.where(Report.received_at < f.until)
    return list(session.scalars(query.order_by(Lead.priority.desc().nulls_last(),
                                               Report.received_at, Report.id)))


FILTERS = [
    QueueFilters(),
    QueueFilters(priority=True),
    QueueFilters(category=17),
    QueueFilters(agency="医保局"),
    QueueFilters(area="F"),
    QueueFilters(channel="电话"),
    QueueFilters(status="submitted"),
    QueueFilters(since=datetime(2024, 2, 1), until=datetime(2024, 3, 1)),
    QueueFilters(channel="网络", category=1, priority=True),
    QueueFilters(status="closed", since=datetime(2024, 3, 1)),
    QueueFilters(agency="税务局"),
]


def _all_pages(session, filters: QueueFilters) -> tuple[list[int], int]:
    """Every id of the queue, read page by page as the pager links them; and the pages."""
    shown, page = [], 1
    while True:
        found = queue_page(session, filters, page)
        shown.extend(found.report_ids)
        if not found.has_next:
            return shown, page
        page += 1


def test_queue_pages_and_total_equal_the_direct_query(data, monkeypatch):
    monkeypatch.setattr(queue_service, "PAGE", 7)  # page boundaries fall inside segments
    for filters in FILTERS:
        expected = direct_queue(data, filters)
        shown, pages = _all_pages(data, filters)
        assert shown == expected, filters
        first = queue_page(data, filters, 1)
        assert first.total.exact == len(expected) and first.pages == pages, filters
        beyond = queue_page(data, filters, pages + 3)  # an offset past whole segments
        assert beyond.report_ids == [] and not beyond.has_next, filters
    assert len(direct_queue(data, FILTERS[0])) > 7 * 10  # enough to page through


def test_queue_jumps_straight_to_a_page(data, monkeypatch):
    monkeypatch.setattr(queue_service, "PAGE", 5)
    expected = direct_queue(data, QueueFilters())
    for page in (1, 4, 9, 17, len(expected) // 5 + 1):
        assert queue_page(data, QueueFilters(), page).report_ids == expected[(page - 1) * 5:page * 5]


def test_queue_total_above_the_bound_is_an_estimate(data, monkeypatch):
    monkeypatch.setattr(queue_service, "EXACT_UP_TO", 20)
    expected = len(direct_queue(data, QueueFilters()))
    postgres = data.get_bind().dialect.name == "postgresql"
    if postgres:
        data.execute(text("ANALYZE"))
    total = queue_page(data, QueueFilters(), 1).total
    assert total.exact is None and total.bound == 20
    if postgres:  # the planner's figure, rounded; never one at or below the bound
        assert total.estimate is not None and 20 < total.estimate
        assert expected / 2 <= total.estimate <= expected * 2
    else:  # SQLite cannot estimate: the page says "more than 20"
        assert total.estimate is None
    few = queue_page(data, QueueFilters(category=22, priority=True), 1).total
    assert few.exact == len(direct_queue(data, QueueFilters(category=22, priority=True))) <= 20


def test_rounded_estimates():
    assert [queue_service._rounded(n) for n in (7, 70_110, 7_113, 34_624, 999)] == [
        7, 70_000, 7_100, 35_000, 1_000]


def test_queue_page_says_about_how_many_and_pages_on(login, db_session, monkeypatch):
    monkeypatch.setattr(queue_service, "PAGE", 2)
    monkeypatch.setattr(queue_service, "EXACT_UP_TO", 3)
    for hour, channel in enumerate(("网络", "电话", "网络", "电话", "网络")):
        _report(db_session, datetime(2024, 3, 1, hour), channel, triage_state="pending")
    db_session.commit()
    officer = login("triage")
    page = officer.get("/").get_data(as_text=True)
    assert ("超过 3 件" in page or "约 " in page) and "共 " not in page
    assert "第 1 页" in page and "下一页" in page and "上一页" not in page
    last = officer.get("/?page=3").get_data(as_text=True)
    assert "上一页" in last and "下一页" not in last and last.count('href="/reports/') == 1
    narrow = officer.get("/?from=2024-03-01&to=2024-03-01&channel=电话").get_data(as_text=True)
    assert "共 2 件" in narrow and "第 1 / 1 页" in narrow and "下一页" not in narrow


def test_a_lead_copies_its_reports_received_at(db_session):
    report = _report(db_session, datetime(2024, 2, 29, 23))
    lead = _lead(db_session, report)  # ORM, through the relationship
    other = _report(db_session, datetime(2024, 3, 1, 0))
    db_session.execute(insert(Lead), [{  # Core, with the report id only
        "report_id": other.id, "model_version": "t", "in_scope": True, "in_scope_score": 1.0,
        "suggestions": [], "agency": "卫健委", "co_agencies": [], "route_reasons": [], "flags": [],
        "entities_box": b"x"}])
    db_session.commit()
    assert lead.report_received_at == datetime(2024, 2, 29, 23)
    copied = db_session.scalar(select(Lead.report_received_at).where(Lead.report_id == other.id))
    assert copied == datetime(2024, 3, 1, 0)


# --- the statistics ---------------------------------------------------------------------------

def direct_figures(session, start: date, end: date, agency: str | None, now: datetime) -> dict:
    """The dashboard's figures counted in Python from every row: the reference."""
    since, until = datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time()) + timedelta(days=1)
    leads = {lead.report_id: lead for lead in session.scalars(select(Lead))}
    reports = [r for r in session.scalars(select(Report)) if since <= r.received_at < until
               and (agency is None or (r.id in leads and leads[r.id].agency == agency))]
    mine = [leads[r.id] for r in reports if r.id in leads]
    received = {r.id: r.received_at for r in reports}
    accept = [(lead.accepted_at - received[lead.report_id]).total_seconds() / 86400
              for lead in mine if lead.accepted_at]
    close = [(lead.closed_at - lead.accepted_at).total_seconds() / 86400
             for lead in mine if lead.accepted_at and lead.closed_at]
    open_dues = [t.handle_due for t in session.scalars(select(Transfer))
                 if t.finished_at is None and t.lead_id in {lead.id for lead in mine}]
    return {
        "total": len(reports),
        "status": Counter(r.status for r in reports),
        "channel": Counter(r.channel for r in reports),
        "month": Counter(f"{r.received_at:%Y-%m}" for r in reports),
        "area": Counter((leads[r.id].area if r.id in leads else None) or UNCLASSIFIED for r in reports),
        "category": Counter(lead.primary_category for lead in mine if lead.primary_category),
        "agency": Counter(leads[r.id].agency if r.id in leads else NO_LEAD for r in reports),
        "accept": (len(accept), statistics.fmean(accept) if accept else None,
                   statistics.median(accept) if accept else None),
        "close": (len(close), statistics.fmean(close) if close else None,
                  statistics.median(close) if close else None),
        "overdue": sum(1 for due in open_dues if due < now),
        "nearly": sum(1 for due in open_dues if now <= due <= now + timedelta(days=5)),
    }


def _nonzero(counts: dict) -> dict:
    return {k: v for k, v in counts.items() if v}


def assert_matches(board, expected: dict) -> None:
    assert board.total == expected["total"]
    assert _nonzero(board.by_status) == _nonzero(expected["status"])
    assert _nonzero(board.by_channel) == _nonzero(expected["channel"])
    assert _nonzero(board.by_month) == _nonzero(expected["month"])
    assert _nonzero(board.by_area) == _nonzero(expected["area"])
    assert _nonzero(board.by_category) == _nonzero(expected["category"])
    assert _nonzero(board.by_agency) == _nonzero(expected["agency"])
    for got, (count, mean, median) in ((board.to_accept, expected["accept"]),
                                       (board.to_close, expected["close"])):
        assert got.count == count
        assert got.mean == (pytest.approx(mean, abs=1e-3) if mean is not None else None)
        assert got.median == (pytest.approx(median, abs=1e-3) if median is not None else None)
    assert (board.overdue_transfers, board.nearly_due_transfers) == (expected["overdue"], expected["nearly"])


RANGES = [(date(2024, 1, 1), date(2024, 3, 31)), (date(2024, 2, 2), date(2024, 2, 2)),
          (date(2024, 1, 15), date(2024, 3, 19)), (date(2023, 12, 1), date(2024, 1, 10))]


def test_aggregated_statistics_equal_the_direct_figures(data):
    for agency in (None, *AGENCIES, "税务局"):
        for start, end in RANGES:
            board = dashboard(data, start, end, agency=agency, now=NOW)
            assert_matches(board, direct_figures(data, start, end, agency, NOW))
    later = NOW + timedelta(days=3, hours=7)  # other edges of today and of the fifth day
    assert_matches(dashboard(data, *RANGES[0], now=later), direct_figures(data, *RANGES[0], None, later))


def _age_the_aggregate(session, by: timedelta = stats_aggregate.REFRESH_EVERY) -> None:
    """As if the last refresh had happened `by` earlier."""
    state = session.get(StatsRefresh, 1)
    state.refreshed_at -= by
    session.commit()


def test_a_report_accepted_after_the_aggregate_was_built_counts_at_the_next_refresh(data):
    before = dashboard(data, *RANGES[0], now=NOW)
    lead = data.scalars(select(Lead).where(Lead.state == LEAD_DRAFT, Lead.agency == "卫健委")
                        .order_by(Lead.id)).first()
    report = lead.report
    was = report.status
    # What accept_lead does: the lead accepted (perhaps to another agency), a public status.
    lead.state, lead.accepted_at, lead.agency, lead.primary_category = "accepted", NOW, "医保局", 22
    report.events.append(StatusEvent(status="accepted", at=utcnow()))
    report.status = "accepted"
    data.commit()

    stale = dashboard(data, *RANGES[0], now=NOW)  # within a minute of the build: not yet
    assert stale.counted_at == before.counted_at
    assert stale.by_status == before.by_status and stale.by_agency == before.by_agency

    _age_the_aggregate(data)
    after = dashboard(data, *RANGES[0], now=NOW)
    assert after.counted_at > before.counted_at
    assert after.by_status["accepted"] == before.by_status["accepted"] + (was != "accepted")
    assert after.by_agency["医保局"] == before.by_agency["医保局"] + 1
    assert after.to_accept.count == before.to_accept.count + 1  # durations are read live
    assert_matches(after, direct_figures(data, *RANGES[0], None, NOW))
    assert_matches(dashboard(data, *RANGES[0], agency="医保局", now=NOW),
                   direct_figures(data, *RANGES[0], "医保局", NOW))


def test_new_reports_and_finished_transfers_count_at_the_next_refresh(data):
    dashboard(data, *RANGES[0], now=NOW)
    fresh = _report(data, hour_now())  # as the portal stores it
    backdated = _report(data, datetime(2024, 2, 10, 8), channel="来访")  # entered later, older
    _lead(data, backdated, agency="市场监管局", category=5)
    done = data.scalars(select(Transfer).where(Transfer.finished_at.is_(None)).order_by(Transfer.id)).first()
    done.finished_at = NOW
    data.commit()
    _age_the_aggregate(data)
    assert_matches(dashboard(data, *RANGES[0], now=NOW), direct_figures(data, *RANGES[0], None, NOW))
    today = hour_now().date()
    assert dashboard(data, today, today).total == 1 and fresh.id


def test_a_change_stamped_just_before_the_refresh_but_committed_after_it_counts(data):
    """A transaction stamps updated_at when it writes and commits later: the refresh after
    the one it missed looks back MARGIN and counts it."""
    board = dashboard(data, *RANGES[0], now=NOW)
    lead = data.scalars(select(Lead).where(Lead.state == LEAD_DRAFT).order_by(Lead.id)).first()
    lead.primary_category = 31
    data.flush()
    stamp = board.counted_at - timedelta(seconds=30)  # written before that refresh began
    data.execute(Lead.__table__.update().where(Lead.__table__.c.id == lead.id).values(updated_at=stamp))
    data.commit()
    assert dashboard(data, *RANGES[0], now=NOW, max_age=timedelta(0)).by_category[31] == 1
