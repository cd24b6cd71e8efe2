"""Offline working's grant: what a user's tablet key is derived from, until the grant ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from enforcement.models.base import Base, UTCDateTime


class OfflineGrant(Base):
    """One per user at most: issued on first asking, ended by sign-out, expiry or deactivation.

    Only a random nonce is kept: the key is derived from it with the service's secret
    (enforcement.offline.keys), so a copy of the database alone does not give the key.
    """

    __tablename__ = "offline_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
