"""Staff accounts from a spreadsheet: a council's list of officers read, every row checked, and
every account made, or none (docs/access-and-audit.md, "Staff accounts from a spreadsheet").

Each account gets a temporary password made here, which its holder must change at first sign-in,
as when an administrator sets one. A row for an address that already has an account is left
out, so the same list, grown by its new starters, can be imported again.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.accounts import users
from enforcement.errors import ValidationFailed
from enforcement.models import Organisation, User
from enforcement.spreadsheet import (
    column_key,
    decode_csv,
    delimiter_of,
    schema_names,
    unguarded,
)
from enforcement.text import folded
from enforcement.vocab import Role

COLUMNS = ("Email", "Name", "Organisation", "Roles", "Wards")
#: Other names a header may give a column (compared as `spreadsheet.column_key` compares them).
ALIASES = {
    "emailaddress": "Email",
    "displayname": "Name",
    "fullname": "Name",
    "organization": "Organisation",
    "role": "Roles",
    "ward": "Wards",
    "wardcodes": "Wards",
}
#: Signs that separate several roles or wards in one cell (a comma too when the file's values
#: are separated by something else).
LIST_SEPARATORS = (";", "|", ",")
#: A list longer than this is not a list of staff (and would hold the import's transaction long).
MAX_ROWS = 2000
#: The most accounts one upload on the admin page makes: each password is hashed at the
#: production cost (about a fifth of a second), and the page must answer well inside the web
#: server's 60-second timeout (deploy/). The command line takes the whole list.
MAX_NEW_PER_PAGE = 100
#: Letters and digits a temporary password is made of: no 0/O, 1/l/I to misread.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class StaffRow:
    line: int
    email: str
    name: str
    organisation: str
    roles: frozenset[str]
    ward_codes: frozenset[str]


@dataclass
class StaffPlan:
    """What an import would do: the accounts to make, the rows left out as accounts already,
    and every problem by line (nothing is made while there is one)."""

    new: list[users.UserInput] = field(default_factory=list)
    existing: list[StaffRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def temporary_password() -> str:
    """Four groups of five random letters and digits ("k3vpx-9qtam-..."), about 100 bits."""
    while True:
        groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
        password = "-".join(groups)
        if users.password_problem(password) is None:  # never in practice: a run of keys
            return password


def _role_of(word: str) -> str | None:
    """A role named by its code ("ward_officer") or its label ("Ward officer (DWO or SNT)"),
    in any case."""
    wanted = column_key(word)
    for role in Role:
        if wanted in (column_key(role.value), column_key(role.label)):
            return role.value
    return None


def _items(cell: str, delimiter: str) -> list[str]:
    separators = [s for s in LIST_SEPARATORS if s != delimiter]
    for sign in separators[1:]:
        cell = cell.replace(sign, separators[0])
    return [item.strip() for item in cell.split(separators[0]) if item.strip()]


def read_staff(data: bytes) -> tuple[list[StaffRow], list[tuple[int, str]]]:
    """The rows of a staff list (CSV as a spreadsheet saves it) and each problem by line."""
    text = decode_csv(data)
    if "\x00" in text[:4096]:
        return [], [(1, "This is not a CSV file: save the list from the spreadsheet as CSV")]
    delimiter = delimiter_of(text, COLUMNS + tuple(ALIASES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        names = schema_names((ALIASES.get(column_key(c), c) for c in header), COLUMNS)
        missing = [c for c in COLUMNS if c != "Wards" and c not in names]
        if missing:
            return [], [(1, f"The header has no {', '.join(missing)} column: it needs {COLUMNS}")]
        rows: list[StaffRow] = []
        problems: list[tuple[int, str]] = []
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                return [], [(line, f"The list is longer than {MAX_ROWS:,} people")]
            values = {n: unguarded(c.strip()) for n, c in zip(names, cells, strict=False)}
            row, problem = _row(line, values, delimiter)
            if row is None:
                problems.append((line, problem))
            else:
                rows.append(row)
    except csv.Error as exc:
        return [], [(reader.line_num, f"The file is not readable CSV: {exc}")]
    if not rows and not problems:
        return [], [(1, "The list has a header and no people under it")]
    return rows, problems


def _row(line: int, values: dict[str, str], delimiter: str) -> tuple[StaffRow | None, str]:
    roles, unknown = set(), []
    for word in _items(values.get("Roles", ""), delimiter):
        role = _role_of(word)
        if role is None:
            unknown.append(word)
        else:
            roles.add(role)
    if unknown:
        known = "; ".join(r.label for r in Role)
        return None, f"Roles: {', '.join(unknown)} is not a role (the roles are {known})"
    row = StaffRow(
        line=line,
        email=users.normalise_email(values.get("Email", "")),
        name=values.get("Name", ""),
        organisation=values.get("Organisation", ""),
        roles=frozenset(roles),
        ward_codes=frozenset(w.upper() for w in _items(values.get("Wards", ""), delimiter)),
    )
    return row, ""


def plan_staff(session: Session, actor: Actor, data: bytes, today: date | None = None) -> StaffPlan:
    """Read a staff list and check every row against the rules of a new account and the
    accounts already made; the problems of both, by line. `today` (London) checks the wards
    against those in force then, as making the accounts does."""
    require(actor, Permission.USERS_MANAGE)
    rows, problems = read_staff(data)
    plan = StaffPlan(problems=problems)
    recorded = session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.id)
    ).all()
    organisations = {folded(name): org_id for org_id, name in recorded}
    taken = set(session.scalars(select(User.email).order_by(User.id)))
    seen: dict[str, int] = {}
    for row in rows:
        if row.email in taken:
            plan.existing.append(row)
            continue
        if row.email in seen:
            plan.problems.append((row.line, f"Email: the same address as line {seen[row.email]}"))
            continue
        seen[row.email] = row.line
        if not row.organisation.strip():
            plan.problems.append((row.line, "Organisation: enter the person's organisation"))
            continue
        org_id = organisations.get(folded(row.organisation.strip()))
        if org_id is None:
            known = [name for _, name in recorded]
            plan.problems.append((row.line, _no_organisation(row.organisation, known)))
            continue
        account = users.UserInput(row.email, row.name, org_id, row.roles, row.ward_codes)
        try:
            users.validate_user(session, account, user_id=None, today=today)
        except ValidationFailed as exc:
            plan.problems.append((row.line, _said(exc)))
            continue
        plan.new.append(account)
    plan.problems.sort()
    return plan


def _no_organisation(name: str, known: Sequence[str]) -> str:
    said = f"Organisation: there is no organisation called {name!r}"
    if not known:
        return f"{said}: add it first (flask users create makes one with its first account)"
    shown = "; ".join(known[:10]) + ("; ..." if len(known) > 10 else "")
    return f"{said}: write one as it is recorded ({shown}) or add it first"


_FIELD_NAMES = {"email": "Email", "display_name": "Name", "roles": "Roles", "ward_codes": "Wards"}


def _said(exc: ValidationFailed) -> str:
    return "; ".join(f"{_FIELD_NAMES.get(k, k)}: {v}" for k, v in exc.errors.items())


def import_staff(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: StaffPlan,
    *,
    password: Callable[[], str] = temporary_password,
) -> list[tuple[User, str]]:
    """Make the accounts of a plan (`plan_staff`), each with a temporary password to change at
    first sign-in, or none at all when it has a problem (raises ValidationFailed listing them).
    Returns each new account with its temporary password, for the caller to hand over; the
    passwords are never stored or audited. Each account is checked again as it is made."""
    if plan.problems:
        raise ValidationFailed({f"line {line}": problem for line, problem in plan.problems})
    made: list[tuple[User, str]] = []
    for account in plan.new:
        secret = password()
        user = users.create_user(session, actor, now, account, password=secret)
        user.must_change_password = True
        made.append((user, secret))
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="user.import",
        entity_type="user",
        entity_id=None,
        summary=(
            f"Imported {len(made)} staff account{'s' if len(made) != 1 else ''}"
            f" ({len(plan.existing)} already had one)"
        ),
        after={"created": [u.email for u, _ in made], "left_out": [r.email for r in plan.existing]},
    )
    return made
