"""The lead (线索) the triage job drafts for each report, and how reports relate.

Suggestions (category ids, scores, agencies, flags) are plain so the queue can filter and sort
100,000 rows; what was extracted from the text (names, units, amounts) is sealed to the office
key like the report itself. Related reports are found through a blind index: keyed hashes of
names, units and distinctive words, under a key only the office holds.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String,
                        UniqueConstraint, select, text)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, hour_now, utcnow
from models.report import Report
from models.vocabulary import LEAD_DRAFT

DRAFT = text(f"state = '{LEAD_DRAFT}'")
ACCEPTED = text("accepted_at IS NOT NULL")


def _report_received_at(context: DefaultExecutionContext) -> datetime:
    """The received_at of the lead's report, for an insert that does not give it."""
    report_id = context.get_current_parameters()["report_id"]
    return context.connection.scalar(
        select(Report.__table__.c.received_at).where(Report.__table__.c.id == report_id))


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        # The queue: draft leads in its order (priority first, then age), with the columns its
        # filters test, so a page or a capped count reads the index alone.
        Index("ix_leads_queue", "priority", "report_received_at", "report_id", "area",
              "primary_category", "agency", postgresql_where=DRAFT, sqlite_where=DRAFT),
        # The statistics' durations (received → accepted → closed) by received day and agency.
        Index("ix_leads_durations", "report_received_at", "agency", "accepted_at", "closed_at",
              postgresql_where=ACCEPTED, sqlite_where=ACCEPTED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), unique=True)
    # A copy of the report's received_at (which never changes), so that the queue's order and
    # the statistics' date range need no join with the reports.
    report_received_at: Mapped[datetime] = mapped_column(DateTime, default=_report_received_at)
    state: Mapped[str] = mapped_column(String(20), default=LEAD_DRAFT, index=True)
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
    # To the hour: the triage job writes these seconds after a submission or a reply, so an
    # exact time would date what the reporter did (P4).
    created_at: Mapped[datetime] = mapped_column(DateTime, default=hour_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=hour_now, onupdate=hour_now, index=True)
    # The ledger (seed 002 annex 3), filled when an officer accepts the lead.
    ledger_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    confirmed_categories: Mapped[list | None] = mapped_column(JSON)
    summary_box: Mapped[bytes | None] = mapped_column(LargeBinary)  # 线索摘要, sealed to the office
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    accepted_by: Mapped[str | None] = mapped_column(String(40))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    disposal: Mapped[str | None] = mapped_column(String(10))  # 谈话函询, 初步核实, 暂存待查, 予以了结
    result: Mapped[str | None] = mapped_column(String(10))  # 属实, 部分属实, 不属实
    follow_ups: Mapped[list | None] = mapped_column(JSON)  # 立案, 处分, 行政处罚, 移送司法
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)  # 督办
    tags: Mapped[list | None] = mapped_column(JSON)
    concluded_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)  # 销号
    # What the rectification statistics (seed 002 annex 4) count, recorded at conclusion.
    unit_type: Mapped[str | None] = mapped_column(String(20))  # 卫生健康行政部门, 市级医院, …
    cadre_rank: Mapped[str | None] = mapped_column(String(10))  # 县处级, 乡科级, 其他
    discipline_form: Mapped[int | None] = mapped_column(Integer)  # 四种形态: 1–4
    admin_penalty: Mapped[bool] = mapped_column(Boolean, default=False)
    publicised: Mapped[bool] = mapped_column(Boolean, default=False)  # 通报曝光
    rules_improved: Mapped[int] = mapped_column(Integer, default=0)  # 完善制度

    report: Mapped[Report] = relationship()
    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="lead", order_by="Transfer.id", cascade="all, delete-orphan")
    history: Mapped[list[LeadEvent]] = relationship(
        back_populates="lead", order_by="LeadEvent.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Lead {self.id} report={self.report_id}>"


class Transfer(Base):
    """A lead sent to one agency (the lead agency or a co-agency), with its deadlines."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(10), index=True)
    role: Mapped[str] = mapped_column(String(4))  # "lead" or "co"
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    accept_due: Mapped[datetime] = mapped_column(DateTime)
    handle_due: Mapped[datetime] = mapped_column(DateTime, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reason: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set by every insert and update (None: unchanged since migration 0004), so the statistics
    # aggregate can find the days whose overdue counts changed.
    changed_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow, onupdate=utcnow,
                                                        index=True)

    lead: Mapped[Lead] = relationship(back_populates="transfers")


class LeadEvent(Base):
    """One entry of a lead's history; notes are sealed to the office key."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    note_box: Mapped[bytes | None] = mapped_column(LargeBinary)

    lead: Mapped[Lead] = relationship(back_populates="history")


class Feedback(Base):
    """Categories and agency as staff confirmed them: training data for the next model."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), unique=True)
    categories: Mapped[list] = mapped_column(JSON)
    agency: Mapped[str | None] = mapped_column(String(10))
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    by: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


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
