"""Counters for the public register's rate limit (docs/register.md, "The public register")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from enforcement.models.base import Base, UTCDateTime


class PublicRegisterHit(Base):
    """How many public register requests one client made in one minute.

    The client is a keyed hash of its address, never the address itself; rows older than an
    hour are removed as new minutes begin.
    """

    __tablename__ = "public_register_hits"

    client_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)
