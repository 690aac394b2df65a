"""Deadlines: the Chinese working-day calendar, transfer states on a fake clock, the one
extension, reminders written to the lead history and the audit trail, and config validation.

Times are naive UTC; the calendar counts Beijing days (UTC+8), so a deadline ending 23:59:59
in Beijing is 15:59:59 UTC.
"""
import copy
import logging
import tomllib
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import select

from config.data import ConfigError
from models import AuditEvent, Lead, LeadEvent, Report, Transfer
from triage.services import audit, deadlines
import config.deadlines
from config.deadlines import load_rules, parse_rules
from triage.services.deadlines import (
    ExtensionRefused,
    add_working_days,
    extend,
    real_name_reply_due,
    state,
    transfer_deadlines,
)

RULES = load_rules()


def bj(y: int, m: int, d: int, h: int = 10) -> datetime:
    """A Beijing wall-clock time as the naive UTC the project stores."""
    return datetime(y, m, d, h) - timedelta(hours=8)


def due(y: int, m: int, d: int) -> datetime:
    """The end of a Beijing day (23:59:59) in naive UTC."""
    return datetime(y, m, d, 15, 59, 59)


def raw_config() -> dict:
    text = resources.files("config").joinpath("deadlines.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


# --- configuration ----------------------------------------------------------------------------

def test_shipped_rules_match_the_national_rules():
    assert (RULES.accept_transfer.days, RULES.accept_transfer.unit) == (5, "working")
    assert (RULES.notify_real_name.days, RULES.notify_real_name.unit) == (15, "working")
    assert (RULES.handle.days, RULES.handle.unit) == (60, "calendar")
    assert (RULES.extension_max_days, RULES.extension_max_count) == (30, 1)
    assert RULES.extension_reason_required
    assert RULES.near_due == timedelta(days=5) and RULES.reminder_every == timedelta(days=1)
    assert RULES.years == (2025, 2026)
    assert load_rules() is RULES  # read once per process


def test_shipped_calendar_holds_the_state_council_notices():
    # 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7.
    assert sum(d.year == 2025 for d in RULES.holidays) == 28
    assert sum(d.year == 2026 for d in RULES.holidays) == 33
    assert sorted(RULES.adjusted_workdays) == [
        date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28),
        date(2025, 10, 11), date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
        date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]
    assert not RULES.is_working_day(date(2025, 10, 8))  # Wednesday inside National Day
    assert RULES.is_working_day(date(2025, 10, 11))  # Saturday, 调休上班
    assert not RULES.is_working_day(date(2025, 10, 12))  # an ordinary Sunday


def test_a_config_file_at_a_path_loads(tmp_path: Path):
    source = resources.files("config").joinpath("deadlines.toml").read_text(encoding="utf-8")
    (tmp_path / "deadlines.toml").write_text(source.replace("days = 60", "days = 90"), "utf-8")
    assert load_rules(tmp_path / "deadlines.toml").handle.days == 90


def _set(path: tuple, value):
    def change(raw: dict) -> None:
        *parents, last = path
        for key in parents:
            raw = raw[key]
        if value is KeyError:
            del raw[last]
        else:
            raw[last] = value
    return change


@pytest.mark.parametrize("change, key", [
    (_set(("deadlines", "accept_transfer", "days"), 0), "deadlines.accept_transfer.days"),
    (_set(("deadlines", "accept_transfer", "days"), "5"), "deadlines.accept_transfer.days"),
    (_set(("deadlines", "handle", "unit"), "weeks"), "deadlines.handle.unit"),
    (_set(("deadlines", "notify_real_name"), 15), "deadlines.notify_real_name"),
    (_set(("extension", "max_days"), -1), "extension.max_days"),
    (_set(("extension", "max_count"), 2), "extension.max_count"),
    (_set(("extension", "reason_required"), "yes"), "extension.reason_required"),
    (_set(("reminders", "every_days"), True), "reminders.every_days"),
    (_set(("reminders",), KeyError), "reminders"),
    (_set(("calendar", "utc_offset_hours"), 30), "calendar.utc_offset_hours"),
    (_set(("calendar", "years"), [2025, 2026, 2027]), "calendar.holidays"),
    (_set(("calendar", "holidays", 1, "end"), date(2025, 1, 1)), r"calendar.holidays\[1\].end"),
    (_set(("calendar", "holidays", 0, "start"), "2025-01-01"), r"calendar.holidays\[0\].start"),
    (_set(("calendar", "holidays", 0, "start"), date(2024, 12, 31)), r"calendar.holidays\[0\]"),
    (_set(("calendar", "adjusted_workdays", 2), date(2025, 4, 28)),
     r"calendar.adjusted_workdays\[2\]"),
])
def test_bad_values_are_refused_naming_the_key(change, key):
    raw = copy.deepcopy(raw_config())
    change(raw)
    with pytest.raises(ConfigError, match=key):
        parse_rules(raw)


def test_unreadable_files_are_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        load_rules(tmp_path / "deadlines.toml")
    (tmp_path / "broken.toml").write_text("[deadlines\n", "utf-8")
    with pytest.raises(ConfigError, match="broken.toml"):
        load_rules(tmp_path / "broken.toml")


