"""Related reports, found without storing what they say: a blind index of keyed hashes.

The index key is derived from the office private key, so only the office and its workers can
compute a digest; a copy of the database shows which reports share a term, never the term.
"""
from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.lead import ReportLink, ReportTerm
from triage.classifier.tokenize import words
from triage.extract import Entities

GENERIC_UNITS = {"某医院", "医院", "某公司", "公司", "卫生院", "某卫生院", "诊所", "药店", "某药店"}
WORD_TERMS = 12  # distinctive words indexed per report
SIMILAR_WORDS = 6  # shared distinctive words that make two reports "similar"


def index_key(office_key: X25519PrivateKey) -> bytes:
    """The blind-index key, derived from the office private key."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"qingfeng/v1/blind-index").derive(
        office_key.private_bytes_raw())


def _digest(key: bytes, kind: str, term: str) -> str:
    return hmac.new(key, f"{kind}\x00{term}".encode(), hashlib.sha256).hexdigest()[:32]


def terms(entities: Entities, text: str) -> list[tuple[str, str]]:
    """(kind, term) pairs worth linking on: the person with their unit, the unit, rare words."""
    found = []
    units = [u for u in entities.units if u not in GENERIC_UNITS and len(u) >= 4]
    if units:
        found.append(("unit", units[0]))
    for person in entities.persons[:2]:
        if units or not person.endswith("某"):
            found.append(("person", f"{person}@{units[0] if units else ''}"))
    distinctive = sorted({w for w in words(text) if len(w) >= 2 and not w.startswith("amt")},
                         key=lambda w: (-len(w), w))[:WORD_TERMS]
    found += [("word", w) for w in distinctive]
    return found


def index_report(session: Session, key: bytes, report_id: int, entities: Entities, text: str) -> None:
    """Replace the report's blind-index entries."""
    session.execute(delete(ReportTerm).where(ReportTerm.report_id == report_id))
    session.add_all(ReportTerm(report_id=report_id, kind=kind, digest=_digest(key, kind, term))
                    for kind, term in terms(entities, text))
    session.flush()


def link_related(session: Session, report_id: int) -> list[int]:
    """Link the report to others sharing its person or unit, or enough distinctive words."""
    mine = select(ReportTerm.kind, ReportTerm.digest).where(ReportTerm.report_id == report_id).subquery()
    rows = session.execute(
        select(ReportTerm.report_id, ReportTerm.kind, func.count())
        .join(mine, (mine.c.kind == ReportTerm.kind) & (mine.c.digest == ReportTerm.digest))
        .where(ReportTerm.report_id != report_id)
        .group_by(ReportTerm.report_id, ReportTerm.kind)
    ).all()
    reasons: dict[int, str] = {}
    for other, kind, count in rows:
        if kind in ("person", "unit") or count >= SIMILAR_WORDS:
            reasons.setdefault(other, {"person": "同一被反映人", "unit": "同一单位"}.get(kind, "内容相似"))
            if kind == "person":
                reasons[other] = "同一被反映人"
    existing = set(session.scalars(select(ReportLink.related_id).where(ReportLink.report_id == report_id)))
    for other, reason in reasons.items():
        if other not in existing:
            session.add_all([ReportLink(report_id=report_id, related_id=other, reason=reason),
                             ReportLink(report_id=other, related_id=report_id, reason=reason)])
    session.flush()
    return sorted(reasons)
