"""Tables and queries for sign-in sessions and recent sign-in failures."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.access.sessions import Session
from settle.db import UTCDateTime, metadata

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # The cookie's secret is never stored: only its SHA-256 digest, looked up on every request.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("client_address", sa.String(64)),
    sa.Column("user_agent", sa.String(500)),
)

sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("throttle_key", sa.String(320), nullable=False),  # "account:<e-mail>" or "address:<ip>"
    sa.Column("failed_at", UTCDateTime, nullable=False),
)
sa.Index("ix_sign_in_failures_key_time", sign_in_failures.c.throttle_key, sign_in_failures.c.failed_at)


def _session(row: Any) -> Session:
    return Session(
        id=row.id,
        secret_hash=row.secret_hash,
        user_id=row.user_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        client_address=row.client_address,
        user_agent=row.user_agent,
    )


class SessionStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, session: Session) -> None:
        self.connection.execute(sessions.insert().values(**asdict(session)))

    def find_by_hash(self, secret_hash: str) -> Session | None:
        row = self.connection.execute(sessions.select().where(sessions.c.secret_hash == secret_hash)).first()
        return _session(row) if row else None

    def touch(self, session_id: str, last_seen_at: datetime) -> None:
        query = sessions.update().where(sessions.c.id == session_id)
        self.connection.execute(query.values(last_seen_at=last_seen_at))

    def remove(self, session_id: str) -> None:
        self.connection.execute(sessions.delete().where(sessions.c.id == session_id))

    def remove_for_user(self, user_id: str) -> int:
        """End every session of the user (their password changed); how many there were."""
        return int(self.connection.execute(sessions.delete().where(sessions.c.user_id == user_id)).rowcount)

    def for_user(self, user_id: str) -> list[Session]:
        query = sessions.select().where(sessions.c.user_id == user_id).order_by(sessions.c.created_at)
        return [_session(row) for row in self.connection.execute(query)]


class SignInFailureStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, keys: list[str], failed_at: datetime) -> None:
        self.connection.execute(sign_in_failures.insert(), [{"throttle_key": k, "failed_at": failed_at} for k in keys])

    def since(self, key: str, since: datetime) -> list[datetime]:
        query = sa.select(sign_in_failures.c.failed_at).where(
            sign_in_failures.c.throttle_key == key, sign_in_failures.c.failed_at > since
        )
        return list(self.connection.execute(query).scalars())

    def clear(self, key: str) -> None:
        self.connection.execute(sign_in_failures.delete().where(sign_in_failures.c.throttle_key == key))

    def forget_before(self, cutoff: datetime) -> None:
        """Failures older than the throttle's window count for nothing: keep the table small."""
        self.connection.execute(sign_in_failures.delete().where(sign_in_failures.c.failed_at < cutoff))