# --- working days -----------------------------------------------------------------------------

def test_working_days_skip_the_weekend():
    friday = bj(2025, 3, 7)
    assert add_working_days(friday, 1, RULES) == due(2025, 3, 10)  # Monday
    assert add_working_days(friday, 5, RULES) == due(2025, 3, 14)  # the next Friday
    assert add_working_days(friday, 0, RULES) == due(2025, 3, 7)
    with pytest.raises(ValueError):
        add_working_days(friday, -1, RULES)


def test_working_days_cross_national_day_2025_and_its_adjusted_days():
    # Fri 26 Sep → Sun 28 (调休上班), Mon 29, Tue 30, [1–8 Oct off], Thu 9, Fri 10.
    assert add_working_days(bj(2025, 9, 26), 5, RULES) == due(2025, 10, 10)
    assert add_working_days(bj(2025, 9, 26), 1, RULES) == due(2025, 9, 28)
    # Thu 9 Oct → Fri 10, Sat 11 (调休上班): the Saturday counts.
    assert add_working_days(bj(2025, 10, 9), 2, RULES) == due(2025, 10, 11)
    assert add_working_days(bj(2025, 10, 9), 3, RULES) == due(2025, 10, 13)
    # Spring Festival 2026: Fri 13 Feb → Sat 14 (调休上班) → Tue 24 after the 9 days off.
    assert add_working_days(bj(2026, 2, 13), 2, RULES) == due(2026, 2, 24)


def test_days_are_counted_in_beijing_time():
    # 23:00 on Thursday in Beijing vs 01:00 on Friday: 15:00 and 17:00 UTC the same Thursday.
    assert add_working_days(bj(2025, 3, 6, 23), 1, RULES) == due(2025, 3, 7)
    assert add_working_days(bj(2025, 3, 7, 1), 1, RULES) == due(2025, 3, 10)


def test_years_without_holidays_fall_back_to_weekends_with_a_warning(caplog):
    config.deadlines._warn_uncovered.cache_clear()
    with caplog.at_level(logging.WARNING, logger=config.deadlines.__name__):
        assert add_working_days(bj(2030, 3, 8), 1, RULES) == due(2030, 3, 11)  # Fri → Mon
    assert "2030" in caplog.text


def test_transfer_and_reply_deadlines():
    accept_due, handle_due = transfer_deadlines(bj(2025, 9, 26), RULES)
    assert accept_due == due(2025, 10, 10)
    assert handle_due == due(2025, 11, 25)  # 60 calendar days after 26 Sep
    # Mon 20 Jan 2025: 21–24, Sun 26 (调休), 27, [28 Jan – 4 Feb off], 5–7, Sat 8 (调休), 10–14.
    assert real_name_reply_due(bj(2025, 1, 20), RULES) == due(2025, 2, 14)


# --- state and extension on a fake clock --------------------------------------------------------

def new_transfer(sent_at: datetime, **fields) -> Transfer:
    accept_due, handle_due = transfer_deadlines(sent_at, RULES)
    return Transfer(agency="卫健委", role="lead", sent_at=sent_at, accept_due=accept_due,
                    handle_due=handle_due, extended=False, **fields)


def test_state_moves_from_ok_to_near_to_overdue_until_accepted_and_finished():
    transfer = new_transfer(bj(2025, 9, 26))  # accept by 10 Oct, handle by 25 Nov
    assert state(transfer, bj(2025, 9, 27), RULES) == "ok"
    assert state(transfer, due(2025, 10, 5), RULES) == "near"  # exactly 5 days before
    assert state(transfer, due(2025, 10, 10), RULES) == "near"  # the last second
    assert state(transfer, due(2025, 10, 10) + timedelta(seconds=1), RULES) == "overdue"
    transfer.accepted_at = bj(2025, 10, 11)  # accepted late: only the handle deadline counts
    assert state(transfer, bj(2025, 10, 11), RULES) == "ok"
    assert state(transfer, bj(2025, 11, 21), RULES) == "near"
    assert state(transfer, bj(2025, 11, 26), RULES) == "overdue"
    transfer.finished_at = bj(2025, 11, 27)
    assert state(transfer, bj(2025, 11, 27), RULES) == "done"


def test_an_unaccepted_transfer_is_judged_by_its_most_pressing_deadline():
    transfer = new_transfer(bj(2025, 9, 26))
    assert state(transfer, bj(2025, 11, 30), RULES) == "overdue"
    transfer.finished_at = bj(2025, 10, 2)  # finished without a separate acceptance
    assert state(transfer, bj(2025, 11, 30), RULES) == "done"


