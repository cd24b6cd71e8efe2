"""Settings come from the environment and refuse unsafe production settings."""

from __future__ import annotations

import pytest

from config import DEV_SECRET, ConfigError, Settings


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
        }
    )
    assert s.session_cookie_secure


def test_bad_numbers_are_named() -> None:
    with pytest.raises(ConfigError, match="SESSION_IDLE_MINUTES"):
        Settings.from_env({"SESSION_IDLE_MINUTES": "half an hour"})
