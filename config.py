"""Settings read from environment variables, with safe defaults for the embedded SQLite database."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production by Settings.check()


class ConfigError(RuntimeError):
    """A setting is missing or unsafe for the chosen environment."""


_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A switch: true, yes, on or 1, or false, no, off or 0 (any case), or empty for the default.

    Any other word is refused: read as "off", a mistyped `SESSION_COOKIE_SECURE=ture` or
    `REQUIRE_SECOND_FACTOR=Yse` would quietly switch a safeguard off."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in _TRUE_WORDS or word in _FALSE_WORDS:
        return word in _TRUE_WORDS
    raise ConfigError(f"{name} must be true or false (or yes/no, on/off, 1/0), not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _leads(env: Mapping[str, str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Read REMINDER_LEADS: a JSON object from reminder kind to a list of lead times."""
    raw = env.get("REMINDER_LEADS")
    if raw is None or raw.strip() == "":
        return ()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"REMINDER_LEADS must be JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in data.items()
    ):
        raise ConfigError(
            'REMINDER_LEADS must map each kind to a list of lead times, like {"hearing": ["now", "12h"]}'
        )
    return tuple((k, tuple(v)) for k, v in sorted(data.items()))


# The databases the service runs on, each with the one driver it installs (docs/operations.md).
DATABASE_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
DATABASE_URL_FORMS = "postgresql://user:password@host:5432/name or sqlite:///path/to/file.db"


def database_url(raw: str) -> str:
    """DATABASE_URL as SQLAlchemy reads it: `postgres://`, the form many hosting platforms and
    libpq hand out, is PostgreSQL's (SQLAlchemy knows only `postgresql://`)."""
    raw = raw.strip()
    if raw.startswith("postgres://"):
        return "postgresql://" + raw.removeprefix("postgres://")
    return raw


def database_url_problem(url: str) -> str | None:
    """Why DATABASE_URL cannot work here, in words an operator can act on, or None.

    Checked at start-up so that a wrong address stops the process with one line naming the
    setting, instead of a traceback from the first connection."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return f"DATABASE_URL is not a database address: write it as {DATABASE_URL_FORMS}"
    backend, _, driver = parsed.drivername.partition("+")
    wanted = DATABASE_DRIVERS.get(backend)
    if wanted is None:
        return (
            f"DATABASE_URL names {backend!r}: the service runs on PostgreSQL or SQLite only "
            f"({DATABASE_URL_FORMS})"
        )
    if driver and driver != wanted:
        return (
            f"DATABASE_URL asks for the {driver} driver, which is not installed: write "
            f"{backend}:// (or {backend}+{wanted}://) and the service uses {wanted}"
        )
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            return f"DATABASE_URL: the folder {folder} for the SQLite database does not exist"
    return None


def _is_address(text: str) -> bool:
    """One plain email address. ASCII only: without SMTPUTF8, which many mail servers lack, a
    message cannot carry an accented or non-Latin address (enforcement/reminders/outbox.py)."""
    local, _, domain = text.rpartition("@")
    return (
        len(text) <= 254  # the longest address mail carries (and the outbox keeps)
        and bool(local)
        and "." in domain
        and text.isascii()
        and not _has_space(text)
        and "<" not in text
    )


def _has_space(text: str) -> bool:
    return any(c.isspace() for c in text)


def _is_ipv6(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def mail_problem(settings: Settings) -> str | None:
    """Why the mail settings cannot deliver, or None. A server that cannot send would only say
    so in the scheduler's log, at each attempt, while every reminder waited."""
    host = settings.smtp_host
    if host and ("://" in host or (":" in host and not _is_ipv6(host)) or _has_space(host)):
        return (
            f"SMTP_HOST must be the mail server's name alone, like smtp.council.example, not "
            f"{host!r}: give its port in SMTP_PORT and choose SSL with SMTP_SSL"
        )
    if not 1 <= settings.smtp_port <= 65535:
        return "SMTP_PORT must be a port number, 1 to 65535"
    if not 1 <= settings.smtp_timeout_seconds <= 600:
        return "SMTP_TIMEOUT_SECONDS must be between 1 and 600"
    if settings.smtp_cafile and not Path(settings.smtp_cafile).is_file():
        return f"SMTP_CAFILE {settings.smtp_cafile} is not a file"
    address = parseaddr(settings.mail_from)[1]
    local, _, domain = address.rpartition("@")
    if not local or not domain or _has_space(address) or not address.isascii():
        return (
            f"MAIL_FROM must hold the address mail is sent from, like "
            f"Licensing <licensing@council.example>, not {settings.mail_from!r}"
        )
    return None


