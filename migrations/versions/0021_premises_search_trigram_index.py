"""PostgreSQL only: a trigram (pg_trgm) GIN index for the premises list's text search.

The list searches with `search_text LIKE '%word%'`, which no btree can serve; pg_trgm's GIN
index can, so a selective search reads the few matching premises instead of every one.
SQLite is unchanged (it has no such index; its list walks ix_premises_name_search).

Revision ID: 0021
Revises: 0013
Create Date: 2026-12-06 04:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension: the database's owner may create it without superuser.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_premises_search_trgm",
        "premises",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_premises_search_trgm", table_name="premises")
    # The extension stays: other databases' objects or a DBA may rely on it, and it costs nothing.
