"""Dashboard statistics (counted by the database, on SQLite and PostgreSQL) and SVG charts."""
from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from models.lead import Lead, Transfer
from models.report import Report
from triage.charts import EMPTY_TEXT, bar_chart, line_chart
from triage.services.statistics import NO_LEAD, UNCLASSIFIED, dashboard

SVG = "{http://www.w3.org/2000/svg}"
JAN, MAR = date(2024, 1, 1), date(2024, 3, 31)
NOW = datetime(2024, 3, 20, 12, 0)


def add_report(session, channel: str, received_at: datetime, status: str = "submitted") -> Report:
    report = Report(channel=channel, received_at=received_at, status=status,
                    content_box=b"sealed")
    session.add(report)
    session.flush()
    return report


def add_lead(session, report: Report, agency: str, area: str | None = None,
             category: int | None = None, accepted_at: datetime | None = None,
             closed_at: datetime | None = None) -> Lead:
    lead = Lead(report_id=report.id, model_version="test", in_scope=area is not None,
                in_scope_score=0.9, primary_category=category, area=area, suggestions=[],
                agency=agency, co_agencies=[], route_reasons=[], flags=[],
                entities_box=b"sealed", accepted_at=accepted_at, closed_at=closed_at)
    session.add(lead)
    session.flush()
    return lead


def add_transfer(session, lead: Lead, handle_due: datetime, agency: str | None = None,
                 finished_at: datetime | None = None) -> Transfer:
    transfer = Transfer(lead_id=lead.id, agency=agency or lead.agency, role="lead",
                        accept_due=handle_due - timedelta(days=30), handle_due=handle_due,
                        finished_at=finished_at)
    session.add(transfer)
    session.flush()
    return transfer


@pytest.fixture
def data(db_session):
    """Six reports in Q1 2024 (one on the last hour of 31 March), two just outside it."""
    s = db_session
    r1 = add_report(s, "网络", datetime(2024, 1, 5, 10), "accepted")
    l1 = add_lead(s, r1, "卫健委", "A", 1, datetime(2024, 1, 7, 10), datetime(2024, 1, 17, 10))
    r2 = add_report(s, "电话", datetime(2024, 1, 20, 8), "transferred")
    l2 = add_lead(s, r2, "医保局", "D", 17, datetime(2024, 1, 24, 8))
    r3 = add_report(s, "网络", datetime(2024, 2, 10, 0), "closed")
    l3 = add_lead(s, r3, "医保局", "D", 17, datetime(2024, 2, 16, 0), datetime(2024, 2, 20, 0))
    r4 = add_report(s, "来访", datetime(2024, 2, 28, 12))
    add_lead(s, r4, "卫健委")  # out of scope: no area, no category, never accepted
    add_report(s, "网络", datetime(2024, 3, 31, 23))  # no lead yet
    r6 = add_report(s, "信件/邮箱", datetime(2024, 3, 15, 6), "rejected")
    l6 = add_lead(s, r6, "市场监管局", "E", 22, datetime(2024, 3, 16, 18), datetime(2024, 3, 17, 6))
    r7 = add_report(s, "网络", datetime(2023, 12, 31, 23), "accepted")
    l7 = add_lead(s, r7, "卫健委", "A", 1, datetime(2024, 1, 2, 0))
    r8 = add_report(s, "电话", datetime(2024, 4, 1, 0), "accepted")
    add_lead(s, r8, "医保局", "D", 19, datetime(2024, 4, 2, 0), datetime(2024, 4, 3, 0))

    add_transfer(s, l2, datetime(2024, 3, 10))  # overdue
    add_transfer(s, l2, datetime(2024, 3, 22), agency="卫健委")  # nearly due (a co-agency copy)
    add_transfer(s, l3, datetime(2024, 3, 1), finished_at=datetime(2024, 2, 28))  # finished
    add_transfer(s, l1, NOW + timedelta(days=5))  # nearly due, on the edge
    add_transfer(s, l1, NOW - timedelta(hours=1))  # overdue by an hour
    add_transfer(s, l6, datetime(2024, 4, 30))  # not due yet
    add_transfer(s, l7, datetime(2024, 1, 15))  # overdue, but its report is outside the range
    s.commit()
    return s


def test_counts_over_the_whole_range(data):
    board = dashboard(data, JAN, MAR, now=NOW)
    assert board.total == 6
    assert board.by_area == {"A": 1, "B": 0, "C": 0, "D": 2, "E": 1, "F": 0, UNCLASSIFIED: 2}
    assert list(board.by_category) == list(range(1, 33))
    assert {k: v for k, v in board.by_category.items() if v} == {1: 1, 17: 2, 22: 1}
    assert {k: v for k, v in board.by_agency.items() if v} == {
        "卫健委": 2, "医保局": 2, "市场监管局": 1, NO_LEAD: 1}
    assert {k: v for k, v in board.by_channel.items() if v} == {
        "网络": 3, "电话": 1, "来访": 1, "信件/邮箱": 1}
    assert board.by_month == {"2024-01": 2, "2024-02": 2, "2024-03": 2}
    assert board.by_status == {"submitted": 2, "accepted": 1, "rejected": 1, "transferred": 1,
                               "in_progress": 0, "extended": 0, "closed": 1}


