"""The route walk's judge of a total ORDER BY (tests/total_order.py), on statements of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.sql import ClauseElement
from total_order import LooseOrders, order_problem

meta = MetaData()
shops = Table(
    "shops",
    meta,
    Column("id", Integer, primary_key=True),
    Column("name", String),
    Column("email", String, unique=True),
)
rules = Table(
    "rules",
    meta,
    Column("id", Integer, primary_key=True),
    Column("shop_id", ForeignKey("shops.id")),
    Column("number", Integer),
    Column("text", String),
    UniqueConstraint("shop_id", "number"),
)


@pytest.mark.parametrize(
    ("statement", "total"),
    [
        (select(shops).order_by(shops.c.name), False),
        (select(shops).order_by(shops.c.name, shops.c.id), True),
        (select(shops).order_by(shops.c.name.desc(), shops.c.id.desc()), True),
        (select(shops).order_by(shops.c.email), True),  # a unique column
        (select(shops.c.name, func.count()).group_by(shops.c.name).order_by(shops.c.name), True),
        (select(shops.c.name).distinct().order_by(shops.c.name), True),
        # One shop's rules, as a loader of related rows reads them.
        (select(rules).where(rules.c.shop_id == bindparam("p")).order_by(rules.c.number), True),
        (select(rules).where(bindparam("p") == rules.c.shop_id).order_by(rules.c.number), True),
        (select(rules).where(rules.c.shop_id.in_([1, 2])).order_by(rules.c.number), True),
        (select(rules).order_by(rules.c.number), False),
        # An equality under OR fixes nothing.
        (
            select(rules)
            .where(or_(rules.c.shop_id == 1, rules.c.text == "x"))
            .order_by(rules.c.number),
            False,
        ),
        # A join: each shop's rules are ties unless the rules' order is given too.
        (select(shops.c.id, rules.c.text).join(rules).order_by(shops.c.name, shops.c.id), False),
        (
            select(shops.c.id, rules.c.text)
            .join(rules)
            .order_by(shops.c.name, shops.c.id, rules.c.number),
            True,
        ),
        (select(shops).limit(10), False),  # a page without an order
        (select(shops).where(shops.c.name == "x").limit(1), True),  # one row, any will do
        (select(shops), True),  # no order asked, none promised (a lookup, a count)
        (select(select(shops).subquery()).order_by("name"), True),  # a subquery: not judged
    ],
)
def test_a_statement_is_total_when_its_order_and_fixed_columns_pick_out_every_row(
    statement: ClauseElement, total: bool
) -> None:
    assert (order_problem(statement) is None) is total, order_problem(statement)


def test_the_problem_names_the_order_and_the_tables_left_with_ties() -> None:
    problem = order_problem(select(rules).order_by(rules.c.number))
    assert problem == "ORDER BY rules.number leaves ties among the rows of rules"


def _run(watch: LooseOrders, statement: ClauseElement) -> None:
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", watch)
        conn.execute(statement).all()
    engine.dispose()


def test_the_watch_notes_the_services_own_loose_statements_with_where_they_ran() -> None:
    class FromThisFile(LooseOrders):  # this test file stands for the service's code
        OWN_CODE = (str(Path(__file__).resolve()),)

    watch = FromThisFile()
    _run(watch, select(rules).order_by(rules.c.number))
    _run(watch, select(rules).order_by(rules.c.number, rules.c.id))
    assert list(watch.loose) == ["ORDER BY rules.number leaves ties among the rows of rules"]
    assert "tests/unit/test_total_order.py:" in next(iter(watch.loose.values()))
    assert "rules.number leaves ties" in watch.report()


def test_the_watch_leaves_a_tests_own_queries_alone() -> None:
    watch = LooseOrders()
    _run(watch, select(shops).order_by(shops.c.name))
    assert watch.loose == {}
