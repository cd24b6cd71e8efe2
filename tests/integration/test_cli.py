"""The command-line tasks: creating the first administrator, loading the demo, importing wards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import TEST_SECRET, PostgresDatabase, downgrade, migrated_sqlite_url, upgrade
from flask import Flask
from sqlalchemy import func, inspect, select, text

from app import create_app
from config import ConfigError, Settings
from enforcement.db import make_engine
from enforcement.models import Organisation, Premises, User, UserWard, Ward

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_app(tmp_path: Path) -> Flask:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    return create_app(Settings(database_url=url, secret_key=TEST_SECRET, testing=True))


def _count(app: Flask, model: type) -> int:
    eng = make_engine(app.config["SETTINGS"].database_url)
    with eng.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(model)) or 0
    eng.dispose()
    return n


def test_users_create_makes_the_first_admin(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "First@Council.gov.uk",
            "--name",
            "First Admin",
            "--organisation",
            "The Council",
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created user first@council.gov.uk (admin) in The Council." in result.output
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "first@council.gov.uk",
            "--name",
            "Dup",
            "--organisation",
            "The Council",
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ]
    )
    assert again.exit_code != 0 and "already has this email address" in again.output
    assert _count(cli_app, User) == 1


def test_users_create_refuses_a_short_password(cli_app: Flask) -> None:
    result = cli_app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@council.gov.uk",
            "--name",
            "X",
            "--organisation",
            "O",
            "--role",
            "licensing_officer",
            "--password",
            "short",
        ]
    )
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    assert _count(cli_app, User) == 0


def test_demo_loads_once(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "licensing@demo.invalid" in first.output and "password:" in first.output
    premises_count = _count(cli_app, Premises)
    assert premises_count > 50 and _count(cli_app, User) == 8
    # Each organisation's case workers report to its own supervisor: their statutory reminders
    # escalate there (a police case's to a police supervisor).
    eng = make_engine(cli_app.config["SETTINGS"].database_url)
    with eng.connect() as conn:
        ids = {email: uid for email, uid in conn.execute(select(User.email, User.id))}
        bosses = {
            email: boss for email, boss in conn.execute(select(User.email, User.supervisor_id))
        }
    eng.dispose()
    council, police = ids["supervisor@demo.invalid"], ids["sergeant@demo.invalid"]
    assert {e: bosses[e] for e in ("licensing@demo.invalid", "clerk@demo.invalid")} == {
        "licensing@demo.invalid": council,
        "clerk@demo.invalid": council,
    }
    assert bosses["ward@demo.invalid"] == police and bosses["analyst@demo.invalid"] == police
    assert bosses["supervisor@demo.invalid"] is None and bosses["sergeant@demo.invalid"] is None
    second = runner.invoke(args=["demo", "load"])
    assert "already loaded" in second.output and _count(cli_app, Premises) == premises_count


def test_demo_without_shared_data_builds_a_fictional_borough(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fictional.db'}"
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    app = create_app(
        Settings(database_url=url, secret_key=TEST_SECRET, testing=True, shared_data_dir=None)
    )
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert _count(app, Ward) == 12 and _count(app, Premises) == 400


def test_wards_import_refuses_overlaps_and_reports_them(cli_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    square = [[[0, 0], [0.02, 0], [0.02, 0.02], [0, 0.02], [0, 0]]]
    shifted = [[[0.01, 0], [0.03, 0], [0.03, 0.02], [0.01, 0.02], [0.01, 0]]]
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        f'{{"type": "Feature", "properties": {{"code": "A1", "name": "A"}}, "geometry": {{"type": "Polygon", "coordinates": {square}}}}},'
        f'{{"type": "Feature", "properties": {{"code": "B1", "name": "B"}}, "geometry": {{"type": "Polygon", "coordinates": {shifted}}}}}'
        "]}"
    )
    result = cli_app.test_cli_runner().invoke(
        args=["wards", "import", str(path), "--valid-from", "2026-01-01"]
    )
    assert result.exit_code != 0
    assert "A1" in result.output and "B1" in result.output
    assert _count(cli_app, Ward) == 0


def test_wards_import_of_a_national_geojson_keeps_the_district_chosen(
    cli_app: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "england.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"WD23CD": code, "WD23NM": name, "LAD23CD": district},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, 0], [x + 0.01, 0], [x + 0.01, 0.01], [x, 0.01], [x, 0]]],
            },
        }
        for code, name, district, x in (
            ("E05000001", "North", "E09000013", 0.0),
            ("E05000002", "South", "E09000013", 0.01),
            ("E05000003", "Elsewhere", "E09000020", 0.02),
        )
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    runner = cli_app.test_cli_runner()
    args = ["wards", "import", str(path), "--valid-from", "2026-01-01"]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and "the file covers 2 districts" in refused.output
    assert _count(cli_app, Ward) == 0
    chosen = runner.invoke(args=[*args, "--district", " e09000013 "])  # as typed
    assert chosen.exit_code == 0, chosen.output
    assert "Loaded 2 wards" in chosen.output and _count(cli_app, Ward) == 2


def test_measures_summarise_keeps_every_closed_quarter_once(cli_app: Flask) -> None:
    from enforcement.clock import utcnow
    from enforcement.measures import summaries
    from enforcement.models import MeasureSummary
    from enforcement.models.summaries import SUMMARISED

    closed = len(summaries.closed_quarters(utcnow()))
    runner = cli_app.test_cli_runner()
    result = runner.invoke(args=["measures", "summarise"])
    assert result.exit_code == 0, result.output
    assert f"Measure summaries computed: {closed * len(SUMMARISED):,}." in result.output
    assert "Poster compliance view: kept as it stands now." in result.output
    # Every closed quarter's measures, and the compliance view the tick would keep.
    assert _count(cli_app, MeasureSummary) == closed * len(SUMMARISED) + 1
    again = runner.invoke(args=["measures", "summarise"])
    assert "Measure summaries computed: 0." in again.output
    assert "Poster compliance view: the one kept still serves." in again.output
    afresh = runner.invoke(args=["measures", "summarise", "--again"])
    assert f"Measure summaries computed: {closed * len(SUMMARISED):,}." in afresh.output
    assert "Poster compliance view: kept as it stands now." in afresh.output


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "load"],
        ["register", "import", "--format", "esd", "--dry-run", "{file}"],
        ["scheduler", "--once"],
        ["audit", "verify"],
        ["users", "supervisor", "someone@example.gov.uk", "--none"],
    ],
    ids=["demo", "register-import", "scheduler", "audit-verify", "users-supervisor"],
)
def test_a_command_on_a_database_behind_the_code_says_to_migrate_and_does_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    licences = tmp_path / "licences.csv"
    licences.write_text("CaseReference,CaseDate,PremisesName\nL/1,01/01/2020,Corner Shop\n")
    app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, testing=True))
    argv = [a.format(file=licences) for a in args]

    with app.app_context():  # `flask scheduler` is a plain click command: flask pushes it
        result = app.test_cli_runner().invoke(args=argv)  # nobody migrated it
    assert result.exit_code == 1, result.output
    assert "none of this service's tables yet: run `alembic upgrade head`" in result.output
    assert "Nothing was done." in result.output and "Traceback" not in result.output

    engine = make_engine(url)
    upgrade(engine)
    downgrade(engine, "-1")  # the code was upgraded, the database not yet
    tables = set(inspect(engine).get_table_names())
    with app.app_context():
        result = app.test_cli_runner().invoke(args=argv)
    assert result.exit_code == 1, result.output
    assert "older than this version of the service needs" in result.output
    assert set(inspect(engine).get_table_names()) == tables
    engine.dispose()


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"APP_ENV": "production", "SECRET_KEY": "short"}, "Error: SECRET_KEY must be set"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "Error: DATABASE_URL names 'mysql'"),
        ({"SMTP_SSL": "ture"}, "Error: SMTP_SSL must be true or false"),
    ],
    ids=["secret", "database", "switch"],
)
def test_a_setting_that_cannot_work_is_one_line_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], says: str
) -> None:
    """`flask <command>` and `alembic` name the setting and stop, without a traceback."""
    from alembic.config import main as alembic_main
    from click.testing import CliRunner
    from flask.cli import cli as flask_cli

    monkeypatch.chdir(ROOT)
    for name in ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "SMTP_SSL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'untouched.db'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(flask_cli, ["--app", "app", "scheduler", "--once"])
    assert result.exit_code == 1
    assert result.output.startswith(says) and result.output.endswith("Nothing was done.\n")
    assert "Traceback" not in result.output and result.exception is not None

    with pytest.raises(SystemExit) as stopped:
        alembic_main(argv=["-c", str(ROOT / "alembic.ini"), "upgrade", "head"])
    assert str(stopped.value.code).startswith(says)
    assert str(stopped.value.code).endswith("Nothing was migrated.")
    assert not (tmp_path / "untouched.db").exists()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_cli_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on a new migrated database of each kind, which its commands commit to."""
    if request.param == "sqlite":
        yield create_app(
            Settings(
                database_url=migrated_sqlite_url(tmp_path / "cli.db"),
                secret_key=TEST_SECRET,
                testing=True,
            )
        )
        return
    pg = PostgresDatabase(migrated=True)
    try:
        yield create_app(Settings(database_url=pg.url, secret_key=TEST_SECRET, testing=True))
    finally:
        pg.drop()


