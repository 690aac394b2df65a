"""Related reports, found without storing what they say: a blind index of keyed hashes.

The index key is derived from the office private key, so only the office and its workers can
compute a digest; a copy of the database shows which reports share a term, never the term.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ARRAY, String, any_, delete, insert, literal, select
from sqlalchemy.orm import Session

from models.lead import ReportLink, ReportTerm
from triage.extract import Entities

GENERIC_UNITS = {"某医院", "医院", "某公司", "公司", "卫生院", "某卫生院", "诊所", "药店", "某药店"}
WORD_TERMS = 12  # distinctive words indexed per report
SIMILAR_WORDS = 6  # shared distinctive words that make two reports "similar"
# Bounds on the work of one report, whatever the database holds: a unit named in thousands of
# reports (某县人民医院) would otherwise make every new report read and link all of them, and
# the job would slow down as the database grows. The newest matches are the ones a clerk needs.
CANDIDATE_ROWS = 2000  # index entries read, newest reports first
MAX_LINKS = 20  # related reports linked, the same person first, then the same unit, then similar


def index_key(office_key: X25519PrivateKey) -> bytes:
    """The blind-index key, derived from the office private key."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"qingfeng/v1/blind-index").derive(
        office_key.private_bytes_raw())


def _digest(key: bytes, kind: str, term: str) -> str:
    return hmac.new(key, f"{kind}\x00{term}".encode(), hashlib.sha256).hexdigest()[:32]


def terms(entities: Entities, words: Sequence[str]) -> list[tuple[str, str]]:
    """(kind, term) pairs worth linking on: the person with their unit, the unit, rare words
    (`words`: the text's jieba words, rarest first — TriageEngine ranks them)."""
    found = []
    units = [u for u in entities.units if u not in GENERIC_UNITS and len(u) >= 4]
    if units:
        found.append(("unit", units[0]))
    for person in entities.persons[:2]:
        if units or not person.endswith("某"):
            found.append(("person", f"{person}@{units[0] if units else ''}"))
    distinctive = [w for w in dict.fromkeys(words)
                   if len(w) >= 2 and not w.startswith("amt")][:WORD_TERMS]
    found += [("word", w) for w in distinctive]
    return found


def index_report(session: Session, key: bytes, report_id: int, entities: Entities,
                 words: Sequence[str], replace: bool = True) -> list[tuple[str, str]]:
    """Write the report's blind-index entries, replacing earlier ones unless it has none;
    returns them as (kind, digest)."""
    if replace:
        session.execute(delete(ReportTerm).where(ReportTerm.report_id == report_id))
    digests = list(dict.fromkeys((kind, _digest(key, kind, term))
                                 for kind, term in terms(entities, words)))
    if digests:  # the table, not the class: a plain executemany, not the ORM's bulk path
        session.execute(insert(ReportTerm.__table__), [
            {"report_id": report_id, "kind": kind, "digest": digest} for kind, digest in digests])
    return digests


def link_related(session: Session, report_id: int,
                 digests: Sequence[tuple[str, str]] | None = None, fresh: bool = False) -> list[int]:
    """Link the report to others sharing its person or unit, or enough distinctive words
    (`digests`: its index entries, read from the database when not given; `fresh`: it was
    never indexed before, so no link to it can exist yet)."""
    if digests is None:
        digests = session.execute(select(ReportTerm.kind, ReportTerm.digest)
                                  .where(ReportTerm.report_id == report_id)).tuples().all()
    if not digests:
        return []
    kinds = {digest: kind for kind, digest in digests}
    if session.get_bind().dialect.name == "postgresql":  # one array parameter: one plan
        matching = ReportTerm.digest == any_(literal(list(kinds), ARRAY(String)))
    else:
        matching = ReportTerm.digest.in_(list(kinds))
    rows = session.execute(
        select(ReportTerm.report_id, ReportTerm.kind, ReportTerm.digest)
        .where(matching, ReportTerm.report_id != report_id)
        .order_by(ReportTerm.report_id.desc()).limit(CANDIDATE_ROWS)
    ).all()
    shared: dict[tuple[int, str], int] = {}
    for other, kind, digest in rows:
        if kinds.get(digest) == kind:
            shared[(other, kind)] = shared.get((other, kind), 0) + 1
    reasons: dict[int, str] = {}
    for (other, kind), count in shared.items():
        if kind in ("person", "unit") or count >= SIMILAR_WORDS:
            reasons.setdefault(other, {"person": "同一被反映人", "unit": "同一单位"}.get(kind, "内容相似"))
            if kind == "person":
                reasons[other] = "同一被反映人"
    if not reasons:
        return []
    rank = {"同一被反映人": 0, "同一单位": 1, "内容相似": 2}
    kept = sorted(reasons, key=lambda other: (rank[reasons[other]], -other))[:MAX_LINKS]
    reasons = {other: reasons[other] for other in kept}
    existing = set() if fresh else set(session.scalars(
        select(ReportLink.related_id).where(ReportLink.report_id == report_id)))
    new = [(other, reason) for other, reason in reasons.items() if other not in existing]
    if new:
        session.execute(insert(ReportLink.__table__), [
            row for other, reason in new for row in (
                {"report_id": report_id, "related_id": other, "reason": reason},
                {"report_id": other, "related_id": report_id, "reason": reason})])
    return sorted(reasons)
