"""Deadlines of transfers and replies: rules from config/deadlines.toml, small pure functions.

Times are naive UTC as everywhere in the project, and "now" is always a parameter, so tests use
a fake clock. Days are counted on the calendar of mainland China, in Beijing time: the day
something arrives does not count, and a deadline ends at 23:59:59 of its last day there.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from config.data import ConfigError, read_toml
from models.lead import LeadEvent, Transfer
from triage.services import audit

log = logging.getLogger(__name__)

FILE = "deadlines.toml"
UNITS = ("working", "calendar")
END_OF_DAY = time(23, 59, 59)
_RANK = {"overdue": 0, "near": 1, "ok": 2}


@dataclass(frozen=True)
class Span:
    """A period of so many working or calendar days."""

    days: int
    unit: str


@dataclass(frozen=True)
class DeadlineRules:
    """The validated content of config/deadlines.toml."""

    accept_transfer: Span
    notify_real_name: Span
    handle: Span
    extension_max_days: int
    extension_max_count: int
    extension_reason_required: bool
    near_due: timedelta
    reminder_every: timedelta
    utc_offset: timedelta
    years: tuple[int, ...]
    holidays: frozenset[date]
    adjusted_workdays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        """Whether `day` (a Beijing-time date) is a working day."""
        if day in self.adjusted_workdays:
            return True
        if day in self.holidays:
            return False
        if day.year not in self.years:
            _warn_uncovered(day.year)
        return day.weekday() < 5


class ExtensionRefused(Exception):
    """An extension the rules do not allow; `message` is shown to staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Reminder:
    """One transfer whose open deadline is overdue or nearly due."""

    transfer_id: int
    lead_id: int
    agency: str
    kind: str  # "overdue" or "near"
    due: datetime
    deadline: str  # which deadline: "accept" or "handle"


@cache
def _warn_uncovered(year: int) -> None:  # once per year and process
    log.warning("%s lists no holidays for %d: counting weekends only", FILE, year)


def _fail(key: str, expected: str, found: object) -> ConfigError:
    return ConfigError(f"{FILE}: '{key}' must be {expected}, found {found!r}")


def _table(data: dict, key: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise _fail(key, "a table", value)
    return value


def _int(table: dict, key: str, where: str, low: int, high: int = 10_000) -> int:
    value = table.get(key)
    # bool is an int subclass in Python; `true` is never a number of days.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"{where}.{key}", f"an integer from {low} to {high}", value)
    return value


def _date(value: object, key: str) -> date:
    # tomllib gives datetime (a date subclass) for values with a time: refuse those.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _fail(key, "a date (YYYY-MM-DD)", value)
    return value


def _span(table: dict, key: str) -> Span:
    where = f"deadlines.{key}"
    raw = table.get(key)
    if not isinstance(raw, dict):
        raise _fail(where, '{ days = N, unit = "working" | "calendar" }', raw)
    if raw.get("unit") not in UNITS:
        raise _fail(f"{where}.unit", " or ".join(f'"{u}"' for u in UNITS), raw.get("unit"))
    return Span(_int(raw, "days", where, 1), raw["unit"])


def _holidays(calendar: dict, years: tuple[int, ...]) -> frozenset[date]:
    days: set[date] = set()
    for i, raw in enumerate(calendar.get("holidays") or []):
        where = f"calendar.holidays[{i}]"
        if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
            raise _fail(f"{where}.name", "a non-empty name", raw)
        start = _date(raw.get("start"), f"{where}.start")
        end = _date(raw.get("end"), f"{where}.end")
        if end < start or (end - start).days > 31:
            raise _fail(f"{where}.end", "on or after start, within 31 days", end)
        if start.year not in years or end.year not in years:
            raise _fail(where, f"within calendar.years {list(years)}", f"{start}..{end}")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    missing = [year for year in years if not any(day.year == year for day in days)]
    if missing:
        raise _fail("calendar.holidays", "listed for every year of calendar.years", missing)
    return frozenset(days)


def _workdays(calendar: dict, years: tuple[int, ...],
              holidays: frozenset[date]) -> frozenset[date]:
    days = set()
    for i, value in enumerate(calendar.get("adjusted_workdays") or []):
        key = f"calendar.adjusted_workdays[{i}]"
        day = _date(value, key)
        # 调休 only ever turns a weekend day into a working day: anything else is a typo.
        if day.weekday() < 5 or day in holidays or day.year not in years:
            raise _fail(key, "a Saturday or Sunday of calendar.years outside the holidays", day)
        days.add(day)
    return frozenset(days)


def _calendar(calendar: dict) -> tuple[timedelta, tuple[int, ...], frozenset, frozenset]:
    offset = _int(calendar, "utc_offset_hours", "calendar", -12, 14)
    years = calendar.get("years")
    if (not isinstance(years, list) or not years or len(set(years)) != len(years)
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)):
        raise _fail("calendar.years", "a non-empty list of distinct years", years)
    covered = tuple(years)
    holidays = _holidays(calendar, covered)
    return timedelta(hours=offset), covered, holidays, _workdays(calendar, covered, holidays)


