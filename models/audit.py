"""The audit trail: append-only, each row chained to the previous one (P5).

Rows are keyed (HMAC-SHA256 under an audit key kept outside the database, scheme "hmac1"); rows
written before keys existed carry plain sha256 (scheme "sha256") and still verify.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    # Unique: two writers that read the same tail cannot both append; one retries.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # How `hash` was computed: "sha256" (plain, rows from before keyed hashes; the server default
    # marks them when the column is added) or "hmac1" (keyed). A chain switches once, never back.
    scheme: Mapped[str] = mapped_column(String(8), server_default="sha256")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"
