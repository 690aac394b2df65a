"""Voluntary disclosures (主动说明) by medical workers, with hand-backs to the integrity account."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, hour_now
from models.report import Receipt, new_uid

# No 0/O, 1/I/L: the reference is copied by hand into a bank transfer remark.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """A short reference for the transfer remark, e.g. 'ZD7K3Q9M'."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class Disclosure(Base):
    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=new_reference)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=hour_now, index=True)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    content_box: Mapped[bytes] = mapped_column(LargeBinary)

    receipt: Mapped[Receipt | None] = relationship(back_populates="disclosure")

    def __repr__(self) -> str:
        return f"<Disclosure {self.id}>"
