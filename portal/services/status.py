"""What a receipt holder can do: read the status and office messages, reply, add evidence."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.shared.receipt import ReceiptKeys, derive_receipt_keys, normalise_receipt
from models.report import Message, Receipt, Report
from models.shared import sealed
from models.shared.sealed import SealedField
from models.shared.sealing import SealError
from models.vocabulary import PUBLIC_STATUSES, TRIAGE_PENDING
from models.shared.evidence import Evidence, commit_or_discard, store_evidence
from models.shared.vault import Vault

# A box nobody can open, tried on a miss so a wrong code does the same work as a right one.
_DUMMY_BOX = b"\x01" + bytes(80)


class ReceiptNotFound(LookupError):
    """No report or disclosure has this receipt code."""


@dataclass(frozen=True)
class Unlocked:
    receipt: Receipt
    keys: ReceiptKeys


@dataclass(frozen=True)
class StatusStep:
    status: str
    label: str
    day: date
    note: str


@dataclass(frozen=True)
class ShownMessage:
    sender: str
    body: str
    day: date


@dataclass(frozen=True)
class StatusView:
    status: str
    label: str
    steps: list[StatusStep]
    messages: list[ShownMessage]
    kind: str  # "report" or "disclosure"
    reference: str = ""
    evidence: list[tuple[date, int]] = field(default_factory=list)  # files sent, per day


def unlock(session: Session, vault: Vault, typed: str) -> Unlocked:
    """Find the receipt for a typed code. Raises MalformedReceipt or ReceiptNotFound.

    Both outcomes cost one scrypt and one box opening, so timing tells nothing.
    """
    keys = derive_receipt_keys(normalise_receipt(typed), vault.pepper, vault.kdf)
    receipt = session.scalar(select(Receipt).where(Receipt.lookup == keys.lookup))
    if receipt is None:
        _open_quietly(keys, _DUMMY_BOX, sealed.OFFICE_MESSAGE, "none")
        raise ReceiptNotFound()
    return Unlocked(receipt, keys)


def _open_quietly(keys: ReceiptKeys, box: bytes | None, field: SealedField, *binding: object) -> str:
    if box is None:
        return ""
    try:
        return field.open(keys.private_key, box, *binding)
    except SealError:
        return ""


def read_status(unlocked: Unlocked) -> StatusView:
    """The public status, its history and the conversation, opened with the reporter's key."""
    receipt, keys = unlocked.receipt, unlocked.keys
    if receipt.report is None:
        disclosure = receipt.disclosure
        return StatusView(disclosure.status, _disclosure_label(disclosure.status), [], [],
                          "disclosure", disclosure.reference)
    report = receipt.report
    steps = [
        StatusStep(e.status, PUBLIC_STATUSES[e.status], e.at.date(),
                   _open_quietly(keys, e.note_box, sealed.STATUS_NOTE, report.uid, e.id))
        for e in report.events
    ]
    messages = [_shown(keys, report, m) for m in report.messages]
    per_day = Counter(a.created_at.date() for a in report.attachments)  # names are sealed
    return StatusView(report.status, PUBLIC_STATUSES[report.status], steps, messages, "report",
                      evidence=sorted(per_day.items()))


def _shown(keys: ReceiptKeys, report: Report, message: Message) -> ShownMessage:
    if message.sender == "office":
        body = _open_quietly(keys, message.body_box, sealed.OFFICE_MESSAGE, report.uid, message.id)
    else:
        body = _open_quietly(keys, message.echo_box, sealed.REPORTER_ECHO, report.uid)
    return ShownMessage(message.sender, body, message.created_at.date())


def _disclosure_label(status: str) -> str:
    return {"submitted": "已提交", "confirmed": "已确认", "reconciled": "已核对到账"}[status]


def add_reply(session: Session, vault: Vault, unlocked: Unlocked, body: str) -> None:
    """A reporter's message: sealed to the office, plus a copy only the reporter can open."""
    report = _report_of(unlocked)
    reporter_key = unlocked.keys.private_key.public_key()
    report.messages.append(
        Message(
            sender="reporter",
            body_box=sealed.REPORTER_MESSAGE.seal(vault.office_key, body, report.uid),
            echo_box=sealed.REPORTER_ECHO.seal(reporter_key, body, report.uid),
        )
    )
    report.triage_state = TRIAGE_PENDING  # the new material is triaged again
    session.commit()


def add_evidence(session: Session, vault: Vault, unlocked: Unlocked, evidence: list[Evidence]) -> int:
    """More evidence for an existing report, stored in one commit; returns how many files."""
    report = _report_of(unlocked)
    added = store_evidence(vault, report, evidence)
    report.triage_state = TRIAGE_PENDING
    commit_or_discard(session)
    return len(added)


def _report_of(unlocked: Unlocked) -> Report:
    if unlocked.receipt.report is None:
        raise ReceiptNotFound()
    return unlocked.receipt.report
