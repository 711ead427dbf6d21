"""The table of e-mail verification links (each kept as the hash of its secret) and its queries."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.access.verification import EmailVerification
from settle.db import UTCDateTime, metadata

email_verifications = sa.Table(
    "email_verifications",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
)


def _link(row: Any) -> EmailVerification:
    return EmailVerification(**row._mapping)


class EmailVerificationStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, link: EmailVerification) -> None:
        self.connection.execute(email_verifications.insert().values(**asdict(link)))

    def find(self, link_id: str) -> EmailVerification | None:
        row = self.connection.execute(email_verifications.select().where(email_verifications.c.id == link_id)).first()
        return _link(row) if row else None

    def find_by_hash(self, secret_hash: str) -> EmailVerification | None:
        query = email_verifications.select().where(email_verifications.c.secret_hash == secret_hash)
        row = self.connection.execute(query).first()
        return _link(row) if row else None

    def sent_since(self, user_id: str, since: datetime) -> list[datetime]:
        """When each of the user's links since `since` was made (the resend throttle counts them)."""
        c = email_verifications.c
        query = sa.select(c.created_at).where(c.user_id == user_id, c.created_at >= since)
        return [row.created_at for row in self.connection.execute(query)]

    def use(self, link_id: str, used_at: datetime) -> bool:
        """Mark the link used; False when it already was (a second, concurrent click)."""
        c = email_verifications.c
        query = email_verifications.update().where(c.id == link_id, c.used_at.is_(None)).values(used_at=used_at)
        return self.connection.execute(query).rowcount == 1
