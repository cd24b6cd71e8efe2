"""Settings come from the environment and refuse unsafe production settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import DEV_SECRET, ConfigError, Settings

CHECKPOINT_KEY = "k" * 40  # production needs an audit checkpoint key besides its secret
COUNCIL = "Example Borough Council"  # and its council's name
SITE = "https://tracker.council.example"  # and where people reach it
SENDER = "Licensing <no-reply@council.example>"  # and who its mail comes from
#: A production environment with everything it needs.
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "postgresql+psycopg://u@h/db",
    "AUDIT_CHECKPOINT_KEY": CHECKPOINT_KEY,
    "COUNCIL_NAME": COUNCIL,
    "BASE_URL": SITE,
    "MAIL_FROM": SENDER,
}


def production_without(name: str) -> dict[str, str]:
    return {k: v for k, v in PRODUCTION.items() if k != name}


def test_defaults_are_the_embedded_sqlite() -> None:
    s = Settings.from_env({})
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith(
        "instance/tracker.db"
    )
    assert s.session_idle_minutes == 30 and s.secret_key == DEV_SECRET


def test_environment_overrides() -> None:
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SESSION_IDLE_MINUTES": "10",
            "PAGE_SIZE": "25",
        }
    )
    assert (
        s.database_url == "postgresql+psycopg://u@h/db"
        and s.session_idle_minutes == 10
        and s.page_size == 25
    )


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"APP_ENV": "production", "DATABASE_URL": "postgresql+psycopg://u@h/db"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env(
            {
                "APP_ENV": "production",
                "SECRET_KEY": "short",
                "DATABASE_URL": "postgresql+psycopg://u@h/db",
            }
        )


def test_production_refuses_sqlite_and_sets_secure_cookies() -> None:
    secret = "x" * 40
    with pytest.raises(ConfigError, match="PostgreSQL"):
        Settings.from_env({"APP_ENV": "production", "SECRET_KEY": secret})
    s = Settings.from_env(
        {
            "APP_ENV": "production",
            "SECRET_KEY": secret,
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "AUDIT_CHECKPOINT_KEY": CHECKPOINT_KEY,
            "COUNCIL_NAME": COUNCIL,
            "BASE_URL": SITE,
            "MAIL_FROM": SENDER,
        }
    )
    assert s.session_cookie_secure


def test_bad_numbers_are_named() -> None:
    with pytest.raises(ConfigError, match="SESSION_IDLE_MINUTES"):
        Settings.from_env({"SESSION_IDLE_MINUTES": "half an hour"})


def test_production_refuses_a_password_hash_cost_below_owasps_minimum() -> None:
    base = {
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgresql+psycopg://u@h/db",
        "AUDIT_CHECKPOINT_KEY": CHECKPOINT_KEY,
        "COUNCIL_NAME": COUNCIL,
        "BASE_URL": SITE,
        "MAIL_FROM": SENDER,
    }
    assert Settings.from_env(base).password_hash_memory_kib == 65536
    with pytest.raises(ConfigError, match="PASSWORD_HASH_MEMORY_KIB"):
        Settings.from_env({**base, "PASSWORD_HASH_MEMORY_KIB": "1024"})
    with pytest.raises(ConfigError, match="PASSWORD_HASH_TIME_COST"):
        Settings.from_env({**base, "PASSWORD_HASH_TIME_COST": "1"})
    # Outside production a cheap cost is allowed (the tests use one), but not a broken one.
    assert Settings.from_env({"PASSWORD_HASH_MEMORY_KIB": "1024"}).password_hash_memory_kib == 1024
    with pytest.raises(ConfigError, match="at least 8 per lane"):
        Settings.from_env({"PASSWORD_HASH_MEMORY_KIB": "4"})


def test_production_refuses_to_start_without_an_audit_checkpoint_key() -> None:
    base = {
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgresql+psycopg://u@h/db",
    }
    for key in ("", "too-short", "s" * 40):  # missing, short, or the app's own secret again
        with pytest.raises(ConfigError, match="AUDIT_CHECKPOINT_KEY"):
            Settings.from_env({**base, "AUDIT_CHECKPOINT_KEY": key})
    s = Settings.from_env(
        {
            **base,
            "COUNCIL_NAME": COUNCIL,
            "BASE_URL": SITE,
            "MAIL_FROM": SENDER,
            "AUDIT_CHECKPOINT_KEY": CHECKPOINT_KEY,
            "AUDIT_CHECKPOINT_FILE": "/var/lib/tracker/checkpoints.jsonl",
            "AUDIT_CHECKPOINT_MINUTES": "30",
            "AUDIT_CHECKPOINT_MAIL_TO": "audit@example.gov.uk, records@example.gov.uk",
        }
    )
    assert s.audit_checkpoint_key == CHECKPOINT_KEY and CHECKPOINT_KEY not in repr(s)
    assert str(s.audit_checkpoint_file) == "/var/lib/tracker/checkpoints.jsonl"
    assert s.audit_checkpoint_minutes == 30
    assert s.audit_checkpoint_mail_to == ("audit@example.gov.uk", "records@example.gov.uk")
    # Development runs without one: no checkpoints are taken.
    assert Settings.from_env({}).audit_checkpoint_key == ""
    with pytest.raises(ConfigError, match="AUDIT_CHECKPOINT_MINUTES"):
        Settings.from_env({"AUDIT_CHECKPOINT_MINUTES": "0"})


def test_the_second_factor_is_required_by_default_in_production_only() -> None:
    production = PRODUCTION
    assert Settings.from_env(production).require_second_factor
    assert not Settings.from_env(
        {**production, "REQUIRE_SECOND_FACTOR": "off"}
    ).require_second_factor
    assert not Settings.from_env({}).require_second_factor
    assert Settings.from_env({"REQUIRE_SECOND_FACTOR": "on"}).require_second_factor


def test_sign_in_throttling_settings_are_checked() -> None:
    s = Settings.from_env({})
    assert (s.login_max_failures, s.login_delay_base_seconds, s.login_delay_max_seconds) == (
        5,
        1,
        300,
    )
    assert (s.login_ip_max_failures, s.login_ip_window_minutes) == (20, 15)
    with pytest.raises(ConfigError, match="LOGIN_DELAY_BASE_SECONDS"):
        Settings.from_env({"LOGIN_DELAY_BASE_SECONDS": "600", "LOGIN_DELAY_MAX_SECONDS": "60"})
    with pytest.raises(ConfigError, match="LOGIN_IP_MAX_FAILURES"):
        Settings.from_env({"LOGIN_IP_MAX_FAILURES": "0"})
    with pytest.raises(ConfigError, match="PROXY_HOPS"):
        Settings.from_env({"PROXY_HOPS": "-1"})


def test_the_second_factor_key_is_its_own_or_derived_from_the_secret_key() -> None:
    derived = Settings.from_env({"SECRET_KEY": "s" * 40})
    own = Settings.from_env({"SECRET_KEY": "s" * 40, "SECOND_FACTOR_KEY": "k" * 32})
    assert len(derived.second_factor_cipher_key()) == 32
    assert derived.second_factor_cipher_key() != own.second_factor_cipher_key()
    assert derived.second_factor_cipher_key() != ("s" * 40).encode()[:32]
    with pytest.raises(ConfigError, match="SECOND_FACTOR_KEY"):
        Settings.from_env({"SECOND_FACTOR_KEY": "too short"})


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("postgres://u:p@h:5432/db", "postgresql://u:p@h:5432/db"),
        ("  postgresql://u@h/db\n", "postgresql://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_the_database_address_is_read_in_the_forms_operators_write(given: str, read: str) -> None:
    """`postgres://` is what hosting platforms and libpq hand out; SQLAlchemy knows only
    `postgresql://`, and refused the other with a traceback about a missing plugin."""
    assert Settings.from_env({"DATABASE_URL": given}).database_url == read


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("mysql://u@h/db", "names 'mysql': the service runs on PostgreSQL or SQLite only"),
        ("postgresql+psycopg2://u@h/db", "psycopg2 driver, which is not installed"),
        ("sqlite+pysqlcipher:///x.db", "pysqlcipher driver, which is not installed"),
        ("not a url", "is not a database address"),
        ("sqlite:////no/such/folder/x.db", "the folder /no/such/folder for the SQLite"),
    ],
)
def test_a_database_address_that_cannot_work_stops_the_start_with_its_reason(
    given: str, says: str
) -> None:
    with pytest.raises(ConfigError, match=r"^DATABASE_URL") as raised:
        Settings.from_env({"DATABASE_URL": given})
    assert says in str(raised.value)


@pytest.mark.parametrize("name", ["SESSION_COOKIE_SECURE", "REQUIRE_SECOND_FACTOR", "SMTP_SSL"])
def test_a_mistyped_switch_is_refused_not_read_as_off(name: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name} must be true or false.*'ture'"):
        Settings.from_env({name: "ture"})
    assert getattr(Settings.from_env({name: " YES "}), name.lower()) is True
    assert getattr(Settings.from_env({name: "Off"}), name.lower()) is False


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SMTP_HOST": "smtp.council.example:587"}, "SMTP_HOST must be the mail server's name"),
        ({"SMTP_HOST": "smtps://smtp.council.example"}, "SMTP_HOST must be the mail server's"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT must be a port number"),
        ({"SMTP_TIMEOUT_SECONDS": "0"}, "SMTP_TIMEOUT_SECONDS must be between 1 and 600"),
        ({"SMTP_CAFILE": "/no/such/ca.pem"}, "SMTP_CAFILE /no/such/ca.pem is not a file"),
        ({"MAIL_FROM": "licensing"}, "MAIL_FROM must hold the address"),
        ({"MAIL_FROM": "Licensing <>"}, "MAIL_FROM must hold the address"),
        ({"MAIL_FROM": "Licensing <licença@council.example>"}, "MAIL_FROM must hold the address"),
        ({"AUDIT_CHECKPOINT_MAIL_TO": "ig@council.example, records"}, "'records'"),
        ({"AUDIT_CHECKPOINT_MAIL_TO": "gouvernança@council.example"}, "AUDIT_CHECKPOINT_MAIL_TO"),
        # Longer than any address mail carries: the outbox refused it at every tick.
        ({"AUDIT_CHECKPOINT_MAIL_TO": "i" * 250 + "@council.example"}, "AUDIT_CHECKPOINT_MAIL_TO"),
    ],
)
def test_mail_settings_that_cannot_deliver_stop_the_start(env: dict[str, str], says: str) -> None:
    """Otherwise the scheduler would start and every reminder would fail at each attempt."""
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert says in str(raised.value)


def test_mail_settings_in_the_forms_servers_take_are_kept() -> None:
    s = Settings.from_env(
        {
            "SMTP_HOST": "::1",
            "SMTP_PORT": "2525",
            "MAIL_FROM": "Licensing <lic@council.example>",
            "AUDIT_CHECKPOINT_MAIL_TO": "ig@council.example, records@council.example",
        }
    )
    assert s.audit_checkpoint_mail_to == ("ig@council.example", "records@council.example")
    # A name in another script is written encoded; only the address itself must be plain.
    assert Settings.from_env({"MAIL_FROM": "Licença <lic@council.example>"}).mail_from
    assert (s.smtp_host, s.smtp_port, s.mail_from) == (
        "::1",
        2525,
        "Licensing <lic@council.example>",
    )


def test_the_contact_address_is_one_email_address_or_none() -> None:
    assert Settings.from_env({}).contact_email == ""
    given = Settings.from_env({"CONTACT_EMAIL": " licensing@council.example "})
    assert given.contact_email == "licensing@council.example"
    for wrong in (
        "licensing",
        "Licensing <licensing@council.example>",
        "a@b c.org",
        "a@local",
        "licença@council.example",
    ):
        with pytest.raises(ConfigError, match=r"^CONTACT_EMAIL must be one email address"):
            Settings.from_env({"CONTACT_EMAIL": wrong})


def test_production_needs_the_councils_own_name() -> None:
    """It used to default to the London Borough of Hammersmith & Fulham: another council that
    forgot COUNCIL_NAME had that name on every page, committee paper and mail."""
    production = production_without("COUNCIL_NAME")
    for missing in ({}, {"COUNCIL_NAME": "   "}):
        with pytest.raises(ConfigError, match=r"^APP_ENV=production needs COUNCIL_NAME"):
            Settings.from_env({**production, **missing})
    named = Settings.from_env({**production, "COUNCIL_NAME": " Example Borough Council "})
    assert named.council_name == "Example Borough Council"


def test_production_needs_the_https_address_people_reach_it_at() -> None:
    """Left out, every mail's links went to http://127.0.0.1:5000, the default."""
    production = production_without("BASE_URL")
    for wrong in ({}, {"BASE_URL": "http://tracker.council.example"}):
        with pytest.raises(ConfigError, match=r"^APP_ENV=production needs BASE_URL, the https://"):
            Settings.from_env({**production, **wrong})
    assert Settings.from_env({**production, "BASE_URL": SITE + "/"}).base_url == SITE
    # Outside production the default serves this machine.
    assert Settings.from_env({}).base_url == "http://127.0.0.1:5000"


