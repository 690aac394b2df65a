"""Accepting a report: seal, store, commit, and only then hand the id to triage."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from models.receipt_code import derive_receipt_keys, new_receipt_code, normalise_receipt
from models.report import Receipt, Report, StatusEvent, new_uid
from models.sealing import public_bytes, seal_json
from models.vocabulary import CHANNELS
from portal.services.evidence import Evidence, commit_or_discard, store_evidence
from portal.services.vault import Vault


@dataclass(frozen=True)
class ReportContent:
    """What the reporter wrote about the matter (sealed as one box)."""

    description: str
    subject_name: str = ""
    subject_unit: str = ""
    subject_post: str = ""
    area: str = ""
    event_time: str = ""
    event_place: str = ""
    amount: str = ""


@dataclass(frozen=True)
class Accepted:
    report_id: int
    receipt: str


def new_receipt(vault: Vault) -> tuple[str, Receipt]:
    """A fresh receipt code and its row (lookup hash and reporter public key)."""
    code = new_receipt_code()
    keys = derive_receipt_keys(normalise_receipt(code), vault.pepper, vault.kdf)
    row = Receipt(lookup=keys.lookup, reporter_key=public_bytes(keys.private_key.public_key()))
    return code, row


def submit_report(
    session: Session,
    vault: Vault,
    content: ReportContent,
    contact: dict[str, str] | None,
    evidence: list[Evidence],
    channel: str,
) -> Accepted:
    """Store a new report, sealed, with its receipt; returns the receipt code to show once."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    uid = new_uid()
    report = Report(
        uid=uid,
        channel=channel,
        is_real_name=contact is not None,
        content_box=seal_json(vault.office_key, asdict(content), "report", uid),
        contact_box=seal_json(vault.office_key, contact, "contact", uid) if contact else None,
    )
    report.events.append(StatusEvent(status="submitted"))
    code, receipt = new_receipt(vault)
    receipt.report = report
    written = store_evidence(vault, report, evidence)
    session.add_all([report, receipt])
    commit_or_discard(session, written)
    return Accepted(report.id, code)