def _create_user(app: Flask, **given: str) -> Result:
    options = {
        "email": "officer@council.gov.uk",
        "name": "Ward Officer",
        "organisation": "Metropolitan Police",
        "role": "ward_officer",
        "password": "a long enough password",
        **given,
    }
    args = ["users", "create"]
    for option, value in options.items():
        args += [f"--{option}", value]
    return app.test_cli_runner().invoke(args=args)


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"organisation": "O" * 201}, "--organisation: The organisation's name must be 200"),
        ({"organisation": "Met\x1bPolice"}, "--organisation: The organisation's name must not"),
        ({"name": "Ward\x01Officer"}, "--name: Name must not contain hidden control characters"),
        ({"ward": "E0501373312345"}, "--ward: A ward code is up to 12 letters and digits"),
        ({"ward": "E05-013733"}, "--ward: A ward code is up to 12 letters and digits"),
    ],
    ids=["long-organisation", "organisation-control", "name-control", "long-ward", "ward-dash"],
)
def test_users_create_refuses_what_its_columns_cannot_hold_on_both_databases(
    fresh_cli_app: Flask, given: dict[str, str], says: str
) -> None:
    """PostgreSQL refused a 201-character organisation or a 14-character ward code with a
    traceback (SQLite stored them); a control character was stored on both."""
    result = _create_user(fresh_cli_app, **given)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {says}") and "Traceback" not in result.output
    assert _count(fresh_cli_app, User) == 0 and _count(fresh_cli_app, Organisation) == 0


