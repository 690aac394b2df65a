"""Back-office staff accounts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.vocabulary import ROLES

__all__ = ["ROLES", "Staff"]



class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    agency: Mapped[str | None] = mapped_column(String(10))  # liaisons only
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_box: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed TOTP secret
    totp_enrolled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_totp_step: Mapped[int] = mapped_column(Integer, default=0)  # a code works once
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # unused since login limits
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)  # account-wide lock
    # Kept in the signed session cookie at login; raising it ends every session of the account
    # (logout, disable, unlock, role change, password or TOTP reset).
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    can_see_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Staff {self.id} {self.role}>"
