"""Whether a database's schema is the one this version of the service was written for.

A server started on a database nobody migrated, or kept on an older schema after an upgrade of
the code, would fail request by request. `schema_state` reads the revision the migrations left
in the database and compares it with the newest revision among this code's migrations, so the
health check, the command line and the scheduler can say what to do instead
(docs/operations.md, "Upgrading").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
UPGRADE = "run `alembic upgrade head` with the same DATABASE_URL"


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def code_heads() -> frozenset[str]:
    """The newest revision of this code's migrations (one, unless a branch was left unmerged)."""
    return frozenset(_scripts().get_heads())


def known_revision(revision: str) -> bool:
    """Whether `revision` is one of this code's migrations."""
    return revision in {script.revision for script in _scripts().walk_revisions()}


@dataclass(frozen=True)
class SchemaState:
    """The revisions the database is at and the ones this code needs."""

    found: frozenset[str]
    needed: frozenset[str]

    @property
    def current(self) -> bool:
        return self.found == self.needed

    def problem(self) -> str | None:
        """What is wrong and what to do, or None when the schema is the one the code needs."""
        if self.current:
            return None
        needed = ", ".join(sorted(self.needed))
        if not self.found:
            return (
                "The database has none of this service's tables yet: "
                f"{UPGRADE} to create them (revision {needed})."
            )
        found = ", ".join(sorted(self.found))
        if not all(known_revision(r) for r in self.found):
            return (
                f"The database's schema is at revision {found}, which this version of the service "
                "does not know: a newer version migrated it. Run that version, or step the "
                "database down with that version's `alembic downgrade`."
            )
        return (
            f"The database's schema is at revision {found}, older than this version of the "
            f"service needs ({needed}): {UPGRADE}."
        )


def schema_state(bind: Connection | Engine) -> SchemaState:
    """Read the database's revision (none when the migrations never ran on it)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return schema_state(conn)
    found = MigrationContext.configure(bind).get_current_heads()
    return SchemaState(found=frozenset(found), needed=code_heads())