def test_one_extension_of_at_most_30_days_with_a_reason():
    transfer = new_transfer(bj(2025, 9, 26), accepted_at=bj(2025, 9, 29))
    for reason, days in [("", 10), ("   ", 10), ("需调取外地病历", 31), ("需调取外地病历", 0)]:
        with pytest.raises(ExtensionRefused) as refused:
            extend(transfer, reason, days, RULES)
        assert refused.value.message and not transfer.extended
    assert "理由" in _refusal(transfer, "", 10) and "30" in _refusal(transfer, "理由", 31)
    assert state(transfer, bj(2025, 11, 26), RULES) == "overdue"
    extend(transfer, "  需调取外地病历  ", 30, RULES)
    assert transfer.handle_due == due(2025, 12, 25)
    assert transfer.extended and transfer.extension_reason == "需调取外地病历"
    assert state(transfer, bj(2025, 11, 26), RULES) == "ok"
    assert "一次" in _refusal(transfer, "还要再延", 5)
    assert transfer.handle_due == due(2025, 12, 25)


def test_a_finished_transfer_is_not_extended():
    transfer = new_transfer(bj(2025, 9, 26), finished_at=bj(2025, 10, 2))
    assert "办结" in _refusal(transfer, "理由", 5)


def _refusal(transfer: Transfer, reason: str, days: int) -> str:
    with pytest.raises(ExtensionRefused) as refused:
        extend(transfer, reason, days, RULES)
    assert isinstance(refused.value, Exception)
    return refused.value.message


# --- reminders (SQLite and PostgreSQL) ----------------------------------------------------------

def add_transfer(session, sent_at: datetime, agency: str = "卫健委", **fields) -> Transfer:
    """A report, its lead and one transfer, built directly."""
    report = Report(channel="web", content_box=b"sealed")
    lead = Lead(report=report, model_version="test", in_scope=True, in_scope_score=0.9,
                suggestions=[], agency=agency, co_agencies=[], route_reasons=[], flags=[],
                entities_box=b"sealed")
    transfer = new_transfer(sent_at, **fields)
    transfer.agency = agency
    lead.transfers.append(transfer)
    session.add(lead)
    session.flush()
    return transfer


def test_reminders_find_overdue_and_nearly_due_transfers(db_session):
    now = bj(2025, 10, 20)
    overdue = add_transfer(db_session, bj(2025, 9, 26), "医保局")  # accept due 10 Oct
    near = add_transfer(db_session, bj(2025, 8, 24), "卫健委", accepted_at=bj(2025, 8, 25))
    add_transfer(db_session, bj(2025, 10, 20, 9), "公安局")  # accept due 27 Oct: ok
    add_transfer(db_session, bj(2025, 9, 1), "审计局", finished_at=bj(2025, 9, 5))  # done
    add_transfer(db_session, bj(2025, 10, 1), "税务局", accepted_at=bj(2025, 10, 9))  # ok
    found = deadlines.due_reminders(db_session, now, RULES)
    assert [(r.transfer_id, r.agency, r.kind, r.deadline) for r in found] == [
        (overdue.id, "医保局", "overdue", "accept"), (near.id, "卫健委", "near", "handle")]
    assert found[0].due == due(2025, 10, 10) and found[1].due == due(2025, 10, 23)
    assert found[0].lead_id == overdue.lead_id


def test_send_reminders_writes_history_and_audit_once_a_day(db_session):
    now = bj(2025, 10, 20)
    overdue = add_transfer(db_session, bj(2025, 9, 26), "医保局")
    near = add_transfer(db_session, bj(2025, 8, 24), accepted_at=bj(2025, 8, 25))
    assert deadlines.send_reminders(db_session, now, RULES) == 2
    db_session.commit()
    assert overdue.reminded_at == now and near.reminded_at == now
    events = db_session.scalars(select(LeadEvent).order_by(LeadEvent.id)).all()
    assert [(e.lead_id, e.actor, e.action, e.at) for e in events] == [
        (overdue.lead_id, "system", "reminder", now), (near.lead_id, "system", "reminder", now)]
    assert events[0].detail == {"agency": "医保局", "kind": "overdue", "deadline": "accept",
                                "due": "2025-10-10T15:59:59"}
    trail = db_session.scalars(select(AuditEvent)).all()
    assert [(a.actor, a.action, a.detail) for a in trail] == [("system", "reminders", "2")]
    # Within a day: nothing again, and nothing written.
    assert deadlines.due_reminders(db_session, now + timedelta(hours=23), RULES) == []
    assert deadlines.send_reminders(db_session, now + timedelta(hours=23), RULES) == 0
    assert len(db_session.scalars(select(AuditEvent)).all()) == 1
    # The day after: both again.
    assert deadlines.send_reminders(db_session, now + timedelta(days=1), RULES) == 2
    db_session.commit()
    assert len(db_session.scalars(select(LeadEvent)).all()) == 4
    assert audit.verify(db_session) == []


def test_a_finished_or_accepted_transfer_stops_being_reminded(db_session):
    transfer = add_transfer(db_session, bj(2025, 9, 26))
    now = bj(2025, 10, 20)
    assert deadlines.send_reminders(db_session, now, RULES) == 1
    transfer.accepted_at = now  # the accept deadline no longer counts; handle is due 25 Nov
    assert deadlines.due_reminders(db_session, now + timedelta(days=2), RULES) == []
    transfer.finished_at = now
    assert deadlines.due_reminders(db_session, bj(2025, 12, 1), RULES) == []
