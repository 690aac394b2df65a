"""The lead's life: accept, reject, merge, transfer, progress, extend, conclude, close, message.

Every step writes the lead's history, the audit trail and, where the reporter may know it, a
public status (only those of docs/domain.md, "Public statuses"; notes to the reporter are
sealed to their key).
"""
from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.data import AGENCIES
from config.deadlines import load_rules as load_deadline_rules
from models.base import utcnow
from models.lead import Feedback, Lead, LeadEvent, Transfer
from models.report import Message, Report, StatusEvent
from models.shared import sealed
from models.vocabulary import (LEAD_ACCEPTED, LEAD_CLOSED, LEAD_CONCLUDED, LEAD_DRAFT, LEAD_IN_PROGRESS,
                               LEAD_MERGED, LEAD_REJECTED, LEAD_TRANSFERRED)
from models.shared.sealing import public_key_from_bytes
from triage.services import deadlines
from triage.services.audit import Actor, record
from triage.services.export import CADRE_RANKS, UNIT_TYPES

DISPOSALS = ("谈话函询", "初步核实", "暂存待查", "予以了结")
RESULTS = ("属实", "部分属实", "不属实")
FOLLOW_UPS = ("立案", "组织处理", "党纪政务处分", "行政处罚", "移送司法机关")


class WorkflowError(ValueError):
    """A step that the lead's state does not allow; the message is for staff (Chinese)."""


def _event(session: Session, lead: Lead, actor: Actor, action: str, detail: dict | None = None,
           note_box: bytes | None = None) -> None:
    lead.history.append(LeadEvent(actor=actor.name, action=action, detail=detail or {}, note_box=note_box))
    record(session, actor, action, f"lead:{lead.id}")


def public_status(session: Session, report: Report, status: str, note: str = "") -> None:
    """Move the reporter's status; a note is sealed so only the receipt holder reads it."""
    event = StatusEvent(status=status, at=utcnow())
    report.events.append(event)
    report.status = status
    session.flush()
    if note and report.receipt is not None:
        key = public_key_from_bytes(report.receipt.reporter_key)
        event.note_box = sealed.STATUS_NOTE.seal(key, note, report.uid, event.id)


def next_ledger_number(session: Session, prefix: str, year: int) -> str:
    """'昌江-2024-0001': one sequence per jurisdiction and year."""
    pattern = f"{prefix}-{year}-%"
    count = session.scalar(select(func.count(Lead.id)).where(Lead.ledger_number.like(pattern))) or 0
    return f"{prefix}-{year}-{count + 1:04d}"


def accept_lead(session: Session, lead: Lead, actor: Actor, categories: list[int], agency: str,
                co_agencies: list[str], summary: str, office_key: X25519PublicKey, prefix: str) -> None:
    """受理: the officer confirms or corrects categories and agencies; the lead gets its number."""
    if lead.state != LEAD_DRAFT:
        raise WorkflowError("该举报已处理过。")
    if not categories:
        raise WorkflowError("请至少选择一个问题类别。")
    if agency not in AGENCIES or not set(co_agencies) <= set(AGENCIES):
        raise WorkflowError("承办或协办单位不在成员单位名单中。")
    categories = list(dict.fromkeys(categories))
    co_agencies = list(dict.fromkeys(co_agencies))
    suggested = [c["id"] for c in lead.suggestions]
    session.add(Feedback(report_id=lead.report_id, categories=categories, agency=agency, by=actor.name,
                         corrected=(categories[0] != suggested[0] or agency != lead.agency)))
    now = utcnow()
    lead.ledger_number = next_ledger_number(session, prefix, now.year)
    lead.state, lead.accepted_at, lead.accepted_by = LEAD_ACCEPTED, now, actor.name
    lead.confirmed_categories, lead.primary_category = categories, categories[0]
    lead.agency, lead.co_agencies = agency, [a for a in co_agencies if a != agency]
    lead.summary_box = sealed.LEAD_SUMMARY.seal(office_key, summary, lead.report.uid)
    _event(session, lead, actor, "accept", {"ledger": lead.ledger_number, "categories": categories,
                                            "agency": agency})
    public_status(session, lead.report, "accepted")


def reject_report(session: Session, lead: Lead, actor: Actor, reason: str, channel: str) -> None:
    """不予受理, with the reason and the right channel shown to the reporter."""
    if lead.state != LEAD_DRAFT:
        raise WorkflowError("该举报已处理过。")
    if not reason.strip():
        raise WorkflowError("请填写不予受理的理由。")
    lead.state = LEAD_REJECTED
    _event(session, lead, actor, "reject")
    # One full stop between the reason and the advice, whatever the officer typed at the end.
    note = reason.strip().rstrip("。.；; ")
    note += f"。建议您向{channel.strip()}反映。" if channel.strip() else "。"
    public_status(session, lead.report, "rejected", note)


def merge_report(session: Session, lead: Lead, actor: Actor, ledger_number: str) -> None:
    """A duplicate joins an existing lead."""
    target = session.scalar(select(Lead).where(Lead.ledger_number == ledger_number.strip()))
    if target is None:
        raise WorkflowError("未找到该台账编号。")
    if lead.state != LEAD_DRAFT:
        raise WorkflowError("该举报已处理过。")
    lead.state, lead.merged_into_id = LEAD_MERGED, target.id
    _event(session, lead, actor, "merge", {"into": target.ledger_number})
    _event(session, target, actor, "merged_in", {"report": lead.report_id})
    public_status(session, lead.report, "accepted", "您反映的问题已与同一事项合并办理。")


