"""Settings come from the environment and refuse unsafe production settings."""

from __future__ import annotations

import pytest

from config import DEV_SECRET, ConfigError, Settings

CHECKPOINT_KEY = "k" * 40  # production needs an audit checkpoint key besides its secret


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
