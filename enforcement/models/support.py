"""The support directory: services for victims and survivors that officers signpost people to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enforcement.models.base import Base, UTCDateTime


class SupportService(Base):
    """A service kept in the directory by administrators (public facts only, no one's details).

    A withdrawn service stays on the records that chose it and is no longer offered.
    """

    __tablename__ = "support_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    how_to_reach: Mapped[str] = mapped_column(Text)
    hours: Mapped[str] = mapped_column(String(200))
    # Offers interpreting for any language (a national helpline), besides the languages listed.
    any_language: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    language_rows: Mapped[list[SupportServiceLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}


class SupportServiceLanguage(Base):
    """A language a support service offers (staff or its own interpreters)."""

    __tablename__ = "support_service_languages"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("support_services.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"), primary_key=True)
