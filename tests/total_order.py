"""Whether a SELECT lists its rows in one order only: a total ORDER BY (docs/architecture.md).

Rows come back in a total order when the columns the statement sorts by, together with those
its WHERE clause fixes (`col = value`, `col IN (...)`, which a loader of related rows uses to
pick each parent's rows), determine every row: each table of the FROM clause has a unique key
among them, directly or through the equalities of the WHERE and ON clauses; or, for a GROUP BY
or a DISTINCT, the grouped or selected columns are all determined. Sorting premises by name
alone is not total (two premises share a name, and a page may then show one twice and skip
the other); by name then id it is.

`order_problem(statement)` says what is wrong, or None. It judges what it can see: a statement
reading from a subquery, a union or a function is left alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Table, UniqueConstraint
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseElement,
    Grouping,
    Label,
    Null,
    UnaryExpression,
)
from sqlalchemy.sql.expression import Alias, Join
from sqlalchemy.sql.selectable import Select

ROOT = Path(__file__).resolve().parents[1]
Key = tuple[str, str]  # (the table's or alias's name in the statement, the column's name)


def _bare(term: Any) -> Any:
    """The column or expression under a sort direction, a label or parentheses."""
    while isinstance(term, UnaryExpression | Label | Grouping):
        term = term.element
    return term


def _key(column: Any) -> Key | None:
    table = getattr(column, "table", None)
    if isinstance(column, Column) and isinstance(table, Table | Alias):
        return (table.name, column.name)
    return None


def _unique_keys(source: Table | Alias) -> list[frozenset[Key]]:
    table = source.element if isinstance(source, Alias) else source
    if not isinstance(table, Table):
        return []
    sets: list[list[Any]] = [list(table.primary_key)]
    sets += [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    sets += [[c] for c in table.columns if c.unique]
    sets += [list(ix.columns) for ix in table.indexes if ix.unique and ix.columns]
    return [frozenset((source.name, c.name) for c in cols) for cols in sets if cols]


def _conjuncts(clause: Any) -> Iterator[Any]:
    """The parts of a clause joined by AND (an equality under OR fixes nothing)."""
    if clause is None:
        return
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        for part in clause.clauses:
            yield from _conjuncts(part)
    elif isinstance(clause, Grouping):
        yield from _conjuncts(clause.element)
    else:
        yield clause


def _is_value(term: Any) -> bool:
    return isinstance(term, BindParameter | Null) or (
        isinstance(term, Grouping) and isinstance(term.element, BindParameter)
    )


def _froms(statement: Select[Any]) -> tuple[list[Any], list[Any]]:
    """The statement's tables and aliases, and the ON clauses of its joins."""
    sources: list[Any] = []
    ons: list[Any] = []

    def walk(item: Any) -> None:
        if isinstance(item, Join):
            walk(item.left)
            walk(item.right)
            ons.append(item.onclause)
        else:
            sources.append(item)

    for item in statement.get_final_froms():
        walk(item)
    return sources, ons


def order_problem(statement: ClauseElement) -> str | None:
    """What keeps the SELECT's order from being total, or None."""
    if not isinstance(statement, Select):
        return None
    order = [_bare(t) for t in statement._order_by_clauses]
    limited = statement._limit_clause is not None or statement._offset_clause is not None
    if not order:
        limit = getattr(statement._limit_clause, "value", None)
        if limited and not (statement._offset_clause is None and limit == 1):
            return "a LIMIT or OFFSET without an ORDER BY"
        return None
    sources, ons = _froms(statement)
    if not sources or not all(isinstance(s, Table | Alias) for s in sources):
        return None  # a subquery, a union or a function: not judged here
    if any(isinstance(s, Alias) and not isinstance(s.element, Table) for s in sources):
        return None
    determined: set[Key] = {k for t in order if (k := _key(t)) is not None}
    equalities: list[tuple[Key, Key]] = []
    for clause in [*_conjuncts(statement.whereclause), *(c for on in ons for c in _conjuncts(on))]:
        if not isinstance(clause, BinaryExpression):
            continue
        left, right = _bare(clause.left), _bare(clause.right)
        if clause.operator in (operators.eq, operators.in_op):
            lk, rk = _key(left), _key(right)
            if lk and rk and clause.operator is operators.eq:
                equalities.append((lk, rk))
            elif lk and (_is_value(right) or clause.operator is operators.in_op):
                determined.add(lk)
            elif rk and _is_value(left):  # a lazy loader's `:param = child.parent_id`
                determined.add(rk)
    keys = {s.name: _unique_keys(s) for s in sources}
    columns = {s.name: {(s.name, c.name) for c in s.columns} for s in sources}
    changed = True
    while changed:
        changed = False
        for name, unique in keys.items():
            if not columns[name] <= determined and any(k <= determined for k in unique):
                determined |= columns[name]
                changed = True
        for a, b in equalities:
            if (a in determined) != (b in determined):
                determined |= {a, b}
                changed = True
    if statement._group_by_clauses:
        grouped = [_key(_bare(g)) for g in statement._group_by_clauses]
        if all(k is not None and k in determined for k in grouped):
            return None
    if statement._distinct and not statement._distinct_on:
        chosen = [_key(_bare(c)) for c in statement.selected_columns]
        if all(k is not None and k in determined for k in chosen):
            return None
    loose = sorted(name for name in keys if not columns[name] <= determined)
    if not loose:
        return None
    sorted_by = ", ".join(str(t) for t in statement._order_by_clauses)
    return f"ORDER BY {sorted_by} leaves ties among the rows of {', '.join(loose)}"


class LooseOrders:
    """A listener for a connection's statements (`before_cursor_execute`): notes each statement
    the service's own code ran (a frame in `app/` or `enforcement/`) whose order is not total,
    with where it was run from. A test's own queries are not judged.

    Each compiled statement is judged once: SQLAlchemy reuses them, and most are run many times.
    """

    OWN_CODE = tuple(f"{ROOT / package}{os.sep}" for package in ("app", "enforcement"))
    judged: dict[int, tuple[object, str | None]] = {}  # shared by every connection of the run

    def __init__(self) -> None:
        self.loose: dict[str, str] = {}

    def __call__(
        self, _c: object, _cur: object, _s: str, _p: object, context: Any, *_: Any
    ) -> None:
        compiled = getattr(context, "compiled", None)
        if compiled is None:
            return
        seen = self.judged.get(id(compiled))
        if seen is None:
            # An ORM query's final statement (with its eager loads' joins and their order).
            final = getattr(getattr(compiled, "compile_state", None), "statement", None)
            problem = order_problem(compiled.statement if final is None else final)
            if len(self.judged) > 100_000:
                self.judged.clear()
            seen = self.judged[id(compiled)] = (compiled, problem)  # kept: its id stays its own
        if seen[1] is not None and seen[1] not in self.loose:
            where = self._own_caller()
            if where:
                self.loose[seen[1]] = where

    @classmethod
    def _own_caller(cls) -> str | None:
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename.startswith(cls.OWN_CODE):
                name = Path(frame.f_code.co_filename).relative_to(ROOT).as_posix()
                return f"{name}:{frame.f_lineno} ({frame.f_code.co_name})"
            frame = frame.f_back
        return None

    def report(self) -> str:
        return "Statements whose ORDER BY leaves ties (tests/total_order.py):\n" + "\n".join(
            f"- {problem}\n    run from {where}" for problem, where in self.loose.items()
        )