def default_shared_data() -> Path | None:
    """Return the shared public data folder beside the repository, if it is there."""
    candidate = ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


REAL_COUNCIL_NAME = "London Borough of Hammersmith & Fulham"
# The file whose presence makes the demo load the real wards (enforcement/demo.py).
REAL_WARDS_FILE = Path("wards") / "hf_wards_2022_wgs84.geojson"


def default_council_name(shared: Path | None) -> str:
    """Name the real borough when its wards are at hand, else the demo's fictional one."""
    if shared is not None and (shared / REAL_WARDS_FILE).is_file():
        return REAL_COUNCIL_NAME
    from geo.fictional import FICTIONAL_COUNCIL_NAME

    return FICTIONAL_COUNCIL_NAME


@dataclass(frozen=True)
class Settings:
    """Everything the app, the CLI and the scheduler need, decided once at start-up."""

    env: str = "development"
    database_url: str = f"sqlite:///{ROOT / 'instance' / 'tracker.db'}"
    secret_key: str = DEV_SECRET
    session_idle_minutes: int = 30
    # How long a tablet's offline key lasts from when it was first handed out (docs/offline.md).
    offline_hours: int = 12
    session_cookie_secure: bool = False
    # Sign-in throttling (enforcement.accounts.throttle): failures on one account before each
    # further attempt from the same address waits a doubling delay (LOGIN_DELAY_BASE_SECONDS up
    # to LOGIN_DELAY_MAX_SECONDS); failures are remembered for LOGIN_FAILURE_WINDOW_HOURS since
    # the account's last success. One address gets LOGIN_IP_MAX_FAILURES within
    # LOGIN_IP_WINDOW_MINUTES, across every account, before the same delays.
    login_max_failures: int = 5
    # No longer read: accounts are no longer shut for a fixed time (see the settings above).
    login_lockout_minutes: int = 15
    login_delay_base_seconds: int = 1
    login_delay_max_seconds: int = 300
    login_failure_window_hours: int = 24
    login_ip_max_failures: int = 20
    login_ip_window_minutes: int = 15
    # A second factor (TOTP) for roles that read restricted records or manage users
    # (enforcement.accounts.totp); on by default in production only (REQUIRE_SECOND_FACTOR).
    require_second_factor: bool = False
    # Seals the authenticator secrets in the database (SECOND_FACTOR_KEY, 32 or more random
    # characters). Unset: derived from SECRET_KEY, so changing SECRET_KEY then means everyone
    # sets up their app again; set it separately to rotate SECRET_KEY freely.
    second_factor_key: str = ""
    # Reverse proxies in front of the app (PROXY_HOPS): their X-Forwarded-For and -Proto are
    # trusted, so sign-in throttling and the audit trail see the client's address, not the
    # proxy's (which would throttle everyone behind it as one address). 0: none, trust nothing.
    proxy_hops: int = 0
    # argon2id work factors (PASSWORD_HASH_TIME_COST, _MEMORY_KIB, _PARALLELISM): the library's
    # defaults; production refuses less than OWASP's minimum, and the tests use a cheap cost.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    password_hash_parallelism: int = 4
    # The public register of licences at /register, without sign-in (PUBLIC_REGISTER; on in
    # the demo), and how many of its requests one address may make a minute
    # (PUBLIC_REGISTER_RATE_PER_MINUTE) before a 429 page.
    public_register: bool = False
    public_register_rate_per_minute: int = 120
    council_name: str = REAL_COUNCIL_NAME
    service_name: str = "Licensing and premises enforcement"
    # Where people write about the service: its accessibility statement and privacy page
    # name it (CONTACT_EMAIL). Without it they name the council's licensing team.
    contact_email: str = ""
    page_size: int = 50
    max_upload_mb: int = 10
    # A register file for the import page (IMPORT_MAX_MB): a whole borough's licences with their
    # conditions run to tens of megabytes, more than a photo needs (docs/register.md).
    import_max_mb: int = 100
    # No longer read: the poster follow-up period is the rule local.poster.follow_up of the
    # rule table (docs/statutory-clock.md), changed in RULE_OVERRIDES_FILE or on the admin page.
    follow_up_days: int = 14
    # A JSON file of local changes to the rule table (RULE_OVERRIDES_FILE), read at start-up:
    # {"rule.id": {"amount": 6}}; unset, the table as it is (docs/statutory-clock.md).
    rule_overrides_file: Path | None = None
    # Where evidence photos are kept (EVIDENCE_STORE): "folder" (EVIDENCE_DIR, the default; one
    # machine) or "database" (shared by every server on the database; docs/inspections.md).
    evidence_store: str = "folder"
    evidence_dir: Path = ROOT / "instance" / "evidence"
    shared_data_dir: Path | None = field(default_factory=default_shared_data)
    assets_dir: Path = ROOT / "node_modules"
    sql_echo: bool = False
    testing: bool = False
    # Mail and the reminder scheduler (enforcement.reminders.notify, enforcement.reminders.outbox, enforcement.scheduler).
    # No SMTP_HOST: mail is written to the scheduler's log instead of being sent (development).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_cafile: str = ""
    smtp_timeout_seconds: int = 30
    mail_from: str = "Licensing and premises enforcement <no-reply@localhost>"
    base_url: str = "http://127.0.0.1:5000"
    scheduler_interval_seconds: int = 60
    escalate_after_hours: int = 24
    digest_hour: int = 7
    mail_max_attempts: int = 12
    mail_retry_seconds: int = 60
    # Per-kind lead times replacing the defaults, as (kind, (lead, ...)) pairs (REMINDER_LEADS).
    reminder_leads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Audit checkpoints (enforcement.audit_chain, docs/operations-security.md): the HMAC key
    # lives only in the environment, never in the database, so whoever can rewrite the
    # database cannot forge a checkpoint. Without a key (development) none are taken.
    audit_checkpoint_key: str = field(default="", repr=False)
    audit_checkpoint_file: Path = ROOT / "instance" / "audit-checkpoints.jsonl"
    audit_checkpoint_minutes: int = 60
    # Addresses besides the auditors' accounts that get every checkpoint (e.g. a team mailbox).
    audit_checkpoint_mail_to: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from the environment (or a given mapping), then check they are safe."""
        e: Mapping[str, str] = os.environ if env is None else env
        shared = e.get("SHARED_DATA_DIR")
        shared_dir = Path(shared) if shared else default_shared_data()
        url = database_url(e.get("DATABASE_URL") or "")
        if not url:  # the embedded database lives in the service's own instance folder
            (ROOT / "instance").mkdir(exist_ok=True)
        settings = cls(
            env=e.get("APP_ENV", "development"),
            database_url=url or cls.database_url,
            secret_key=e.get("SECRET_KEY") or DEV_SECRET,
            session_idle_minutes=_int(e, "SESSION_IDLE_MINUTES", 30),
            offline_hours=_int(e, "OFFLINE_HOURS", 12),
            session_cookie_secure=_bool(
                e, "SESSION_COOKIE_SECURE", e.get("APP_ENV") == "production"
            ),
            login_max_failures=_int(e, "LOGIN_MAX_FAILURES", 5),
            login_lockout_minutes=_int(e, "LOGIN_LOCKOUT_MINUTES", 15),
            login_delay_base_seconds=_int(e, "LOGIN_DELAY_BASE_SECONDS", 1),
            login_delay_max_seconds=_int(e, "LOGIN_DELAY_MAX_SECONDS", 300),
            login_failure_window_hours=_int(e, "LOGIN_FAILURE_WINDOW_HOURS", 24),
            login_ip_max_failures=_int(e, "LOGIN_IP_MAX_FAILURES", 20),
            login_ip_window_minutes=_int(e, "LOGIN_IP_WINDOW_MINUTES", 15),
            require_second_factor=_bool(
                e, "REQUIRE_SECOND_FACTOR", e.get("APP_ENV") == "production"
            ),
            proxy_hops=_int(e, "PROXY_HOPS", 0),
            second_factor_key=e.get("SECOND_FACTOR_KEY", ""),
            password_hash_time_cost=_int(e, "PASSWORD_HASH_TIME_COST", 3),
            password_hash_memory_kib=_int(e, "PASSWORD_HASH_MEMORY_KIB", 65536),
            password_hash_parallelism=_int(e, "PASSWORD_HASH_PARALLELISM", 4),
            public_register=_bool(e, "PUBLIC_REGISTER", False),
            public_register_rate_per_minute=_int(e, "PUBLIC_REGISTER_RATE_PER_MINUTE", 120),
            # Production names its own council (checked below: no default stands in for it);
            # elsewhere the demo decides: its fictional borough without the real wards.
            council_name=(e.get("COUNCIL_NAME") or "").strip()
            or ("" if e.get("APP_ENV") == "production" else default_council_name(shared_dir)),
            service_name=e.get("SERVICE_NAME") or cls.service_name,
            contact_email=e.get("CONTACT_EMAIL", "").strip(),
            page_size=_int(e, "PAGE_SIZE", 50),
            max_upload_mb=_int(e, "MAX_UPLOAD_MB", 10),
            import_max_mb=_int(e, "IMPORT_MAX_MB", 100),
            follow_up_days=_int(e, "FOLLOW_UP_DAYS", 14),
            rule_overrides_file=(
                Path(e["RULE_OVERRIDES_FILE"]) if e.get("RULE_OVERRIDES_FILE") else None
            ),
            evidence_store=(e.get("EVIDENCE_STORE") or "folder").strip().lower(),
            evidence_dir=Path(e.get("EVIDENCE_DIR") or ROOT / "instance" / "evidence"),
            shared_data_dir=shared_dir,
            assets_dir=Path(e.get("ASSETS_DIR") or ROOT / "node_modules"),
            sql_echo=_bool(e, "SQL_ECHO", False),
            smtp_host=e.get("SMTP_HOST", "").strip(),
            smtp_port=_int(e, "SMTP_PORT", 465 if _bool(e, "SMTP_SSL", False) else 587),
            smtp_username=e.get("SMTP_USERNAME", ""),
            smtp_password=e.get("SMTP_PASSWORD", ""),
            smtp_starttls=_bool(e, "SMTP_STARTTLS", True),
            smtp_ssl=_bool(e, "SMTP_SSL", False),
            smtp_cafile=e.get("SMTP_CAFILE", ""),
            smtp_timeout_seconds=_int(e, "SMTP_TIMEOUT_SECONDS", 30),
            mail_from=e.get("MAIL_FROM") or cls.mail_from,
            base_url=(e.get("BASE_URL") or cls.base_url).rstrip("/"),
            scheduler_interval_seconds=_int(e, "SCHEDULER_INTERVAL_SECONDS", 60),
            escalate_after_hours=_int(e, "ESCALATE_AFTER_HOURS", 24),
            digest_hour=_int(e, "DIGEST_HOUR", 7),
            mail_max_attempts=_int(e, "MAIL_MAX_ATTEMPTS", 12),
            mail_retry_seconds=_int(e, "MAIL_RETRY_SECONDS", 60),
            reminder_leads=_leads(e),
            audit_checkpoint_key=e.get("AUDIT_CHECKPOINT_KEY", ""),
            audit_checkpoint_file=Path(
                e.get("AUDIT_CHECKPOINT_FILE") or ROOT / "instance" / "audit-checkpoints.jsonl"
            ),
            audit_checkpoint_minutes=_int(e, "AUDIT_CHECKPOINT_MINUTES", 60),
            audit_checkpoint_mail_to=tuple(
                a.strip() for a in e.get("AUDIT_CHECKPOINT_MAIL_TO", "").split(",") if a.strip()
            ),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that would be unsafe in production, or cannot work at all."""
        problem = database_url_problem(self.database_url)
        if problem:
            raise ConfigError(problem)
        if self.env == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ConfigError(
                    "SECRET_KEY must be set to a random value of at least 32 characters "
                    "when APP_ENV=production"
                )
            if self.database_url.startswith("sqlite"):
                raise ConfigError("APP_ENV=production needs DATABASE_URL for PostgreSQL")
            if self.password_hash_memory_kib < 19456 or self.password_hash_time_cost < 2:
                raise ConfigError(
                    "APP_ENV=production needs PASSWORD_HASH_MEMORY_KIB of at least 19456 and "
                    "PASSWORD_HASH_TIME_COST of at least 2 (OWASP's minimum for argon2id)"
                )
            if len(self.audit_checkpoint_key) < 32 or self.audit_checkpoint_key == self.secret_key:
                raise ConfigError(
                    "AUDIT_CHECKPOINT_KEY must be set to a random value of at least 32 "
                    "characters, different from SECRET_KEY, when APP_ENV=production"
                )
            if not self.base_url.startswith("https://"):
                # The default (this machine, over http) would put unusable links in every mail.
                raise ConfigError(
                    "APP_ENV=production needs BASE_URL, the https:// address people reach the "
                    f"service at (links in mail use it), not {self.base_url!r}"
                )
            if parseaddr(self.mail_from)[1].rpartition("@")[2].lower() in ("localhost", ""):
                # The default: mail servers refuse it, and no one can reply to it.
                raise ConfigError(
                    "APP_ENV=production needs MAIL_FROM, the council's address mail is sent "
                    f"from, like Licensing <no-reply@council.example>, not {self.mail_from!r}"
                )
            if not self.council_name:
                # A default would put another council's name on every page, paper and mail.
                raise ConfigError(
                    "APP_ENV=production needs COUNCIL_NAME: the council's name, shown on every "
                    "page and in every committee paper and mail"
                )
        if (
            self.password_hash_time_cost < 1
            or self.password_hash_memory_kib < 8 * self.password_hash_parallelism
            or self.password_hash_parallelism < 1
        ):
            raise ConfigError(
                "PASSWORD_HASH_TIME_COST and PASSWORD_HASH_PARALLELISM must be at least 1, and "
                "PASSWORD_HASH_MEMORY_KIB at least 8 per lane"
            )
        if self.login_max_failures < 1 or self.login_ip_max_failures < 1:
            raise ConfigError("LOGIN_MAX_FAILURES and LOGIN_IP_MAX_FAILURES must be at least 1")
        if not 1 <= self.login_delay_base_seconds <= self.login_delay_max_seconds <= 3600:
            raise ConfigError(
                "LOGIN_DELAY_BASE_SECONDS must be at least 1 and no more than "
                "LOGIN_DELAY_MAX_SECONDS, which must be at most 3600 (an hour)"
            )
        if not 1 <= self.login_failure_window_hours <= 24 * 30:
            raise ConfigError("LOGIN_FAILURE_WINDOW_HOURS must be between 1 and 720")
        if not 1 <= self.login_ip_window_minutes <= 24 * 60:
            raise ConfigError("LOGIN_IP_WINDOW_MINUTES must be between 1 and 1440")
        if self.second_factor_key and len(self.second_factor_key) < 32:
            raise ConfigError("SECOND_FACTOR_KEY must be at least 32 characters")
        if not 0 <= self.proxy_hops <= 5:
            raise ConfigError("PROXY_HOPS must be between 0 and 5")
        if self.session_idle_minutes < 1:
            raise ConfigError("SESSION_IDLE_MINUTES must be at least 1")
        if not 1 <= self.offline_hours <= 24:
            raise ConfigError("OFFLINE_HOURS must be between 1 and 24")
        if not 1 <= self.follow_up_days <= 365:
            raise ConfigError("FOLLOW_UP_DAYS must be between 1 and 365")
        if self.evidence_store not in ("folder", "database"):
            raise ConfigError("EVIDENCE_STORE must be folder or database")
        if self.rule_overrides_file is not None and not self.rule_overrides_file.is_file():
            raise ConfigError(f"RULE_OVERRIDES_FILE {self.rule_overrides_file} is not a file")
        if not 1 <= self.public_register_rate_per_minute <= 100_000:
            raise ConfigError("PUBLIC_REGISTER_RATE_PER_MINUTE must be between 1 and 100000")
        if self.page_size < 1 or self.page_size > 500:
            raise ConfigError("PAGE_SIZE must be between 1 and 500")
        if not 1 <= self.scheduler_interval_seconds <= 3600:
            raise ConfigError("SCHEDULER_INTERVAL_SECONDS must be between 1 and 3600")
        if not 1 <= self.escalate_after_hours <= 24 * 30:
            raise ConfigError("ESCALATE_AFTER_HOURS must be between 1 and 720")
        if not 0 <= self.digest_hour <= 23:
            raise ConfigError("DIGEST_HOUR must be an hour of the day, 0 to 23")
        if self.mail_max_attempts < 1 or self.mail_retry_seconds < 1:
            raise ConfigError("MAIL_MAX_ATTEMPTS and MAIL_RETRY_SECONDS must be at least 1")
        if not 1 <= self.audit_checkpoint_minutes <= 24 * 60:
            raise ConfigError("AUDIT_CHECKPOINT_MINUTES must be between 1 and 1440")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError("BASE_URL must start with http:// or https://")
        if self.contact_email and not _is_address(self.contact_email):
            raise ConfigError(
                f"CONTACT_EMAIL must be one email address, like licensing@council.example, not "
                f"{self.contact_email!r}"
            )
        for address in self.audit_checkpoint_mail_to:
            if not _is_address(address):
                raise ConfigError(
                    "AUDIT_CHECKPOINT_MAIL_TO must be email addresses separated by commas, like "
                    f"governance@council.example, not {address!r}"
                )
        problem = mail_problem(self)
        if problem:
            raise ConfigError(problem)

    def second_factor_cipher_key(self) -> bytes:
        """The 256-bit AES key that seals authenticator secrets, from SECOND_FACTOR_KEY or,
        failing that, from SECRET_KEY (a separate derivation: it never signs anything)."""
        source = self.second_factor_key or self.secret_key
        return hmac.new(source.encode(), b"second factor secrets", hashlib.sha256).digest()

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed (tests and commands use this)."""
        return replace(self, **changes)
