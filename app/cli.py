"""Command-line tasks: users, demo data, ward imports, the scheduler, the audit trail, the database role."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from config import Settings
from enforcement import demo
from enforcement.access import Actor
from enforcement.accounts import staff, users
from enforcement.clock import london_today, stamp_text, utcnow
from enforcement.db import make_engine, session_factory, writer
from enforcement.errors import DomainError
from enforcement.registerio import export, importing, runs, sources
from enforcement.scheduler import SchedulerProcess
from enforcement.schema import schema_state
from enforcement.vocab import OrganisationKind, Role
from enforcement.wards import importing as ward_import


def _require_current_schema(engine: Engine, *, unreachable_ok: bool = False) -> None:
    """Stop a command, with what to do, when the database is not at this code's schema, or
    cannot be reached (unless `unreachable_ok`: the scheduler keeps trying every tick)."""
    try:
        problem = schema_state(engine).problem()
    except OperationalError as exc:
        if unreachable_ok:
            return
        raise click.ClickException(
            f"The database cannot be reached ({str(exc.orig).strip()}). Nothing was done."
        ) from exc
    if problem:
        raise click.ClickException(problem + " Nothing was done.")


@contextmanager
def _engine(*, unreachable_ok: bool = False) -> Iterator[Engine]:
    """The database's engine for a command, checked to be at this code's schema (see
    `_require_current_schema`), and closed afterwards."""
    engine = make_engine(current_app.config["SETTINGS"].database_url)
    try:
        _require_current_schema(engine, unreachable_ok=unreachable_ok)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _session() -> Iterator[Session]:
    """Open one unit of work for a command, on an engine that is closed afterwards."""
    with _engine() as engine, session_factory(writer(engine))() as session:
        yield session


users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
wards_cli = AppGroup("wards", help="Ward boundaries.")
register_cli = AppGroup("register", help="The premises and licence register: import and export.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="The person's full name.")
@click.option("--organisation", required=True, help="Created if it does not exist yet.")
@click.option(
    "--organisation-kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default=None,
    help="For a new organisation (council when not given); an existing one keeps its own.",
)
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role])
)
@click.option("--ward", "wards_", multiple=True, help="ONS code of a ward the user covers.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(
    email: str,
    display_name: str,
    organisation: str,
    organisation_kind: str | None,
    roles: tuple[str, ...],
    wards_: tuple[str, ...],
    password: str,
) -> None:
    """Create a user (the way to make the first administrator on a new install)."""
    actor = Actor.system("command line")
    now = utcnow()
    with _session() as session:
        try:
            org = users.get_or_create_organisation(
                session, actor, now, name=organisation, kind=organisation_kind or "council"
            )
            if organisation_kind and org.kind != organisation_kind:
                raise click.ClickException(
                    f"--organisation-kind: {org.name} is already recorded as "
                    f"{OrganisationKind.label_of(org.kind).lower()}, not "
                    f"{OrganisationKind.label_of(organisation_kind).lower()}. Nothing was done."
                )
            user = users.create_user(
                session,
                actor,
                now,
                users.UserInput(email, display_name, org.id, frozenset(roles), frozenset(wards_)),
                password=password,
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(_messages(exc, USER_OPTIONS)) from exc
        click.echo(f"Created user {user.email} ({', '.join(sorted(roles))}) in {org.name}.")
        _say_wards_not_imported(session, wards_, "the user covers it")


def _say_wards_not_imported(session: Session, codes: Iterable[str], who_covers: str) -> None:
    """Name the ward codes no imported ward has yet: an install may make its officers first."""
    if not_yet := users.unknown_ward_codes(session, codes):
        click.echo(
            f"No ward has the code {', '.join(not_yet)} yet: {who_covers} once the wards are "
            "imported (flask wards import)."
        )


def _accounts(count: int) -> str:
    return f"{count} account{'s' if count != 1 else ''}"


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--passwords-to",
    "passwords_to",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A new file (not there yet) to write each new account's temporary password to, "
    "readable by you alone; hand each to its holder, then delete the file.",
)
@click.option("--dry-run", is_flag=True, help="Check the list and say what it would do.")
def import_users_command(path: Path, passwords_to: Path, dry_run: bool) -> None:
    """Make staff accounts from a CSV list (Email, Name, Organisation, Roles, Wards): every
    row checked, every account made or none. Each gets a temporary password to change at
    first sign-in; an address that has an account already is left out."""
    actor = Actor.system("command line")
    with _session() as session:
        plan = staff.plan_staff(session, actor, path.read_bytes(), london_today(utcnow()))
        if problems := plan.problems:
            for line, problem in problems:
                click.echo(f"Line {line}: {problem}", err=True)
            raise click.ClickException(
                f"{len(problems)} row{'s' if len(problems) != 1 else ''} refused. "
                "Nothing was done: put them right and import the list again."
            )
        left_out = f" ({len(plan.existing)} already had one, left out)" if plan.existing else ""
        if dry_run:
            click.echo(f"Would make {_accounts(len(plan.new))}{left_out}. Nothing was done.")
            return
        if not plan.new:
            click.echo(f"No new accounts to make{left_out}.")
            return
        try:  # made first, readable by its owner alone, so no password is lost
            descriptor = os.open(passwords_to, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise click.ClickException(
                f"--passwords-to: could not make {passwords_to}: {exc.strerror}. Nothing was done."
            ) from exc
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
                made = staff.import_staff(session, actor, utcnow(), plan)
                written = csv.writer(out)
                written.writerow(["Email", "Temporary password"])
                written.writerows([user.email, secret] for user, secret in made)
                out.flush()
                os.fsync(out.fileno())
                session.commit()
        except BaseException as exc:
            session.rollback()
            passwords_to.unlink(missing_ok=True)
            if isinstance(exc, DomainError):  # someone else made one of the accounts meanwhile
                raise click.ClickException(f"{_messages(exc)}. Nothing was done.") from exc
            raise
        click.echo(
            f"Made {_accounts(len(made))}{left_out}. Their temporary passwords are in "
            f"{passwords_to}: each holder changes theirs at first sign-in. Delete the file once "
            "they are handed over."
        )
        codes = {code for account in plan.new for code in account.ward_codes}
        _say_wards_not_imported(session, codes, "the officers cover it")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load the demo borough and one user per role, unless data is already there."""
    settings = current_app.config["SETTINGS"]
    if settings.env == "production":
        # Its accounts' passwords are published in the README: an administrator's among them.
        raise click.ClickException(
            "The demo is not loaded when APP_ENV=production: its accounts' passwords, an "
            "administrator's among them, are published. Nothing was done."
        )
    with _session() as session:
        counts = demo.load_demo(session, utcnow(), settings.shared_data_dir)
        session.commit()
    if not counts:
        click.echo("Demo data is already loaded; nothing to do.")
        return
    click.echo(
        f"Loaded {counts['wards']} wards, {counts['premises']} premises and {counts['licences']} licences."
    )
    click.echo(f"Demo users (sign in at {settings.base_url}/sign-in):")
    for du in demo.DEMO_USERS:
        click.echo(f"  {du.role.label:<28} {du.email:<26} password: {du.password}")