def test_production_needs_the_councils_own_sender_address() -> None:
    """The default, no-reply@localhost, is refused by mail servers and answered by no one."""
    production = production_without("MAIL_FROM")
    for wrong in ({}, {"MAIL_FROM": "Tracker <no-reply@LOCALHOST>"}):
        with pytest.raises(ConfigError, match=r"^APP_ENV=production needs MAIL_FROM"):
            Settings.from_env({**production, **wrong})
    assert Settings.from_env({**production, "MAIL_FROM": SENDER}).mail_from == SENDER


def test_the_documented_environment_file_starts_the_app_as_systemd_reads_it(
    tmp_path: Path,
) -> None:
    """docs/operations.md's /etc/premises-tracker.env, read the way systemd's EnvironmentFile
    reads it: a line starting with # is a comment, but text after a value (a "# ..." included)
    is part of the value."""
    doc = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    block = doc.split("# /etc/premises-tracker.env", 1)[1].split("```", 1)[0]
    env: dict[str, str] = {}
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        env[key.strip()] = value.strip()
    assert {"APP_ENV", "EVIDENCE_STORE", "PROXY_HOPS", "CONTACT_EMAIL"} <= set(env)
    assert not [key for key, value in env.items() if "#" in value]
    # The placeholders stand for real secrets; the folder is the server's.
    env |= {"SECRET_KEY": "s" * 40, "AUDIT_CHECKPOINT_KEY": "a" * 40}
    env["SHARED_DATA_DIR"] = str(tmp_path)
    settings = Settings.from_env(env)
    assert settings.evidence_store == "database" and settings.proxy_hops == 1
    assert settings.contact_email == "licensing@council.example"
