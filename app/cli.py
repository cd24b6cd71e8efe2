"""Command-line tasks: `flask users create`, `flask demo load`, `flask wards import`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from enforcement import demo, users, wards
from enforcement.access import Actor
from enforcement.clock import utcnow
from enforcement.db import make_engine, session_factory, writer
from enforcement.errors import DomainError
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


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(wards_cli)
