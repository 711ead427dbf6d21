"""The one settings object, read from SETTLE_* environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PROVIDER_FIELDS = (
    "name", "street", "postal_code", "city", "region", "country", "vat_number", "email", "bank", "iban", "bic",
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///settle.db"
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # from_env: configured or kept
    timezone: str = "UTC"
    signup: bool = True
    base_url: str = "http://127.0.0.1:8000"
    processor_url: str = ""  # a processor served elsewhere; empty: the built-in one, in this process
    # The processor's secret key (charges, refunds, look-ups); the browser gets only the publishable key
    # derived from it. Built in: configured or kept like secret_key; served elsewhere: must be configured.
    processor_secret_key: str = field(default_factory=lambda: "sk_sim_" + secrets.token_urlsafe(32))
    processor_database_url: str = ""  # the built-in processor's own database
    processor_timeout_seconds: float = 10.0  # Settle's wait for a processor served elsewhere
    processor_faults: str = ""  # tests only: failures `settle processor serve` injects (processor/faults.py)
    reconcile_after_seconds: int = 300  # a payment in flight this long is asked after at the processor
    reconcile_every_seconds: int = 60  # 0: the server does not reconcile by itself
    card_limits: dict[str, int] | None = None  # major units per currency; None: Settle's defaults
    refuse_prepaid_cards: bool = False
    smtp_url: str = ""  # smtp://user:pass@host:587?starttls=1 or smtps://…; empty: mail waits in the outbox
    mail_from: str = ""  # the From: of Settle's e-mails; empty: the outbox's default
    past_due_reminder_days: int = 7
    autopay_retry_days: tuple[int, ...] = (3, 5, 7)  # days after the first failed automatic charge
    # Who issues the invoices and where bank transfers go, as printed on them: SETTLE_PROVIDER_NAME,
    # _STREET, _POSTAL_CODE, _CITY, _REGION, _COUNTRY, _VAT_NUMBER, _EMAIL, _BANK, _IBAN, _BIC. Unset
    # parts keep the sample provider of settle/documents/model.py (fine for a demo, not for real invoices).
    provider: tuple[tuple[str, str], ...] = ()
    server_timing: bool = False  # a Server-Timing header on every answer: for benchmarks, never on the internet
    metrics_token: str = ""  # /metrics answers only to `Authorization: Bearer <this>`; empty: /metrics is 404
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Argon2id's cost for new password hashes (RFC 9106's second recommendation: 3 passes over 64 MiB,
    # 4 lanes); lower only where hashing speed matters more than resistance to guessing, as in tests.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4

    def __post_init__(self) -> None:
        if self.password_time_cost < 1 or self.password_parallelism < 1:
            raise ValueError("SETTLE_PASSWORD_TIME_COST and SETTLE_PASSWORD_PARALLELISM must be at least 1")
        if self.metrics_token and len(self.metrics_token) < 16:
            raise ValueError("SETTLE_METRICS_TOKEN must have at least 16 characters (it guards every tenant's figures)")
        if self.password_memory_kib < 8 * self.password_parallelism:
            raise ValueError("SETTLE_PASSWORD_MEMORY_KIB must be at least 8 per lane (SETTLE_PASSWORD_PARALLELISM)")

    @property
    def session_idle_timeout(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_absolute_timeout(self) -> timedelta:
        return timedelta(hours=self.session_absolute_hours)

    @property
    def processor_ledger_url(self) -> str:
        """The built-in processor's own database: as configured, else a file beside Settle's."""
        return self.processor_database_url or _beside(self.database_url, "processor")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        if env.get("SETTLE_OPERATORS", "").strip():
            # It gave operator rights to whoever signed up with an address: refused rather than ignored.
            raise ValueError(
                "SETTLE_OPERATORS is no longer read: grant operator rights to existing users with "
                "`settle operators add EMAIL`, then unset SETTLE_OPERATORS"
            )
        database_url = env.get("SETTLE_DATABASE_URL", cls.database_url)
        return cls(
            database_url=database_url,
            secret_key=env.get("SETTLE_SECRET_KEY", "") or _local_secret(),
            timezone=env.get("SETTLE_TIMEZONE", cls.timezone),
            signup=_flag(env.get("SETTLE_SIGNUP", "on")),
            base_url=env.get("SETTLE_BASE_URL", cls.base_url).rstrip("/"),
            processor_url=env.get("SETTLE_PROCESSOR_URL", "").rstrip("/"),
            processor_secret_key=_processor_secret_key(env),
            processor_database_url=env.get("SETTLE_PROCESSOR_DATABASE_URL", ""),
            processor_timeout_seconds=float(env.get("SETTLE_PROCESSOR_TIMEOUT_SECONDS", cls.processor_timeout_seconds)),
            processor_faults=env.get("SETTLE_PROCESSOR_FAULTS", ""),
            reconcile_after_seconds=int(env.get("SETTLE_RECONCILE_AFTER_SECONDS", cls.reconcile_after_seconds)),
            reconcile_every_seconds=int(env.get("SETTLE_RECONCILE_EVERY_SECONDS", cls.reconcile_every_seconds)),
            card_limits=_limits(env.get("SETTLE_CARD_LIMITS", "")),
            refuse_prepaid_cards=_flag(env.get("SETTLE_REFUSE_PREPAID_CARDS", "off")),
            smtp_url=env.get("SETTLE_SMTP_URL", ""),
            mail_from=env.get("SETTLE_MAIL_FROM", ""),
            past_due_reminder_days=int(env.get("SETTLE_PAST_DUE_REMINDER_DAYS", cls.past_due_reminder_days)),
            autopay_retry_days=_days(env.get("SETTLE_AUTOPAY_RETRY_DAYS", "3,5,7")),
            provider=tuple(
                (name, env[f"SETTLE_PROVIDER_{name.upper()}"].strip())
                for name in PROVIDER_FIELDS
                if env.get(f"SETTLE_PROVIDER_{name.upper()}", "").strip()
            ),
            server_timing=_flag(env.get("SETTLE_SERVER_TIMING", "off")),
            metrics_token=env.get("SETTLE_METRICS_TOKEN", "").strip(),
            session_idle_minutes=int(env.get("SETTLE_SESSION_IDLE_MINUTES", cls.session_idle_minutes)),
            session_absolute_hours=int(env.get("SETTLE_SESSION_ABSOLUTE_HOURS", cls.session_absolute_hours)),
            password_time_cost=int(env.get("SETTLE_PASSWORD_TIME_COST", cls.password_time_cost)),
            password_memory_kib=int(env.get("SETTLE_PASSWORD_MEMORY_KIB", cls.password_memory_kib)),
            password_parallelism=int(env.get("SETTLE_PASSWORD_PARALLELISM", cls.password_parallelism)),
        )


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"off", "0", "false", "no", ""}


def _days(value: str) -> tuple[int, ...]:
    """`3,5,7` → (3, 5, 7): days after the first failed automatic charge to try again; empty: never."""
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"SETTLE_AUTOPAY_RETRY_DAYS: '{value}' is not a list of whole days such as 3,5,7")
    days = tuple(int(part) for part in parts)
    if any(day < 1 for day in days) or list(days) != sorted(set(days)):
        raise ValueError(f"SETTLE_AUTOPAY_RETRY_DAYS: '{value}' must be increasing days of at least 1")
    return days


def _limits(value: str) -> dict[str, int] | None:
    """`EUR=46000,USD=50000` → {"EUR": 46000, "USD": 50000}; empty → None (the defaults)."""
    if not value.strip():
        return None
    limits = {}
    for part in value.split(","):
        currency, _, amount = part.partition("=")
        if not amount.strip().isdigit():
            raise ValueError(f"SETTLE_CARD_LIMITS: '{part}' is not CURRENCY=AMOUNT")
        limits[currency.strip().upper()] = int(amount)
    return limits


def _beside(database_url: str, suffix: str) -> str:
    """The built-in processor keeps its ledger in a file beside Settle's own SQLite file (never in
    Settle's tables); with PostgreSQL, in a SQLite file in the working directory unless configured."""
    if database_url.startswith("sqlite:///") and database_url.endswith(".db"):
        return database_url.removesuffix(".db") + f"-{suffix}.db"
    return f"sqlite:///settle-{suffix}.db"