@wards_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--valid-from", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option(
    "--district",
    default=None,
    help="Borough code to keep from a file covering several, e.g. E09000013.",
)
@click.option(
    "--repair/--no-repair", default=False, help="Repair invalid shapes where that is safe."
)
@click.option(
    "--crs", default=None, help="EPSG:27700 for a GeoJSON in British National Grid not saying so."
)
def import_wards_command(
    path: Path, valid_from: datetime, district: str | None, repair: bool, crs: str | None
) -> None:
    """Replace the current ward boundaries and reassign every premises to its ward.

    PATH is a GeoJSON file, a shapefile's .shp, its folder, or a .zip of its parts. The same
    checks as the admin page apply (docs/wards-and-maps.md).
    """
    source = ward_import.BoundarySource(
        filename=path.name,
        path=path,
        crs=crs,
        district=district.strip().upper() if district else None,
        repair=repair,
    )
    actor = Actor.system("command line")
    now = utcnow()
    start = valid_from.date()
    with _session() as session:
        try:
            preview = ward_import.preview_import(session, actor, now, source, start)
            for line in preview.repairs:
                click.echo(f"Repaired: {line}")
            if not preview.ok:
                problems = preview.problems or ["the file holds no wards"]
                raise click.ClickException("Boundaries refused:\n  " + "\n  ".join(problems))
            result = ward_import.confirm_import(session, actor, now, source, start)
            session.commit()
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(_messages(exc)) from exc
    click.echo(
        f"Loaded {result.wards} wards in force from {result.valid_from:%-d %B %Y}; "
        f"{result.moved} premises moved ward, {result.outside} are outside every ward."
    )
    for move in result.moves:
        click.echo(f"  {move.count} from {move.from_name} to {move.to_name}")
    for change in result.cover:
        click.echo(_cover_line(change))


#: The option of `users create` each field of the accounts workflow comes from.
USER_OPTIONS = {
    "email": "--email",
    "display_name": "--name",
    "name": "--organisation",
    "kind": "--organisation-kind",
    "organisation_id": "--organisation",
    "roles": "--role",
    "ward_codes": "--ward",
    "password": "--password",
}


