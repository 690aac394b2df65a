"""The lead (线索) the triage job drafts for each report, and how reports relate.

Suggestions (category ids, scores, agencies, flags) are plain so the queue can filter and sort
100,000 rows; what was extracted from the text (names, units, amounts) is sealed to the office
key like the report itself. Related reports are found through a blind index: keyed hashes of
names, units and distinctive words, under a key only the office holds.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.report import Report


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    model_version: Mapped[str] = mapped_column(String(40))
    in_scope: Mapped[bool] = mapped_column(Boolean)
    in_scope_score: Mapped[float] = mapped_column(Float)
    primary_category: Mapped[int | None] = mapped_column(Integer, index=True)
    area: Mapped[str | None] = mapped_column(String(1), index=True)
    suggestions: Mapped[list] = mapped_column(JSON)  # [{"id": 17, "score": 0.81}, …]
    agency: Mapped[str] = mapped_column(String(10), index=True)
    co_agencies: Mapped[list] = mapped_column(JSON)
    route_reasons: Mapped[list] = mapped_column(JSON)
    flags: Mapped[list] = mapped_column(JSON)
    priority: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    entities_box: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    report: Mapped[Report] = relationship()

    def __repr__(self) -> str:
        return f"<Lead {self.id} report={self.report_id}>"


class ReportTerm(Base):
    """One blind-index entry: HMAC(office index key, kind + normalised term)."""

    __tablename__ = "report_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    digest: Mapped[str] = mapped_column(String(32), index=True)


class ReportLink(Base):
    """Two reports that seem to be about the same matter, and why."""

    __tablename__ = "report_links"
    __table_args__ = (UniqueConstraint("report_id", "related_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
