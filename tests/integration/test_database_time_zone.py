"""The service's PostgreSQL sessions speak UTC whatever time zone the server or database is set
to (docs/operations.md): times are stored and read in UTC on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import PostgresDatabase
from sqlalchemy import text

from enforcement.db import make_engine

pytestmark = pytest.mark.postgres


def test_a_server_set_east_of_utc_still_reads_the_last_hours_a_date_holds() -> None:
    """With the database's TimeZone east of UTC, PostgreSQL wrote 23:30 UTC on 31 December 9999
    (a hearing typed for then is accepted) as a time in the year 10000, which the driver cannot
    read: the statutory clock's step failed for every case at every tick."""
    pg = PostgresDatabase("tracker_time_zone")
    try:
        admin = make_engine(pg.url)
        with admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE \"{pg.name}\" SET timezone TO 'Europe/Paris'"))
            conn.commit()
        admin.dispose()
        engine = make_engine(pg.url)
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW TimeZone")) == "UTC"
            late = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
            assert conn.scalar(text("SELECT CAST(:at AS timestamptz)"), {"at": late}) == late
            summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
            # What SQL does with a day (a London midnight is computed in Python, never here).
            assert (
                conn.scalar(
                    text("SELECT CAST(CAST(:at AS timestamptz) AS date)"), {"at": summer}
                ).isoformat()
                == "2026-07-01"
            )
        engine.dispose()
    finally:
        pg.drop()
