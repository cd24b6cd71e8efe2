"""Concurrent writers: SQLite's write transactions take the lock at once, so no update is lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from conftest import upgrade
from sqlalchemy import select

from enforcement.db import make_engine, session_factory, writer
from enforcement.models import Language


def test_concurrent_read_then_write_loses_nothing_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    upgrade(engine)
    maker = session_factory(writer(engine))
    with maker() as s:
        start = s.scalars(select(Language).where(Language.code == "en")).one().sort_order
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(10):
                with maker() as s:
                    lang = s.scalars(select(Language).where(Language.code == "en")).one()
                    seen = lang.sort_order
                    time.sleep(0.001)  # widen the window between the read and the write
                    lang.sort_order = seen + 1
                    s.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with maker() as s:
        final = s.scalars(select(Language).where(Language.code == "en")).one().sort_order
    engine.dispose()
    assert final == start + 80
