"""Wards, premises and the languages spoken at them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enforcement.models.base import Base, UTCDateTime


class Ward(Base):
    """An electoral ward boundary, valid for a period (boundaries change)."""

    __tablename__ = "wards"
    __table_args__ = (UniqueConstraint("code", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(120))
    boundary_geojson: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)

    @classmethod
    def in_force_on(cls, on: date | BindParameter[date]) -> ColumnElement[bool]:
        """The wards whose validity covers a date (a value, or a parameter bound later)."""
        return and_(cls.valid_from <= on, (cls.valid_to.is_(None)) | (cls.valid_to >= on))


class Language(Base):
    """A language a premises may need the anti-trafficking poster in."""

    __tablename__ = "languages"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)


class PremisesLanguage(Base):
    __tablename__ = "premises_languages"

    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"), primary_key=True)


class PremisesWard(Base):
    """The ward a located premises lies in under the boundaries in force; none when it is
    unlocated or outside every ward. Derived from the location, never typed."""

    __tablename__ = "premises_wards"
    __table_args__ = (Index("ix_premises_wards_ward_id", "ward_id", "premises_id"),)

    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), primary_key=True
    )
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))


class Premises(Base):
    """A place that trades, or is suspected of trading, identified by UPRN where known."""

    __tablename__ = "premises"
    __table_args__ = (
        Index("ix_premises_type_name", "premises_type", "name_sort"),
        # Nearby searches and the map: a box of latitude and longitude read from the index alone.
        Index("ix_premises_location", "latitude", "longitude", "id"),
        # SQLite: the list walks this in name order and tests the search text in the index,
        # reading a premises row only for the page it shows. PostgreSQL neither uses it nor
        # could always hold it (a btree entry is capped at 2,704 bytes, and the search text of
        # a premises written in a three-byte script can exceed that), so there it is empty.
        Index(
            "ix_premises_name_search",
            "name_sort",
            "id",
            "search_text",
            postgresql_where=text("false"),
        ),
        # PostgreSQL: the list's text search (search_text LIKE '%word%') read from a trigram
        # index (pg_trgm) rather than by testing every premises; SQLite has no such index and
        # keeps the one above. See docs/register.md.
        Index(
            "ix_premises_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uprn: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_sort: Mapped[str] = mapped_column(String(200), index=True)
    trading_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    town: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    postcode_key: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    search_text: Mapped[str] = mapped_column(Text)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    premises_type: Mapped[str] = mapped_column(String(40))
    source_ref: Mapped[str | None] = mapped_column(String(60), nullable=True, unique=True)
    # As on licences: the hash of the imported fields as the last import left them.
    import_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    # The ward is kept in its own narrow table (PremisesWard), so that a boundary review
    # rewrites small rows there rather than every premises and its indexes (docs/wards-and-maps.md).
    ward_link: Mapped[PremisesWard | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    ward: Mapped[Ward | None] = relationship(
        secondary="premises_wards", viewonly=True, lazy="raise"
    )
    language_rows: Mapped[list[PremisesLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def ward_id(self) -> int | None:
        """The id of the ward the premises lies in (None: unlocated or outside every ward)."""
        return None if self.ward_link is None else self.ward_link.ward_id

    @ward_id.setter
    def ward_id(self, value: int | None) -> None:
        if value is None:
            self.ward_link = None
        elif self.ward_link is None:
            self.ward_link = PremisesWard(ward_id=value)
        else:
            self.ward_link.ward_id = value

    @property
    def has_location(self) -> bool:
        return self.longitude is not None and self.latitude is not None