def test_mean_and_median_days(data):
    board = dashboard(data, JAN, MAR, now=NOW)
    # Received → accepted: 2, 4, 6 and 1.5 days; accepted → closed: 10, 4 and 0.5 days.
    assert board.to_accept.count == 4
    assert board.to_accept.mean == pytest.approx(3.375, abs=1e-3)
    assert board.to_accept.median == pytest.approx(3.0, abs=1e-3)
    assert board.to_close.count == 3
    assert board.to_close.mean == pytest.approx(14.5 / 3, abs=1e-3)
    assert board.to_close.median == pytest.approx(4.0, abs=1e-3)


def test_date_range_is_inclusive_by_day(data):
    feb = dashboard(data, date(2024, 2, 1), date(2024, 2, 29), now=NOW)
    assert feb.total == 2
    assert feb.by_month == {"2024-02": 2}
    assert feb.by_channel["网络"] == 1 and feb.by_channel["来访"] == 1
    assert feb.to_accept.count == 1 and feb.to_accept.median == pytest.approx(6.0, abs=1e-3)
    last_day = dashboard(data, MAR, MAR, now=NOW)
    assert last_day.total == 1 and last_day.by_agency[NO_LEAD] == 1  # 23:00 on the end day
    wider = dashboard(data, date(2023, 12, 31), date(2024, 4, 1), now=NOW)
    assert wider.total == 8
    assert list(wider.by_month) == ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]
    with pytest.raises(ValueError):
        dashboard(data, MAR, JAN)


def test_agency_filter(data):
    board = dashboard(data, JAN, MAR, agency="医保局", now=NOW)
    assert board.total == 2
    assert board.by_area["D"] == 2 and sum(board.by_area.values()) == 2
    assert board.by_category[17] == 2
    assert board.by_agency["医保局"] == 2 and NO_LEAD not in board.by_agency
    assert board.by_status["transferred"] == 1 and board.by_status["closed"] == 1
    assert board.to_accept.mean == pytest.approx(5.0, abs=1e-3)
    assert board.to_accept.median == pytest.approx(5.0, abs=1e-3)
    assert (board.to_close.count, board.to_close.median) == (1, pytest.approx(4.0, abs=1e-3))
    nobody = dashboard(data, JAN, MAR, agency="税务局", now=NOW)
    assert nobody.total == 0 and nobody.to_accept.mean is None and nobody.to_close.median is None


def test_overdue_and_nearly_due_transfers(data):
    board = dashboard(data, JAN, MAR, now=NOW)
    assert (board.overdue_transfers, board.nearly_due_transfers) == (2, 2)
    health = dashboard(data, JAN, MAR, agency="卫健委", now=NOW)
    assert (health.overdue_transfers, health.nearly_due_transfers) == (1, 1)
    insurance = dashboard(data, JAN, MAR, agency="医保局", now=NOW)
    assert (insurance.overdue_transfers, insurance.nearly_due_transfers) == (1, 1)
    # An aware `now` is compared in UTC: 20:00 in Beijing is 12:00 UTC.
    beijing = NOW.replace(hour=20, tzinfo=timezone(timedelta(hours=8)))
    assert dashboard(data, JAN, MAR, now=beijing).overdue_transfers == 2
    # A month later everything unfinished in range is overdue.
    later = dashboard(data, JAN, MAR, now=datetime(2024, 5, 1))
    assert (later.overdue_transfers, later.nearly_due_transfers) == (5, 0)