def _processor_secret_key(env: Mapping[str, str]) -> str:
    configured = env.get("SETTLE_PROCESSOR_SECRET_KEY", "").strip()
    if configured:
        return configured
    if env.get("SETTLE_PROCESSOR_URL", "").strip():
        raise ValueError(
            "SETTLE_PROCESSOR_SECRET_KEY must be set: the secret key of the processor at SETTLE_PROCESSOR_URL"
        )
    return _local_secret("processor_secret_key", prefix="sk_sim_")


def _local_secret(name: str = "secret_key", prefix: str = "") -> str:
    """Without SETTLE_SECRET_KEY (or SETTLE_PROCESSOR_SECRET_KEY), a random key kept in the user's
    config dir (never in the repo), so that sign-ins and saved cards survive a restart of a development server."""
    home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "settle"
    path = home / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        home.mkdir(parents=True, exist_ok=True)
        key = prefix + secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


_EVERY_INTERFACE = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (recognised, not bound)
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def served_base_url(host: str, port: int) -> str:
    """The base URL of what `settle serve --host --port` serves: the default of SETTLE_BASE_URL there, so
    that links (the 3-D Secure return, e-mails) lead back to it. Every interface is named `localhost`,
    an address a browser on the machine can open."""
    name = "localhost" if host.strip("[]") in _EVERY_INTERFACE else host.strip("[]")
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


def base_url_reaches(base_url: str, host: str, port: int) -> bool:
    """Whether links to `base_url` arrive at a server listening on host:port without a proxy between:
    the same port, and the same host (any loopback name for a loopback host; any for every interface)."""
    parts = urlsplit(base_url)
    try:
        base_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # not a port at all
        return False
    listening = host.strip("[]")
    if base_port != port:
        return False
    base_host = parts.hostname or ""
    if listening in _EVERY_INTERFACE or base_host == listening:
        return True
    return base_host in _LOOPBACK and listening in _LOOPBACK
