"""Tables and queries for API tokens and role invitations (each kept as the hash of its secret)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.access.model import Role, Scope
from settle.access.tokens import ApiToken, ApiTokenNotFound, Invitation
from settle.db import UTCDateTime, metadata

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(12), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
)

invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("billing_account_id", sa.ForeignKey("billing_accounts.id"), nullable=False, index=True),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id")),
    sa.Column("invoice_section_id", sa.ForeignKey("invoice_sections.id")),
    sa.Column("invited_by", sa.String(32)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("accepted_at", UTCDateTime),
    sa.Column("accepted_by", sa.ForeignKey("users.id")),
)


_BY_HASH = api_tokens.select().where(api_tokens.c.secret_hash == sa.bindparam("secret_hash"))  # every API call


def _token(row: Any) -> ApiToken:
    return ApiToken(**row._mapping)


def _invitation(row: Any) -> Invitation:
    return Invitation(
        id=row.id,
        secret_hash=row.secret_hash,
        email=row.email,
        role=Role(row.role),
        scope=Scope(row.billing_account_id, row.billing_profile_id, row.invoice_section_id),
        created_at=row.created_at,
        expires_at=row.expires_at,
        invited_by=row.invited_by,
        accepted_at=row.accepted_at,
        accepted_by=row.accepted_by,
    )


class ApiTokenStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, token: ApiToken) -> None:
        self.connection.execute(api_tokens.insert().values(**asdict(token)))

    def get(self, token_id: str) -> ApiToken:
        row = self.connection.execute(api_tokens.select().where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise ApiTokenNotFound(id=token_id)
        return _token(row)

    def find_by_hash(self, secret_hash: str) -> ApiToken | None:
        row = self.connection.execute(_BY_HASH, {"secret_hash": secret_hash}).first()
        return _token(row) if row else None

    def for_user(self, user_id: str) -> list[ApiToken]:
        query = api_tokens.select().where(api_tokens.c.user_id == user_id)
        return [_token(row) for row in self.connection.execute(query.order_by(api_tokens.c.created_at))]

    def revoke(self, token_id: str, revoked_at: datetime) -> None:
        query = api_tokens.update().where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        self.connection.execute(query.values(revoked_at=revoked_at))

    def touch(self, token_id: str, last_used_at: datetime) -> None:
        query = api_tokens.update().where(api_tokens.c.id == token_id)
        self.connection.execute(query.values(last_used_at=last_used_at))


class InvitationStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, invitation: Invitation) -> None:
        scope = invitation.scope
        values = asdict(invitation)
        del values["scope"]
        values.update(
            role=invitation.role.value,
            billing_account_id=scope.billing_account_id,
            billing_profile_id=scope.billing_profile_id,
            invoice_section_id=scope.invoice_section_id,
        )
        self.connection.execute(invitations.insert().values(**values))

    def find_by_hash(self, secret_hash: str) -> Invitation | None:
        row = self.connection.execute(invitations.select().where(invitations.c.secret_hash == secret_hash)).first()
        return _invitation(row) if row else None

    def in_account(self, account_id: str) -> list[Invitation]:
        query = invitations.select().where(invitations.c.billing_account_id == account_id)
        return [_invitation(row) for row in self.connection.execute(query.order_by(invitations.c.created_at))]

    def accept(self, invitation_id: str, user_id: str, accepted_at: datetime) -> bool:
        """Mark the invitation used; False when it already was (a second, concurrent acceptance)."""
        query = invitations.update().where(invitations.c.id == invitation_id, invitations.c.accepted_at.is_(None))
        result = self.connection.execute(query.values(accepted_at=accepted_at, accepted_by=user_id))
        return result.rowcount == 1