def _messages(exc: DomainError, options: dict[str, str] | None = None) -> str:
    """What was wrong, each message after the option it is about when `options` names it."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        named = options or {}
        return "; ".join(f"{named[k]}: {v}" if k in named else str(v) for k, v in errors.items())
    return exc.message


def _cover_line(change: ward_import.CoverChange) -> str:
    """One line of the import report: where the officers covering a ward now are."""
    who = f"{change.officers} officer{'s' if change.officers != 1 else ''}"
    if change.how == "code":
        return f"Kept: {who} covering {change.old_code} {change.new_name} (same code)"
    if change.how == "overlap":
        return (
            f"Check: {who} covering {change.old_code} {change.old_name} now cover "
            f"{change.new_code} {change.new_name} ({change.share:.0%} of the old ward); "
            "confirm or change their wards in the admin area"
        )
    return (
        f"Check: {who} covering {change.old_code} {change.old_name}: no new ward overlaps it; "
        "change their wards in the admin area"
    )


@register_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "kind", required=True, type=click.Choice(sources.FORMATS), help="The kind of file."
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--skip-outside",
    is_flag=True,
    help="Leave out premises whose location is outside the borough's wards.",
)
@click.option(
    "--take-conflicts",
    is_flag=True,
    help="For records changed in the app since the last import, take the file's version.",
)
@click.option(
    "--leave-out-refused",
    is_flag=True,
    help="Import the file although some rows were refused, leaving those rows out (without it, "
    "a file with a refused row writes nothing).",
)
@click.option(
    "--authority",
    "authorities",
    multiple=True,
    help="Another name of the council in a national file (besides COUNCIL_NAME).",
)
@click.option(
    "--postcode-district",
    "districts",
    multiple=True,
    help="A postcode district of the council's area, e.g. W6 (default: the districts of the "
    "premises in the borough's wards).",
)
@click.option("--details", is_flag=True, help="List every new, changed and conflicting record.")
def import_register_command(
    path: Path,
    kind: str,
    dry_run: bool,
    skip_outside: bool,
    take_conflicts: bool,
    leave_out_refused: bool,
    authorities: tuple[str, ...],
    districts: tuple[str, ...],
    details: bool,
) -> None:
    """Import premises and licences from an esd licence CSV, an FHRS XML file or the Gambling
    Commission's register: all or nothing, matching what is there already."""
    settings = current_app.config["SETTINGS"]
    options = importing.Options(
        skip_outside=skip_outside,
        take_conflicts=take_conflicts,
        leave_out_refused=leave_out_refused,
    )
    area = runs.Area(settings.council_name, authorities, districts)
    actor = Actor.system("command line")
    data = path.read_bytes()
    with _session() as session:
        with click.progressbar(length=1, label="Reading and matching", file=None) as bar:
            plan = _with_bar(
                bar,
                lambda progress: runs.preview(
                    session, utcnow(), kind, data, options, area, progress
                ),
            )
        _echo_plan(plan, details)
        if dry_run:
            click.echo("Dry run: nothing was written.")
            return
        if plan.refused and not leave_out_refused:
            raise click.ClickException(
                f"{importing.refused_rows_message(len(plan.refused))} Nothing was written. "
                "Run again with --leave-out-refused to import the rest."
            )
        with click.progressbar(length=1, label="Writing") as bar:
            result = _with_bar(
                bar,
                lambda progress: importing.apply_plan(
                    session, actor, utcnow(), plan, options, source=path.name, progress=progress
                ),
            )
        session.commit()
    click.echo(
        f"Imported: {result.created_premises} premises and {result.created_licences} licences "
        f"added, {result.updated_premises} premises and {result.updated_licences} licences "
        f"updated, {result.unchanged} unchanged; conflicts kept as they are: "
        f"{result.conflicts_kept}, taken from the file: {result.conflicts_taken}"
        + (
            f"; refused rows left out: {result.refused_left_out}."
            if result.refused_left_out
            else "."
        )
    )


@register_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--format", "kind", type=click.Choice(["esd", "json"]), default="esd", show_default=True
)
def export_register_command(path: Path, kind: str) -> None:
    """Write the licence register to PATH as the esd CSV (premises licences) or JSON (all)."""
    council = current_app.config["SETTINGS"].council_name
    actor = Actor.system("command line")
    with _session() as session:
        if kind == "esd":
            text = export.export_esd_csv(session, actor, utcnow(), council)
        else:
            text = export.export_json(session, actor, utcnow(), council)
        try:
            _write_whole(path, text)
        except OSError as exc:  # the export is audited only once the file is there
            session.rollback()
            raise click.ClickException(
                f"Could not write {path}: {exc.strerror or exc}. Nothing was exported."
            ) from exc
        session.commit()
    click.echo(f"Wrote {path}.")


