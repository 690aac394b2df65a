"""Accepting a report: seal, store, commit, and only then hand the id to triage."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.shared.receipt import derive_receipt_keys, new_receipt_code, normalise_receipt
from models.report import Receipt, Report, StatusEvent, new_uid
from models.shared import sealed
from models.shared.content import ReportContent
from models.shared.sealing import public_bytes
from models.vocabulary import CHANNELS
from models.shared.evidence import Evidence, commit_or_discard, store_evidence
from models.shared.vault import Vault


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
        content_box=sealed.REPORT.seal(vault.office_key, content.as_dict(), uid),
        contact_box=sealed.CONTACT.seal(vault.office_key, contact, uid) if contact else None,
    )
    report.events.append(StatusEvent(status="submitted"))
    code, receipt = new_receipt(vault)
    receipt.report = report
    written = store_evidence(vault, report, evidence)
    session.add_all([report, receipt])
    commit_or_discard(session, written)
    return Accepted(report.id, code)