def test_empty_range_gives_zeros(db_session):
    board = dashboard(db_session, JAN, MAR)
    assert board.total == 0
    assert board.by_month == {"2024-01": 0, "2024-02": 0, "2024-03": 0}
    assert set(board.by_area.values()) == {0} and NO_LEAD not in board.by_agency
    assert board.to_accept.count == 0 and board.to_accept.mean is None
    assert (board.overdue_transfers, board.nearly_due_transfers) == (0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        board.total = 1  # type: ignore[misc]


def test_query_count_does_not_grow_with_the_data(data, engine):
    """Everything is aggregated in SQL (counts summed from the per-day aggregate, durations
    aggregated by the database): the same statements whether 6 or 56 reports match."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        dashboard(data, JAN, MAR, now=NOW)  # builds the aggregate
        statements.clear()
        dashboard(data, JAN, MAR, now=NOW)
        few = len(statements)
        for i in range(50):
            report = add_report(data, "网络", datetime(2024, 2, 1 + i % 28, 9))
            add_lead(data, report, "卫健委", "F", 28, datetime(2024, 3, 1), datetime(2024, 3, 2))
        data.commit()
        dashboard(data, JAN, MAR, now=NOW, max_age=timedelta(0))  # counts the changed days
        statements.clear()
        board = dashboard(data, JAN, MAR, now=NOW)
        assert len(statements) == few
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert board.total == 56 and board.by_category[28] == 50


def test_chart_items_carry_titles(data):
    board = dashboard(data, JAN, MAR, now=NOW)
    areas = dict(board.area_items())
    assert areas["D 医保基金使用"] == 2 and areas[UNCLASSIFIED] == 2
    assert board.category_items()[16][0].startswith("17 串换药品")
    assert ("已受理", 1) in board.status_items()
    assert board.month_items()[0] == ("2024-01", 2)


# --- SVG charts ------------------------------------------------------------------------------

def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


ALLOWED_TAGS = {"svg", "title", "desc", "text", "g", "rect", "line", "polyline", "circle"}


def _assert_csp_safe(svg: str) -> None:
    """No style, script, event handler, link or external resource, in text or in the tree."""
    lowered = svg.lower()
    for forbidden in ("style=", "<style", "<script", "href=", "url("):
        assert forbidden not in lowered, forbidden
    for element in ET.fromstring(svg).iter():
        assert element.tag.removeprefix(SVG) in ALLOWED_TAGS, element.tag
        for name in element.attrib:
            assert not name.lower().startswith("on") and name not in ("style", "href"), name


def test_bar_chart_is_well_formed_and_accessible():
    svg = bar_chart("按领域", [("A 行政管理部门以权寻租", 12), ("D 医保基金使用", 30), ("未分类", 0)])
    _assert_csp_safe(svg)
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "按领域"
    assert root.find(f"{SVG}title").text == "按领域"
    texts = _texts(root)
    for expected in ("A 行政管理部门以权寻租", "D 医保基金使用", "12", "30"):
        assert expected in texts
    assert "未分类" not in texts  # a row of 0 is left out of the drawing …
    assert root.find(f"{SVG}desc").text.endswith("其余 1 项为 0")  # … and said in words
    assert len(root.findall(f".//{SVG}rect")) == 2


def test_the_last_month_label_is_anchored_inside_the_chart():
    root = _parse(line_chart("按月份", [(f"2026-{m:02d}", m) for m in range(1, 13)]))
    labels = [t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("2026-")]
    assert labels[-1].text == "2026-12" and labels[-1].get("text-anchor") == "end"


def test_bar_chart_escapes_hostile_labels():
    hostile = '<script>alert(1)</script>" onload="x'
    svg = bar_chart('标题<img src=x onerror="y">', [(hostile, 3), ("a&b\x00\x1b", 1)])
    _assert_csp_safe(svg)
    assert "<img" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(svg)
    assert root.get("aria-label") == '标题<img src=x onerror="y">'
    texts = _texts(root)
    assert any(t.startswith("<script>") for t in texts)  # shown as text, not markup
    assert "a&b" in texts
    assert not root.findall(f".//{SVG}script")


def test_bar_chart_shortens_long_labels_but_keeps_them_in_tooltips():
    long_label = "串换药品耗材诊疗项目、转卖药品、返现、非医保费用纳入结算" * 2
    root = _parse(bar_chart("按类别", [(long_label, 5)], width=400))
    shown = [t for t in _texts(root) if t.startswith("串换")]
    assert shown and shown[0].endswith("…") and len(shown[0]) < len(long_label)
    tooltips = [el.text for el in root.iter(f"{SVG}title")]
    assert f"{long_label}：5" in tooltips


def test_line_chart_for_months():
    points = [("2024-01", 2), ("2024-02", 0), ("2024-03", 7)]
    svg = line_chart("按月份", points)
    _assert_csp_safe(svg)
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "按月份"
    texts = _texts(root)
    for expected in ("2024-01", "2024-02", "2024-03", "2", "7"):
        assert expected in texts
    assert root.find(f"{SVG}polyline") is not None
    assert len(root.findall(f".//{SVG}circle")) == 3
    single = _parse(line_chart("按月份", [("<b>2024-05</b>", 4)]))
    assert "<b>2024-05</b>" in _texts(single) and single.find(f"{SVG}polyline") is None


def test_line_chart_with_many_months_labels_some():
    points = [(f"20{20 + i // 12}-{i % 12 + 1:02d}", i) for i in range(48)]
    root = _parse(line_chart("按月份", points))
    labels = [t for t in _texts(root) if t.startswith("20")]
    assert "2020-01" in labels and 8 <= len(labels) <= 13


@pytest.mark.parametrize("chart", [bar_chart, line_chart])
def test_empty_charts_say_no_data(chart):
    svg = chart("按渠道", [])
    _assert_csp_safe(svg)
    root = _parse(svg)
    assert EMPTY_TEXT in _texts(root)
    assert root.get("role") == "img" and root.get("aria-label") == "按渠道"
    assert int(root.get("height")) < 100