def _write_whole(path: Path, text: str) -> None:
    """Write the file whole or not at all: into a neighbour first, then put in its place."""
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _with_bar(bar: Any, work: Any) -> Any:
    """Run work(progress), moving the progress bar as it reports (done, total)."""

    def progress(done: int, total: int) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    try:
        return work(progress)
    except sources.ImportFileError as exc:
        for refused in exc.refused:  # every row refused: each with its line, as a preview lists
            click.echo(f"Refused: line {refused.line}: {refused.reason}")
        raise click.ClickException(exc.nothing_written()) from exc


def _echo_plan(plan: importing.Plan, details: bool) -> None:
    counts = plan.counts()
    click.echo(
        f"New: {counts['new']}, changed: {counts['changed']}, unchanged: {counts['unchanged']}, "
        f"conflicts: {counts['conflict']}, refused: {counts['refused']}, left out: "
        f"{counts['left_out']}; outside the borough: {counts['outside_borough']}, "
        f"without a location (to place on the map): {counts['no_location']}."
    )
    for reason, count in sorted(plan.left_out.items()):
        click.echo(f"Left out, {reason}: {count}")
    for refused in plan.refused:
        click.echo(f"Refused: line {refused.line}: {refused.reason}")
    for odd in plan.disagreements:
        click.echo(
            f"Line {odd.line} describes the premises of line {odd.first_line} otherwise "
            f"({odd.label}); line {odd.first_line}'s description is imported:"
        )
        for name, (first, this) in odd.fields.items():
            click.echo(f"    premises {name}: {first!r} on line {odd.first_line}, {this!r} here")
    for item in plan.items:
        if item.conflicting or (details and item.kind != importing.UNCHANGED):
            kind = "Conflict" if item.conflicting else item.kind.capitalize()
            at = (
                " (a new licence, added either way, at a premises the register holds)"
                if item.kind == importing.NEW and item.conflicting
                else ""
            )
            click.echo(f"{kind}: line {item.record.line}: {item.record.label}{at}")
            for what, found in (
                ("premises", item.premises_changes),
                ("licence", item.licence_changes),
            ):
                for name, (before, after) in found.items():
                    click.echo(f"    {what} {name}: {before!r} -> {after!r}")


