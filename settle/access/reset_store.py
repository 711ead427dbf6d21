"""Tables and queries for password resets (each kept as the hash of its link's secret) and the
recent requests for them (for throttling)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.access.resets import PasswordReset
from settle.db import UTCDateTime, metadata

password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),  # the address the link was sent to
    # The link's secret is never stored: only its SHA-256 digest, looked up when the link is opened.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),  # used, or outdated by another change of the password
)

# Not sign_in_failures: those are forgotten after a minute, and these count for an hour.
password_reset_requests = sa.Table(
    "password_reset_requests",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("throttle_key", sa.String(320), nullable=False),  # "email:<typed>" or "client:<ip>"
    sa.Column("requested_at", UTCDateTime, nullable=False),
)
sa.Index(
    "ix_password_reset_requests_key_time",
    password_reset_requests.c.throttle_key,
    password_reset_requests.c.requested_at,
)


def _reset(row: Any) -> PasswordReset:
    return PasswordReset(**row._mapping)


class PasswordResetStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, reset: PasswordReset) -> None:
        self.connection.execute(password_resets.insert().values(**asdict(reset)))

    def find(self, reset_id: str) -> PasswordReset | None:
        row = self.connection.execute(password_resets.select().where(password_resets.c.id == reset_id)).first()
        return _reset(row) if row else None

    def find_by_hash(self, secret_hash: str) -> PasswordReset | None:
        query = password_resets.select().where(password_resets.c.secret_hash == secret_hash)
        row = self.connection.execute(query).first()
        return _reset(row) if row else None

    def use(self, reset_id: str, used_at: datetime) -> bool:
        """Mark the link used; False when it already was (the loser of two concurrent uses: PostgreSQL
        re-reads the row once the winner commits, SQLite has one writer at a time)."""
        query = password_resets.update().where(password_resets.c.id == reset_id, password_resets.c.used_at.is_(None))
        return self.connection.execute(query.values(used_at=used_at)).rowcount == 1

    def close_open(self, user_id: str, closed_at: datetime) -> int:
        """Every open link of the user made useless (their password changed); how many there were."""
        query = password_resets.update().where(
            password_resets.c.user_id == user_id, password_resets.c.used_at.is_(None)
        )
        return int(self.connection.execute(query.values(used_at=closed_at)).rowcount)


class ResetRequestStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, keys: list[str], requested_at: datetime) -> None:
        rows = [{"throttle_key": key, "requested_at": requested_at} for key in keys]
        self.connection.execute(password_reset_requests.insert(), rows)

    def since(self, key: str, since: datetime) -> list[datetime]:
        query = sa.select(password_reset_requests.c.requested_at).where(
            password_reset_requests.c.throttle_key == key, password_reset_requests.c.requested_at > since
        )
        return list(self.connection.execute(query).scalars())

    def forget_before(self, cutoff: datetime) -> None:
        """Requests older than the throttle's window count for nothing: keep the table small."""
        query = password_reset_requests.delete().where(password_reset_requests.c.requested_at < cutoff)
        self.connection.execute(query)
