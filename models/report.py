"""A citizen's report and what hangs off it: status history, attachments, messages, receipt.

Everything a reporter wrote is a sealed box (`*_box`); only the office private key opens it.
Times on the reporter's side are rounded to the hour (see base.hour_now).
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, hour_now
from models.vocabulary import TRIAGE_DONE, TRIAGE_PENDING

# Reports the triage has not finished. The job writes a report's lead and `done` in one
# transaction, so these are the only reports that can be without a lead: the queue finds them
# through this small index instead of anti-joining every report with the leads.
UNTRIAGED = text(f"triage_state <> '{TRIAGE_DONE}'")


def new_uid() -> str:
    """A random record id, used to bind sealed boxes to their row."""
    return secrets.token_hex(16)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_untriaged", "received_at", "id",
              postgresql_where=UNTRIAGED, sqlite_where=UNTRIAGED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=hour_now, index=True)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    is_real_name: Mapped[bool] = mapped_column(Boolean, default=False)
    content_box: Mapped[bytes] = mapped_column(LargeBinary)
    contact_box: Mapped[bytes | None] = mapped_column(LargeBinary)
    triage_state: Mapped[str] = mapped_column(String(20), default=TRIAGE_PENDING, index=True)
    triage_attempts: Mapped[int] = mapped_column(Integer, default=0)

    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="report", order_by="StatusEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="report", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list[Message]] = relationship(
        back_populates="report", order_by="Message.id", cascade="all, delete-orphan"
    )
    receipt: Mapped[Receipt | None] = relationship(back_populates="report")

    def __repr__(self) -> str:
        return f"<Report {self.id}>"


class StatusEvent(Base):
    """One step of the public status; `note_box` is sealed to the reporter (e.g. why rejected)."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    # Indexed: the statistics aggregate finds the reports whose status changed since it last ran.
    at: Mapped[datetime] = mapped_column(DateTime, default=hour_now, index=True)
    note_box: Mapped[bytes | None] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<StatusEvent {self.id} report={self.report_id}>"


class Attachment(Base):
    """An evidence file: its sealed bytes (`box`) and sealed name and type, all in this row.

    In the row, not in a file: it is written in the report's own transaction (all or nothing),
    and leaves no file times that would date what the reporter did. Rows written before this
    have `box` NULL and their sealed file in the uploads folder (storage_name).
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    meta_box: Mapped[bytes] = mapped_column(LargeBinary)
    # Deferred: listing a report's attachments never loads up to 50 MB of sealed bytes.
    box: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=hour_now)

    report: Mapped[Report] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.id} report={self.report_id}>"


class Message(Base):
    """A message between reporter and office. Reporter → office is sealed to the office key;
    office → reporter is sealed to the key derived from the receipt code (P3)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(10))
    body_box: Mapped[bytes] = mapped_column(LargeBinary)
    # The reporter's own copy of what they sent, sealed to their receipt key.
    echo_box: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=hour_now)
    read_by_office: Mapped[bool] = mapped_column(Boolean, default=False)

    report: Mapped[Report] = relationship(back_populates="messages")

    def __repr__(self) -> str:
        return f"<Message {self.id} report={self.report_id}>"


class Receipt(Base):
    """The hash of a receipt code and the reporter's public key derived from it."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    reporter_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), unique=True
    )
    disclosure_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosures.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=hour_now)

    report: Mapped[Report | None] = relationship(back_populates="receipt")
    disclosure: Mapped["Disclosure | None"] = relationship(back_populates="receipt")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Receipt {self.id}>"


__all__ = ["Report", "StatusEvent", "Attachment", "Message", "Receipt", "new_uid"]
