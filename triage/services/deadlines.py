"""Deadlines of transfers and replies: rules from config/deadlines.toml, small pure functions.

Times are naive UTC as everywhere in the project, and "now" is always a parameter, so tests use
a fake clock. Days are counted on the calendar of mainland China, in Beijing time: the day
something arrives does not count, and a deadline ends at 23:59:59 of its last day there.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from config.deadlines import DeadlineRules, Span
from models.lead import LeadEvent, Transfer
from triage.services import audit

log = logging.getLogger(__name__)

END_OF_DAY = time(23, 59, 59)
_RANK = {"overdue": 0, "near": 1, "ok": 2}


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