def parse_rules(data: dict) -> DeadlineRules:
    """Build and validate the rules from a parsed deadlines.toml."""
    spans, extension = _table(data, "deadlines"), _table(data, "extension")
    reminders = _table(data, "reminders")
    if not isinstance(extension.get("reason_required"), bool):
        raise _fail("extension.reason_required", "true or false", extension.get("reason_required"))
    offset, years, holidays, workdays = _calendar(_table(data, "calendar"))
    return DeadlineRules(
        accept_transfer=_span(spans, "accept_transfer"),
        notify_real_name=_span(spans, "notify_real_name"),
        handle=_span(spans, "handle"),
        extension_max_days=_int(extension, "max_days", "extension", 1),
        # The Transfer row records one extension (a flag and a reason), so at most 1.
        extension_max_count=_int(extension, "max_count", "extension", 0, 1),
        extension_reason_required=extension["reason_required"],
        near_due=timedelta(days=_int(reminders, "near_due_days", "reminders", 0)),
        reminder_every=timedelta(days=_int(reminders, "every_days", "reminders", 1)),
        utc_offset=offset, years=years, holidays=holidays, adjusted_workdays=workdays,
    )


@lru_cache(maxsize=1)
def _default_rules() -> DeadlineRules:
    return parse_rules(read_toml(FILE, None))


def load_rules(path: Path | None = None) -> DeadlineRules:
    """The rules in config/deadlines.toml (read once per process), or in the file at `path`."""
    if path is None:
        return _default_rules()
    return parse_rules(read_toml(path.name, path.parent))


def _local_day(moment: datetime, rules: DeadlineRules) -> date:
    return (moment + rules.utc_offset).date()


def _end_of(day: date, rules: DeadlineRules) -> datetime:
    return datetime.combine(day, END_OF_DAY) - rules.utc_offset