def transfer_lead(session: Session, lead: Lead, actor: Actor, now: datetime | None = None) -> list[Transfer]:
    """转办 to the lead agency and the co-agencies, with deadlines from the rules."""
    if lead.state != LEAD_ACCEPTED:
        raise WorkflowError("只有已受理的线索可以转办。")
    now, rules = now or utcnow(), load_deadline_rules()
    made = []
    for agency, role in [(lead.agency, "lead")] + [(a, "co") for a in lead.co_agencies]:
        accept_due, handle_due = deadlines.transfer_deadlines(now, rules)
        made.append(Transfer(agency=agency, role=role, sent_at=now, accept_due=accept_due,
                             handle_due=handle_due))
    lead.transfers.extend(made)
    lead.state = LEAD_TRANSFERRED
    _event(session, lead, actor, "transfer", {"agencies": [t.agency for t in made]})
    public_status(session, lead.report, "transferred")
    return made


def _own(transfer: Transfer, actor: Actor, agency: str | None) -> None:
    if actor.role == "liaison" and transfer.agency != agency:
        raise WorkflowError("该线索未转办至您的单位。")


def liaison_accept(session: Session, transfer: Transfer, actor: Actor, agency: str | None) -> None:
    """The agency acknowledges the transfer (within 5 working days)."""
    _own(transfer, actor, agency)
    if transfer.accepted_at is None:
        transfer.accepted_at = utcnow()
        lead = transfer.lead
        _event(session, lead, actor, "transfer_accepted", {"agency": transfer.agency})
        if lead.state == LEAD_TRANSFERRED:
            lead.state = LEAD_IN_PROGRESS
            public_status(session, lead.report, "in_progress")


def record_progress(session: Session, transfer: Transfer, actor: Actor, agency: str | None, note: str,
                    office_key: X25519PublicKey) -> None:
    """A progress note, sealed to the office: the investigation's content stays internal."""
    _own(transfer, actor, agency)
    if not note.strip():
        raise WorkflowError("请填写进展情况。")
    box = sealed.LEAD_NOTE.seal(office_key, note, transfer.lead.report.uid)
    _event(session, transfer.lead, actor, "progress", {"agency": transfer.agency}, box)


def extend_transfer(session: Session, transfer: Transfer, actor: Actor, agency: str | None,
                    reason: str, days: int) -> None:
    """One extension of at most 30 days, with a reason the reporter is told."""
    _own(transfer, actor, agency)
    try:
        deadlines.extend(transfer, reason, days, load_deadline_rules())
    except deadlines.ExtensionRefused as refused:
        raise WorkflowError(refused.message) from refused
    _event(session, transfer.lead, actor, "extend", {"agency": transfer.agency, "days": days})
    public_status(session, transfer.lead.report, "extended", reason.strip())


def record_outcome(session: Session, transfer: Transfer, actor: Actor, agency: str | None,
                   disposal: str, result: str, follow_ups: list[str], stats: dict) -> None:
    """处置方式及结果; when every agency has finished, the lead is concluded."""
    _own(transfer, actor, agency)
    if disposal not in DISPOSALS or (result and result not in RESULTS):
        raise WorkflowError("请选择处置方式和结果。")
    if any(f not in FOLLOW_UPS for f in follow_ups):
        raise WorkflowError("后续处理选项无效。")
    if (stats.get("unit_type") not in (None, *UNIT_TYPES) or stats.get("cadre_rank") not in (None, *CADRE_RANKS)
            or stats.get("discipline_form") not in (None, 1, 2, 3, 4)):
        raise WorkflowError("单位类型、干部级别或四种形态的取值无效。")
    lead, now = transfer.lead, utcnow()
    transfer.finished_at = now
    if transfer.role == "lead":
        lead.disposal, lead.result, lead.follow_ups = disposal, result or None, follow_ups
        for name in ("unit_type", "cadre_rank", "discipline_form", "admin_penalty", "publicised",
                     "rules_improved"):
            if name in stats:
                setattr(lead, name, stats[name])
    _event(session, lead, actor, "outcome", {"agency": transfer.agency, "disposal": disposal,
                                             "result": result, "follow_ups": follow_ups})
    if all(t.finished_at for t in lead.transfers):
        lead.state, lead.concluded_at = LEAD_CONCLUDED, now


def supervise(session: Session, lead: Lead, actor: Actor) -> None:
    """督办: the supervisor marks the lead for close watch."""
    lead.supervised = True
    _event(session, lead, actor, "supervise")


def close_lead(session: Session, lead: Lead, actor: Actor, reply: str) -> None:
    """销号 and feedback to the reporter, in public words only."""
    if lead.state != LEAD_CONCLUDED:
        raise WorkflowError("线索办结后才能销号。")
    lead.state, lead.closed_at = LEAD_CLOSED, utcnow()
    _event(session, lead, actor, "close")
    public_status(session, lead.report, "closed", reply.strip())


def send_message(session: Session, report: Report, actor: Actor, text: str) -> Message:
    """A question or answer to the reporter, sealed to the key of their receipt code (P3)."""
    if not text.strip():
        raise WorkflowError("请填写留言内容。")
    if report.receipt is None:
        raise WorkflowError("该举报没有回执码，无法留言。")
    message = Message(sender="office", body_box=b"", created_at=utcnow())
    report.messages.append(message)
    session.flush()
    key = public_key_from_bytes(report.receipt.reporter_key)
    message.body_box = sealed.OFFICE_MESSAGE.seal(key, text.strip(), report.uid, message.id)
    record(session, actor, "message", f"report:{report.id}")
    return message
