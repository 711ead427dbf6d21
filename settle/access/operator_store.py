"""The provider's operators: users granted operator rights explicitly (`settle operators add`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from settle.db import UTCDateTime, metadata

operator_grants = sa.Table(
    "operator_grants",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("granted_by", sa.String(32)),  # NULL: at the command line
    sa.Column("granted_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class OperatorGrant:
    user_id: str
    granted_by: str | None
    granted_at: datetime


class OperatorStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def is_operator(self, user_id: str) -> bool:
        query = sa.select(operator_grants.c.user_id).where(operator_grants.c.user_id == user_id)
        return self.connection.execute(query).first() is not None

    def add(self, grant: OperatorGrant) -> None:
        self.connection.execute(
            operator_grants.insert().values(
                user_id=grant.user_id, granted_by=grant.granted_by, granted_at=grant.granted_at
            )
        )

    def remove(self, user_id: str) -> bool:
        return (
            self.connection.execute(operator_grants.delete().where(operator_grants.c.user_id == user_id)).rowcount == 1
        )

    def all(self) -> list[OperatorGrant]:
        rows = self.connection.execute(sa.select(operator_grants).order_by(operator_grants.c.granted_at))
        return [OperatorGrant(row.user_id, row.granted_by, row.granted_at) for row in rows]
