"""Partner tokens: platforms and offices allowed to submit through the API under official
channels (上级纪委监委交办, 政法机关移送, 电话, …); anonymous callers may use 网络 only.

Only an HMAC of each token is stored (models/shared/partner_tokens.py), so a copy of the
database lets nobody submit as a partner. Use is counted, with the last use to the hour only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class PartnerToken(Base):
    __tablename__ = "partner_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # The token's public part: finds the row, so the secret part is compared in constant time.
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    channels: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)  # to the hour

    def __repr__(self) -> str:
        return f"<PartnerToken {self.id}>"


__all__ = ["PartnerToken"]