def test_users_create_takes_a_ward_not_imported_yet_and_says_so(fresh_cli_app: Flask) -> None:
    """A new install may make its officers before it imports its wards."""
    result = _create_user(fresh_cli_app, ward="E05013733")
    assert result.exit_code == 0, result.output
    assert "No ward has the code E05013733 yet" in result.output
    assert _count(fresh_cli_app, UserWard) == 1


def test_users_create_joins_an_organisation_as_it_is_recorded(fresh_cli_app: Flask) -> None:
    """--organisation-kind names a new organisation's kind; given for an existing one of another
    kind, it was ignored without a word (a police officer joined a 'council')."""
    first = _create_user(fresh_cli_app, **{"organisation-kind": "police"})
    assert first.exit_code == 0, first.output
    clash = _create_user(
        fresh_cli_app, email="second@council.gov.uk", **{"organisation-kind": "council"}
    )
    assert clash.exit_code == 1
    assert clash.output == (
        "Error: --organisation-kind: Metropolitan Police is already recorded as police, not "
        "council. Nothing was done.\n"
    )
    joined = _create_user(fresh_cli_app, email="third@council.gov.uk")  # no kind: as recorded
    assert joined.exit_code == 0, joined.output
    assert _count(fresh_cli_app, User) == 2 and _count(fresh_cli_app, Organisation) == 1