@users_cli.command("supervisor")
@click.argument("email")
@click.option("--supervisor", "supervisor_email", help="Email of the supervisor to escalate to.")
@click.option("--none", "clear", is_flag=True, help="Remove the supervisor.")
def set_supervisor_command(email: str, supervisor_email: str | None, clear: bool) -> None:
    """Set who a user's statutory reminders escalate to."""
    if clear == bool(supervisor_email):
        raise click.ClickException("Give either --supervisor EMAIL or --none.")
    from enforcement.models import User
    from enforcement.reminders import tasks

    with _session() as session:
        user = session.scalar(select(User).where(User.email == users.normalise_email(email)))
        boss = None
        if supervisor_email:
            boss = session.scalar(
                select(User).where(User.email == users.normalise_email(supervisor_email))
            )
            if boss is None:
                raise click.ClickException(f"There is no user {supervisor_email}.")
        if user is None:
            raise click.ClickException(f"There is no user {email}.")
        try:
            tasks.set_supervisor(
                session, Actor.system("command line"), utcnow(), user.id, boss.id if boss else None
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(exc.message) from exc
    click.echo(f"{user.email} now escalates to {boss.email if boss else 'no one'}.")


@users_cli.command("reset-second-factor")
@click.argument("email")
def reset_second_factor_command(email: str) -> None:
    """Remove a user's authenticator app and recovery codes (the last administrator's way back)."""
    from enforcement.accounts import totp
    from enforcement.models import User

    with _session() as session:
        user = session.scalar(select(User).where(User.email == users.normalise_email(email)))
        if user is None:
            raise click.ClickException(f"There is no user {email}.")
        try:
            totp.reset(session, Actor.system("command line"), utcnow(), user.id)
            session.commit()
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(exc.message) from exc
        click.echo(f"{user.email} will set up a new authenticator app at their next sign-in.")


@users_cli.command("deactivate")
@click.argument("emails", nargs=-1, required=True)
def deactivate_users_command(emails: tuple[str, ...]) -> None:
    """Deactivate users, ending their sessions (a leaver; the demo's accounts in a database
    that has gone live). Tasks only they could complete go to the team that can."""
    from enforcement.models import User
    from enforcement.reminders import tasks

    wanted = sorted({users.normalise_email(e) for e in emails})
    with _session() as session:
        found = {
            u.email: u
            for u in session.scalars(select(User).where(User.email.in_(wanted)).order_by(User.id))
        }
        missing = [e for e in wanted if e not in found]
        if missing:
            raise click.ClickException(f"There is no user {', '.join(missing)}. Nothing was done.")
        for user in found.values():
            users.set_active(session, Actor.system("command line"), utcnow(), user.id, False)
            tasks.hand_on_tasks_of(session, Actor.system("command line"), utcnow(), user.id)
        session.commit()
        click.echo(f"Deactivated {', '.join(found)}; their sessions have ended.")


@click.command("scheduler")
@click.option(
    "--once", is_flag=True, help="Run one tick (unless another scheduler is active), then exit."
)
@click.option(
    "--interval",
    type=click.IntRange(1, 3600),
    default=None,
    help="Seconds between ticks (default: SCHEDULER_INTERVAL_SECONDS).",
)
def scheduler_command(once: bool, interval: int | None) -> None:
    """Run the reminder scheduler: one process beside the web server, never inside it."""
    import logging

    settings = current_app.config["SETTINGS"]
    if settings.env == "production" and not settings.smtp_host:
        raise click.ClickException("APP_ENV=production needs SMTP_HOST to send reminders.")
    logging.basicConfig(
        level=logging.WARNING if once else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own line per tick suffices
    # A tick on another schema would fail every minute; a database down now is tried again.
    with _engine(unreachable_ok=True):
        pass
    if settings.env == "production":
        _warn_of_demo_accounts()
    try:
        process = SchedulerProcess(settings)
    except ValueError as exc:  # malformed REMINDER_LEADS
        raise click.ClickException(str(exc)) from exc
    try:
        if once:
            report = process.run_once()
            click.echo(report.summary() if report else "Another scheduler is active: nothing done.")
            return
        _run_forever(process, interval or settings.scheduler_interval_seconds)
    finally:
        process.close()


def _warn_of_demo_accounts() -> None:
    """Say, at the scheduler's start, if the demo's accounts (their passwords published) are
    active in a production database, and how to deactivate them."""
    try:
        with _session() as session:
            found = demo.active_demo_accounts(session)
    except click.ClickException:  # the database is down: the ticks will say so
        return
    if found:
        click.echo(
            "Warning: the demo's accounts, whose passwords are published, are active in this "
            f"production database. Deactivate them: flask --app app users deactivate "
            f"{' '.join(found)}",
            err=True,
        )


class StopRequest:
    """The scheduler's signal handler: it only records that a stop was asked for.

    The scheduler is stopped by the main thread (`_run_forever`), never inside the handler: a
    handler runs between two steps of whatever the main thread was doing, and stopping there
    waited for the tick's thread while the main thread could still hold a lock that thread or
    the stop itself needs (the thread pool's, the log's), which never comes free. Ctrl-C in a
    terminal reaches the scheduler and `make run`'s trap sends it SIGTERM too: a second signal
    changes nothing."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __call__(self, signum: int, _frame: Any) -> None:
        if self.signal is None:
            self.signal = signum

    @property
    def asked(self) -> bool:
        return self.signal is not None


def wait_then_stop(sched: Any, request: StopRequest, poll_seconds: float = 0.5) -> None:
    """Wait in the main thread until a stop is asked for (or the scheduler has stopped), then
    stop the scheduler, letting a running tick finish its mail."""
    import time

    while not request.asked and sched.running:
        time.sleep(poll_seconds)  # a signal ends the wait early only by its handler's flag
    if sched.running:
        sched.shutdown(wait=True)


def _run_forever(process: SchedulerProcess, interval: int) -> None:
    """Tick every `interval` seconds with APScheduler 3, starting at once (catching up)."""
    import signal
    from datetime import UTC, datetime

    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    sched = BackgroundScheduler(
        timezone=UTC,
        job_defaults={
            # One tick at a time; ticks missed while one ran long become one (the database says
            # what is due, so nothing is lost by not repeating them). APScheduler's default
            # grace of 1 second would drop a tick that starts a little late: allow an interval.
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": interval,
        },
    )
    sched.add_job(
        process.run_once,
        IntervalTrigger(seconds=interval, timezone=UTC),
        id="reminders-tick",
        next_run_time=datetime.now(UTC),  # catch up on whatever fell due while we were down
    )

    request = StopRequest()
    signal.signal(signal.SIGTERM, request)
    signal.signal(signal.SIGINT, request)
    click.echo(f"Scheduler running: a tick every {interval} seconds. Stop with Ctrl+C or SIGTERM.")
    sched.start()
    wait_then_stop(sched, request)


audit_cli = AppGroup("audit", help="The audit trail.")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _checkpoint_sources(settings: Any, extra: tuple[Path, ...]) -> list[Path]:
    own = settings.audit_checkpoint_file
    return ([own] if own.is_file() else []) + [p for p in extra if p != own]


@audit_cli.command("verify")
@click.option(
    "--checkpoints",
    "extra",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of checkpoint lines kept elsewhere (from the auditors' mails), checked "
    "besides AUDIT_CHECKPOINT_FILE. May be given more than once.",
)
def audit_verify_command(extra: tuple[Path, ...]) -> None:
    """Check the audit trail's hash chain and every checkpoint, and report every break."""
    import time

    from enforcement import audit_chain

    settings = current_app.config["SETTINGS"]
    started = time.perf_counter()
    checkpoints: list[tuple[audit_chain.Checkpoint, str]] = []
    bad: list[audit_chain.Break] = []
    for path in _checkpoint_sources(settings, extra):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if not settings.audit_checkpoint_key and any(line.strip() for line in lines):
            raise click.ClickException(
                f"{path} holds checkpoints, but AUDIT_CHECKPOINT_KEY is not set to check them."
            )
        found, wrong = audit_chain.read_checkpoints(lines, settings.audit_checkpoint_key, str(path))
        checkpoints += found
        bad += wrong
    with _engine() as engine, session_factory(engine)() as session:
        verdict = audit_chain.verify(session, checkpoints)
    took = time.perf_counter() - started
    breaks = [*bad, *verdict.breaks]
    counted = (
        f"{_count(verdict.checked, 'event')} and {_count(verdict.checkpoints, 'checkpoint')} "
        f"checked in {took:.1f}s"
    )
    if breaks:
        for found_break in breaks:
            click.echo(f"Broken: {found_break.describe()}", err=True)
        raise click.ClickException(
            f"The audit trail is not intact: {len(breaks):,} "
            f"{'problem' if len(breaks) == 1 else 'problems'} found ({counted})."
        )
    click.echo(f"The audit trail is intact: {counted}.")
    if verdict.last_id is not None:
        click.echo(f"Last event {verdict.last_id}, head hash {verdict.head}.")
    if verdict.latest is None:
        click.echo(
            "No checkpoints were checked: without them an edit with every later hash "
            "recomputed, or deleting the newest events, cannot be detected. Set "
            "AUDIT_CHECKPOINT_KEY and run the scheduler (see docs/operations-security.md)."
        )
    else:
        click.echo(
            f"Newest checkpoint: {verdict.latest.count:,} events, taken at "
            f"{stamp_text(verdict.latest.taken_at)}."
        )


@audit_cli.command("checkpoint")
def audit_checkpoint_command() -> None:
    """Take an audit checkpoint now: append it to the file and mail it to the auditors."""
    from enforcement.reminders.notify import NotifyConfig
    from enforcement.scheduler import record_audit_checkpoint

    settings = current_app.config["SETTINGS"]
    if not settings.audit_checkpoint_key:
        raise click.ClickException("Set AUDIT_CHECKPOINT_KEY to take checkpoints.")
    with _session() as session:
        cp = record_audit_checkpoint(
            session, utcnow(), settings, NotifyConfig.from_settings(settings)
        )
        session.commit()
    click.echo(
        f"Checkpoint taken: {cp.count:,} events, last event {cp.last_id}, appended to "
        f"{settings.audit_checkpoint_file}; the scheduler mails it to the auditors."
    )


measures_cli = AppGroup("measures", help="The action plan's measures.")


@measures_cli.command("summarise")
@click.option(
    "--again", is_flag=True, help="Discard every summary first and count them all afresh."
)
def measures_summarise_command(again: bool) -> None:
    """Keep the compliance view and compute every missing summary of a closed quarter now (the
    tick does a few a tick)."""
    from enforcement.measures import summaries

    with _session() as session:
        if again:
            session.execute(summaries.delete_all_statement())
            session.commit()
        compliance, kept = summaries.refresh_all(session, utcnow())
    click.echo(
        f"Measure summaries computed: {kept:,}. Poster compliance view: "
        + ("kept as it stands now." if compliance else "the one kept still serves.")
    )


evidence_cli = AppGroup("evidence", help="Evidence photos.")


@evidence_cli.command("clean")
def evidence_clean_command() -> None:
    """Re-encode photos stored before uploads were cleaned, without their metadata (audited)."""
    from enforcement.inspections import evidence

    settings = current_app.config["SETTINGS"]
    store = evidence.store_for(settings.evidence_store, settings.evidence_dir)
    with _session() as session:
        report = evidence.clean_stored(session, Actor.system("command line"), utcnow(), store)
        session.commit()
        for sha256 in report.superseded:
            store.discard(session, sha256)  # only after the rows point at the clean copies
        session.commit()
    click.echo(
        f"{_count(len(report.cleaned), 'photo')} re-encoded without their metadata; "
        f"{report.already_clean:,} clean already."
    )
    for file_id, why in report.refused:
        click.echo(f"Photo {file_id} does not decode, left as it is for a person to judge: {why}")
    for file_id in report.missing:
        click.echo(f"Photo {file_id}: it is missing from the {store.name} ({_where(settings)})")
    for file_id, twin in report.duplicates:
        click.echo(f"Photo {file_id} is the same picture as photo {twin}: left as it is")


def _where(settings: Settings) -> str:
    return "database" if settings.evidence_store == "database" else str(settings.evidence_dir)


@evidence_cli.command("move")
@click.option(
    "--to",
    "target_kind",
    type=click.Choice(["database", "folder"]),
    required=True,
    help="The backend to move every photo to (then set EVIDENCE_STORE to it).",
)
def evidence_move_command(target_kind: str) -> None:
    """Move every evidence photo to the database or to EVIDENCE_DIR (safe to run again)."""
    from enforcement.inspections import evidence

    settings = current_app.config["SETTINGS"]
    source_kind = "folder" if target_kind == "database" else "database"
    source = evidence.store_for(source_kind, settings.evidence_dir)
    target = evidence.store_for(target_kind, settings.evidence_dir)
    with _session() as session:
        report = evidence.move_evidence(
            session, Actor.system("command line"), utcnow(), source, target
        )
        session.commit()  # the copies first: until then the source still holds every photo
        for sha256 in report.to_discard:
            source.discard(session, sha256)
        session.commit()
    click.echo(
        f"{_count(report.moved, 'photo')} moved to the {target_kind}; "
        f"{report.already:,} there already."
    )
    for file_id in report.missing:
        click.echo(f"Photo {file_id} is in neither the folder nor the database")
    for file_id in report.damaged:
        click.echo(f"Photo {file_id} does not match its hash: left where it is")
    if target_kind != settings.evidence_store:
        click.echo(f"Now set EVIDENCE_STORE={target_kind} and restart the app.")
    if report.missing or report.damaged:
        raise SystemExit(1)


db_cli = AppGroup("db", help="The database.")

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def app_role_sql(role: str, database: str, owner: str, schema: str = "public") -> list[str]:
    """Return the statements that make `role` the application's restricted PostgreSQL role.

    Run as the owner of the tables (who runs the migrations), which needs CREATEROLE to create
    the role but not superuser: the role is created with its attributes (it may log in, and
    nothing more), and an existing one is not altered beyond being allowed to log in (the
    command refuses one with more attributes before running these). The role may read and
    write the application's tables but owns none, so it cannot drop or disable the audit
    trail's triggers, alter or truncate tables; on audit_events it may only INSERT and SELECT,
    and on alembic_version only SELECT. Running it again (after each upgrade) is harmless.
    """
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError("a role name is lower-case letters, digits and underscores")
    r, db, own, sch = (_quote(v) for v in (role, database, owner, schema))
    return [
        # Changing SUPERUSER, REPLICATION or BYPASSRLS needs a superuser even to turn them off,
        # so they are set only when the role is created (to what PostgreSQL defaults to anyway).
        # `role` is a plain identifier (_ROLE_NAME, checked above): nothing to inject.
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "  # noqa: S608
        f"'{role}') THEN CREATE ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        " NOREPLICATION NOBYPASSRLS; ELSIF NOT (SELECT rolcanlogin FROM pg_roles WHERE"
        f" rolname = '{role}') THEN ALTER ROLE {r} LOGIN; END IF; END $$",
        # Before PostgreSQL 15 every role may create objects in the public schema, which
        # would let the application shadow a table or function with one it owns.
        f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {r}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {r}",  # ward imports use a temp table
        f"GRANT USAGE ON SCHEMA {sch} TO {r}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {r}",
        f"REVOKE UPDATE, DELETE ON {sch}.audit_events FROM {r}",
        f"REVOKE INSERT, UPDATE, DELETE ON {sch}.alembic_version FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {r}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {sch} TO {r}",
        # Tables a later migration adds are usable at once; rerun this to narrow them.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {sch} GRANT USAGE ON SEQUENCES TO {r}",
    ]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_ROLE_ATTRIBUTES = ("CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS")


def _refuse_a_powerful_role(conn: Any, name: str, owner: str, superuser: bool) -> None:
    """Refuse to turn an existing role that holds more than the app may into the app's role.

    Altering it would not take those rights away (a member of the owner inherits them, an owner
    keeps its tables), or would strip a superuser someone relies on.
    """
    from sqlalchemy import text

    if superuser:
        raise click.ClickException(
            f"{name} is a superuser: give the application a role of its own."
        )
    extra = conn.execute(
        text(
            "SELECT rolcreatedb, rolcreaterole, rolreplication, rolbypassrls"
            " FROM pg_roles WHERE rolname = :n"
        ),
        {"n": name},
    ).one()
    held = [attribute for attribute, has in zip(_ROLE_ATTRIBUTES, extra, strict=True) if has]
    if held:
        raise click.ClickException(
            f"{name} has {', '.join(held)}, which the application must not: give it a role of"
            f" its own, or have a superuser run ALTER ROLE {name}"
            f" {' '.join('NO' + a for a in held)}."
        )
    if conn.scalar(text("SELECT pg_has_role(:n, :o, 'MEMBER')"), {"n": name, "o": owner}):
        raise click.ClickException(
            f"{name} is a member of {owner}, so it would hold the owner's rights: "
            f"REVOKE {owner} FROM {name} first."
        )
    if conn.scalar(
        text(
            "SELECT count(*) FROM pg_tables WHERE tableowner = :n AND schemaname = current_schema()"
        ),
        {"n": name},
    ):
        raise click.ClickException(
            f"{name} owns tables here: give the application a role of its own."
        )


def _require_createrole(conn: Any, name: str, owner: str) -> None:
    """Refuse, before changing anything, when the owner may not create the role."""
    from sqlalchemy import text

    may = conn.execute(
        text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not may:
        raise click.ClickException(
            f"{owner} lacks the CREATEROLE privilege needed to create the role {name}: have a"
            f" superuser run ALTER ROLE {owner} CREATEROLE (or CREATE ROLE {name} LOGIN),"
            " then run this again."
        )


def _refusal(exc: Any, name: str, owner: str) -> str:
    """Say in one line what PostgreSQL refused and, for a missing privilege, what is needed."""
    orig = getattr(exc, "orig", None)
    message = str(orig or exc).strip()
    said = message.splitlines()[0] if message else type(exc).__name__
    if getattr(orig, "sqlstate", None) == "42501":  # insufficient_privilege
        return (
            f"{owner} lacks a privilege this needs ({said}): run it as the owner of the"
            f" tables, with CREATEROLE, or have a superuser run the statements from"
            f" `flask db grant-app-role {name} --print-sql`."
        )
    return f"PostgreSQL refused to set up {name}: {said}"


@db_cli.command("grant-app-role")
@click.argument("name")
@click.option(
    "--print-sql",
    is_flag=True,
    help="Print the statements for a DBA to run instead of running them.",
)
def grant_app_role_command(name: str, print_sql: bool) -> None:
    """Create or update NAME as the app's restricted PostgreSQL role (run as the table owner)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    settings = current_app.config["SETTINGS"]
    if not settings.database_url.startswith("postgresql"):
        raise click.ClickException("The application's role is for PostgreSQL databases only.")
    if not _ROLE_NAME.fullmatch(name):
        raise click.ClickException(
            "A role name is lower-case letters, digits and underscores, starting with a letter."
        )
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            owner, database, schema = conn.execute(
                text("SELECT current_user, current_database(), current_schema()")
            ).one()
            if name == owner:
                raise click.ClickException(
                    f"{name} is the role running this command, which owns the tables: the "
                    "application needs a role of its own."
                )
            existing = conn.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = :n"), {"n": name}
            ).first()
            if existing is not None:
                _refuse_a_powerful_role(conn, name, owner, bool(existing[0]))
            statements = app_role_sql(name, database, owner, schema)
            if print_sql:
                click.echo(";\n".join(statements) + ";")
                return
            if existing is None:
                _require_createrole(conn, name, owner)
            for statement in statements:
                try:
                    conn.exec_driver_sql(statement)
                except DBAPIError as exc:
                    raise click.ClickException(_refusal(exc, name, owner)) from None
    finally:
        engine.dispose()
    click.echo(
        f"{name} may now read and write the application's tables in {database} but owns none: "
        "it cannot drop triggers, alter or truncate tables, and may only add to the audit "
        f"trail. Set its password (psql: \\password {name}) and point the app's "
        "DATABASE_URL at it; keep running migrations as the owner."
    )


def register(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(measures_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(wards_cli)
    app.cli.add_command(register_cli)
