"""Deadline rules: config/deadlines.toml, validated when a process starts.

Counting follows Chinese practice (docs/domain.md, "Deadlines"): the day something arrives does
not count, and a deadline ends at 23:59:59 of its last day in Beijing time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

from config.data import ConfigError, read_toml

log = logging.getLogger(__name__)

FILE = "deadlines.toml"
UNITS = ("working", "calendar")


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
