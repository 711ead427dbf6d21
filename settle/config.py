"""The one settings object, read from SETTLE_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///settle.db"
    secret_key: str = ""
    timezone: str = "UTC"
    signup: bool = True
    base_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("SETTLE_DATABASE_URL", cls.database_url),
            secret_key=env.get("SETTLE_SECRET_KEY", "") or _local_secret(),
            timezone=env.get("SETTLE_TIMEZONE", cls.timezone),
            signup=env.get("SETTLE_SIGNUP", "on").lower() not in {"off", "0", "false", "no"},
            base_url=env.get("SETTLE_BASE_URL", cls.base_url).rstrip("/"),
        )


def _local_secret() -> str:
    """Without SETTLE_SECRET_KEY, a random key kept in the user's config dir (never in the repo),
    so that sign-ins survive a restart of a development server."""
    import secrets

    home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "settle"
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        home.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