def test_the_demo_is_never_loaded_in_production(fresh_cli_app: Flask) -> None:
    """Its seven accounts' passwords, an administrator's among them, are in the README."""
    settings = fresh_cli_app.config["SETTINGS"]
    production = create_app(settings.with_overrides(env="production"))
    result = production.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: The demo is not loaded when APP_ENV=production")
    assert _count(fresh_cli_app, User) == 0 and _count(fresh_cli_app, Ward) == 0


def test_production_refuses_flasks_debug_mode(
    monkeypatch: pytest.MonkeyPatch, fresh_cli_app: Flask
) -> None:
    """`flask run --debug` (and `make dev`) serve Flask's debugger, which runs any code typed
    into an error page."""
    settings = fresh_cli_app.config["SETTINGS"].with_overrides(env="production")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match=r"^APP_ENV=production refuses Flask's debug mode"):
        create_app(settings)
    monkeypatch.setenv("FLASK_DEBUG", "0")
    assert not create_app(settings).debug
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app(settings.with_overrides(env="development")).debug


def test_users_deactivate_ends_every_account_named_or_none(fresh_cli_app: Flask) -> None:
    for who in ("leaver@council.gov.uk", "stayer@council.gov.uk"):
        assert _create_user(fresh_cli_app, email=who).exit_code == 0
    runner = fresh_cli_app.test_cli_runner()
    refused = runner.invoke(args=["users", "deactivate", "LEAVER@council.gov.uk", "nobody@x.gov"])
    assert refused.exit_code == 1
    assert refused.output == "Error: There is no user nobody@x.gov. Nothing was done.\n"
    done = runner.invoke(args=["users", "deactivate", "LEAVER@council.gov.uk"])
    assert done.exit_code == 0, done.output
    assert done.output == "Deactivated leaver@council.gov.uk; their sessions have ended.\n"
    engine = make_engine(fresh_cli_app.config["SETTINGS"].database_url)
    with engine.connect() as conn:
        active = dict(conn.execute(select(User.email, User.is_active).order_by(User.email)).all())
    engine.dispose()
    assert active == {"leaver@council.gov.uk": False, "stayer@council.gov.uk": True}


def test_the_scheduler_warns_of_the_demos_accounts_in_production(fresh_cli_app: Flask) -> None:
    """A database that had the demo loaded, then went live: its accounts are a way in."""
    assert fresh_cli_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    settings = fresh_cli_app.config["SETTINGS"].with_overrides(
        env="production", smtp_host="127.0.0.1", smtp_port=1
    )
    production = create_app(settings)

    def scheduler_output() -> str:
        with production.app_context():
            result = production.test_cli_runner().invoke(args=["scheduler", "--once"])
        assert result.exit_code == 0, result.output
        return result.output

    warned = scheduler_output()
    assert "Warning: the demo's accounts, whose passwords are published, are active" in warned
    command = warned.split("Deactivate them: ")[1].splitlines()[0]
    assert command.startswith("flask --app app users deactivate admin@demo.invalid ")
    emails = command.removeprefix("flask --app app users deactivate ").split()
    assert len(emails) == 8
    assert production.test_cli_runner().invoke(args=["users", "deactivate", *emails]).exit_code == 0
    assert "Warning" not in scheduler_output()


STAFF = (
    "Email,Name,Organisation,Roles,Wards\r\n"
    "ann.lee@council.gov.uk,Ann Lee,metropolitan police,Ward officer (DWO or SNT),E05013733\r\n"
    "bo.tan@council.gov.uk,Bo Tan,Metropolitan Police,licensing_officer;supervisor,\r\n"
)


def _import_staff(app: Flask, tmp_path: Path, text: str, *more: str) -> Result:
    listed = tmp_path / "staff.csv"
    listed.write_text(text, encoding="utf-8")
    args = ["users", "import", str(listed), "--passwords-to", str(tmp_path / "passwords.csv")]
    return app.test_cli_runner().invoke(args=[*args, *more])


