"""Command-line tasks: users, demo data, ward imports, the scheduler, `flask audit verify`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import demo
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import utcnow
from enforcement.db import make_engine, session_factory, writer
from enforcement.errors import DomainError
from enforcement.register import wards
from enforcement.scheduler import SchedulerProcess
from enforcement.vocab import OrganisationKind, Role
from geo.wards import BoundaryError, load_geojson, load_shapefile, validate


@contextmanager
def _session() -> Iterator[Session]:
    """Open one unit of work for a command, on an engine that is closed afterwards."""
    engine = make_engine(current_app.config["SETTINGS"].database_url)
    try:
        with session_factory(writer(engine))() as session:
            yield session
    finally:
        engine.dispose()


users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
wards_cli = AppGroup("wards", help="Ward boundaries.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="The person's full name.")
@click.option("--organisation", required=True, help="Created if it does not exist yet.")
@click.option(
    "--organisation-kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default="council",
    show_default=True,
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
    organisation_kind: str,
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
                session, actor, now, name=organisation, kind=organisation_kind
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
            raise click.ClickException(exc.message) from exc
        click.echo(f"Created user {user.email} ({', '.join(sorted(roles))}) in {org.name}.")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load the demo borough and one user per role, unless data is already there."""
    settings = current_app.config["SETTINGS"]
    with _session() as session:
        counts = demo.load_demo(session, utcnow(), settings.shared_data_dir)
        session.commit()
    if not counts:
        click.echo("Demo data is already loaded; nothing to do.")
        return
    click.echo(
        f"Loaded {counts['wards']} wards, {counts['premises']} premises and {counts['licences']} licences."
    )
    click.echo("Demo users (sign in at http://127.0.0.1:5000/sign-in):")
    for du in demo.DEMO_USERS:
        click.echo(f"  {du.role.label:<28} {du.email:<26} password: {du.password}")


@wards_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--valid-from", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option(
    "--district", default=None, help="Borough code to keep from a shapefile, e.g. E09000013."
)
@click.option(
    "--repair/--no-repair", default=False, help="Repair invalid shapes where that is safe."
)
def import_wards_command(
    path: Path, valid_from: object, district: str | None, repair: bool
) -> None:
    """Replace the current ward boundaries and reassign every premises to its ward."""
    try:
        found = (
            load_shapefile(path, district) if path.suffix.lower() == ".shp" else load_geojson(path)
        )
    except BoundaryError as exc:
        raise click.ClickException("; ".join(exc.problems)) from exc
    report = validate(found, repair=repair)
    for line in report.repairs:
        click.echo(f"Repaired: {line}")
    if not report.ok:
        raise click.ClickException("Boundaries refused:\n  " + "\n  ".join(report.problems))
    start = (
        valid_from.date() if hasattr(valid_from, "date") else date.fromisoformat(str(valid_from))
    )
    with _session() as session:
        summary = wards.replace_wards(
            session, Actor.system("command line"), utcnow(), report.boundaries, start
        )
        session.commit()
    click.echo(
        f"Loaded {summary['wards']} wards; {summary['moved']} premises moved ward, "
        f"{summary['outside']} are outside every ward."
    )


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


def _run_forever(process: SchedulerProcess, interval: int) -> None:
    """Tick every `interval` seconds with APScheduler 3, starting at once (catching up)."""
    import signal
    from datetime import UTC, datetime
    from typing import Any

    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    sched = BlockingScheduler(
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

    def _stop(_signum: int, _frame: Any) -> None:
        sched.shutdown(wait=True)  # let a running tick finish its mail before exiting

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"Scheduler running: a tick every {interval} seconds. Stop with Ctrl+C or SIGTERM.")
    sched.start()


audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Check the audit trail's hash chain and report the first broken link."""
    import time

    from enforcement import audit_chain

    started = time.perf_counter()
    engine = make_engine(current_app.config["SETTINGS"].database_url)
    try:
        with session_factory(engine)() as session:
            verdict = audit_chain.verify(session)
    finally:
        engine.dispose()
    took = time.perf_counter() - started
    if not verdict.ok:
        raise click.ClickException(
            f"The audit trail is broken at event {verdict.broken_id}: {verdict.problem}. "
            f"The {verdict.checked:,} events before it are intact"
            + (f" (up to event {verdict.last_id})." if verdict.last_id else ".")
        )
    click.echo(f"The audit trail is intact: {verdict.checked:,} events checked in {took:.1f}s.")
    if verdict.last_id is not None:
        click.echo(
            f"Last event {verdict.last_id}, head hash {verdict.head}. Note these outside the "
            "database: a later check that ends earlier means events were removed from the end."
        )


def register(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(wards_cli)