def add_working_days(start: datetime, days: int, rules: DeadlineRules) -> datetime:
    """The end (23:59:59 local, as naive UTC) of the `days`-th working day after `start`'s day."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, left = _local_day(start, rules), days
    while left:
        day += timedelta(days=1)
        if rules.is_working_day(day):
            left -= 1
    return _end_of(day, rules)


def add_span(start: datetime, span: Span, rules: DeadlineRules) -> datetime:
    """The end of a period of working or calendar days that starts the day after `start`."""
    if span.unit == "working":
        return add_working_days(start, span.days, rules)
    return _end_of(_local_day(start, rules) + timedelta(days=span.days), rules)


def transfer_deadlines(sent_at: datetime, rules: DeadlineRules) -> tuple[datetime, datetime]:
    """(accept_due, handle_due) of a transfer sent at `sent_at`."""
    return add_span(sent_at, rules.accept_transfer, rules), add_span(sent_at, rules.handle, rules)


def real_name_reply_due(received_at: datetime, rules: DeadlineRules) -> datetime:
    """When a real-name reporter must have been told whether the report is accepted."""
    return add_span(received_at, rules.notify_real_name, rules)


def _kind(due: datetime, now: datetime, rules: DeadlineRules) -> str:
    if now > due:
        return "overdue"
    return "near" if now >= due - rules.near_due else "ok"


def _most_pressing(transfer: Transfer, now: datetime,
                   rules: DeadlineRules) -> tuple[str, str, datetime | None]:
    """(kind, deadline, due) of the worst open deadline; ("done", "", None) when finished."""
    if transfer.finished_at is not None:
        return "done", "", None
    open_ = [("handle", transfer.handle_due)]
    if transfer.accepted_at is None:  # the accept deadline counts until the agency accepts
        open_.append(("accept", transfer.accept_due))
    found = [(_kind(due, now, rules), name, due) for name, due in open_]
    return min(found, key=lambda item: (_RANK[item[0]], item[2]))


def state(transfer: Transfer, now: datetime, rules: DeadlineRules) -> str:
    """One of "done", "overdue", "near", "ok": how a transfer stands at `now`."""
    return _most_pressing(transfer, now, rules)[0]


def extend(transfer: Transfer, reason: str, days: int, rules: DeadlineRules) -> None:
    """Move handle_due by `days` once, with a reason; raises ExtensionRefused otherwise."""
    reason = (reason or "").strip()
    if transfer.finished_at is not None:
        raise ExtensionRefused("该转办已办结，无需延期。")
    if transfer.extended or rules.extension_max_count < 1:
        raise ExtensionRefused("办理期限只能延长一次，已延期过。")
    if not 1 <= days <= rules.extension_max_days:
        raise ExtensionRefused(f"延长期限须为1至{rules.extension_max_days}天。")
    if rules.extension_reason_required and not reason:
        raise ExtensionRefused("延期须说明理由。")
    if len(reason) > 200:  # the width of Transfer.extension_reason
        raise ExtensionRefused("延期理由不得超过200字。")
    transfer.handle_due += timedelta(days=days)
    transfer.extended, transfer.extension_reason = True, reason or None


def _due(session: Session, now: datetime, rules: DeadlineRules) -> list[tuple[Transfer, Reminder]]:
    soon = now + rules.near_due
    query = select(Transfer).where(
        Transfer.finished_at.is_(None),
        or_(Transfer.reminded_at.is_(None), Transfer.reminded_at <= now - rules.reminder_every),
        or_(Transfer.handle_due <= soon,
            and_(Transfer.accepted_at.is_(None), Transfer.accept_due <= soon)),
    ).order_by(Transfer.id)
    found = []
    for transfer in session.scalars(query):
        kind, deadline, due = _most_pressing(transfer, now, rules)
        if kind in ("overdue", "near") and due is not None:
            found.append((transfer, Reminder(transfer.id, transfer.lead_id, transfer.agency, kind,
                                             due, deadline)))
    return found


def due_reminders(session: Session, now: datetime, rules: DeadlineRules) -> list[Reminder]:
    """Unfinished transfers overdue or nearly due and not reminded within reminder_every."""
    return [reminder for _, reminder in _due(session, now, rules)]


def send_reminders(session: Session, now: datetime, rules: DeadlineRules) -> int:
    """Record due reminders in each lead's history and the audit trail; returns how many."""
    due = _due(session, now, rules)
    for transfer, reminder in due:
        transfer.reminded_at = now
        session.add(LeadEvent(
            lead_id=reminder.lead_id, at=now, actor="system", action="reminder",
            detail={"agency": reminder.agency, "kind": reminder.kind,
                    "deadline": reminder.deadline, "due": reminder.due.isoformat()}))
    if due:  # a run that found nothing leaves no trace, so an hourly timer adds no noise
        audit.record(session, audit.SYSTEM, "reminders", "transfers", detail=str(len(due)))
    session.flush()
    return len(due)