def _sign_in_works(app: Flask, email: str, password: str) -> bool:
    from enforcement.accounts import users
    from enforcement.accounts.throttle import ThrottleRules
    from enforcement.clock import utcnow
    from enforcement.db import session_factory, writer

    eng = make_engine(app.config["SETTINGS"].database_url)
    try:
        with session_factory(writer(eng))() as session:
            user = users.authenticate(
                session, utcnow(), email, password, ip_address="127.0.0.1", rules=ThrottleRules()
            )
            return user.must_change_password
    finally:
        eng.dispose()


def test_users_import_makes_every_account_with_a_temporary_password_or_none(
    fresh_cli_app: Flask, tmp_path: Path
) -> None:
    assert _create_user(fresh_cli_app).exit_code == 0  # Metropolitan Police and its first user
    bad = STAFF + (
        "not-an-address,C,Metropolitan Police,admin,\r\n"
        "d@council.gov.uk,D,Nowhere Council,admin,\r\n"
        "ann.lee@council.gov.uk,Ann Again,Metropolitan Police,admin,\r\n"
        "e@council.gov.uk,E,Metropolitan Police,boss,\r\n"
    )
    refused = _import_staff(fresh_cli_app, tmp_path, bad)
    assert refused.exit_code == 1
    assert refused.output.splitlines() == [
        "Line 4: Email: Enter an email address in the correct format, like name@example.gov.uk",
        "Line 5: Organisation: there is no organisation called 'Nowhere Council': write one as "
        "it is recorded (Metropolitan Police) or add it first",
        "Line 6: Email: the same address as line 2",
        "Line 7: Roles: boss is not a role (the roles are Licensing officer; Ward officer (DWO "
        "or SNT); Intelligence analyst; Committee clerk; Supervisor; Partner organisation; "
        "System administrator)",
        "Error: 4 rows refused. Nothing was done: put them right and import the list again.",
    ]
    assert _count(fresh_cli_app, User) == 1 and not (tmp_path / "passwords.csv").exists()

    made = _import_staff(fresh_cli_app, tmp_path, STAFF + "officer@council.gov.uk,W,X,admin\r\n")
    assert made.exit_code == 0, made.output
    assert made.output.startswith("Made 2 accounts (1 already had one, left out).")
    assert "No ward has the code E05013733 yet" in made.output  # kept, for the ward import
    passwords = tmp_path / "passwords.csv"
    assert passwords.stat().st_mode & 0o777 == 0o600
    lines = passwords.read_text().splitlines()
    assert lines[0] == "Email,Temporary password" and len(lines) == 3
    for line in lines[1:]:
        email, secret = line.split(",")
        assert _sign_in_works(fresh_cli_app, email, secret)  # and must change it first
    eng = make_engine(fresh_cli_app.config["SETTINGS"].database_url)
    with eng.connect() as conn:
        ann = conn.execute(select(User.id).where(User.email == "ann.lee@council.gov.uk")).scalar()
        assert conn.scalars(select(UserWard.ward_code).where(UserWard.user_id == ann)).all() == [
            "E05013733"
        ]
        (summary,) = conn.execute(
            text("SELECT summary FROM audit_events WHERE action = 'user.import'")
        ).scalars()
        assert summary == "Imported 2 staff accounts (1 already had one)"
        stored = " ".join(conn.execute(text("SELECT after_json FROM audit_events")).scalars())
    eng.dispose()
    assert all(line.split(",")[1] not in stored for line in lines[1:])  # never audited

    again = _import_staff(fresh_cli_app, tmp_path, STAFF)
    assert again.exit_code == 0 and again.output.startswith("No new accounts to make")
    grown = STAFF + "cy@council.gov.uk,Cy,Metropolitan Police,partner,\r\n"
    clash = _import_staff(fresh_cli_app, tmp_path, grown)  # the passwords file is still there
    assert clash.exit_code == 1 and "--passwords-to: could not make" in clash.output
    assert _count(fresh_cli_app, User) == 3
    dry = _import_staff(fresh_cli_app, tmp_path, grown, "--dry-run")
    assert dry.output == "Would make 1 account (2 already had one, left out). Nothing was done.\n"
    assert _count(fresh_cli_app, User) == 3
