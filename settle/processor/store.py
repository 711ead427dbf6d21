"""The simulated processor's own tables: tokens, its charge ledger and refunds.

They live in the processor's database, apart from Settle's (their own MetaData, created with
`create_all` when the processor starts; Settle's migrations never see them). No column holds a
full card number or a security code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.db import UTCDateTime
from settle.processor.interface import ChargeStatus

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tokens = sa.Table(
    "sim_tokens",
    metadata,
    sa.Column("token", sa.String(40), primary_key=True),
    sa.Column("brand", sa.String(20), nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    sa.Column("expiry_month", sa.Integer, nullable=False),
    sa.Column("expiry_year", sa.Integer, nullable=False),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("funding", sa.String(10), nullable=False),
    sa.Column("behaviour", sa.String(30), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # A token is attached to one owner once, shortly after it was made; then it is spent (card_tokens.py).
    sa.Column("attached_at", UTCDateTime),
    sa.Column("owner", sa.String(100)),
)

charges = sa.Table(
    "sim_charges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # ledger order
    sa.Column("reference", sa.String(40), nullable=False, unique=True),
    # The same key is the same charge: the database refuses a second row, whatever the code does.
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("token", sa.ForeignKey("sim_tokens.token"), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decline_code", sa.String(40)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime),
    # The secret part of a 3-D Secure challenge's link: only the payer Settle gave the link to can answer.
    sa.Column("challenge_id", sa.String(60), unique=True),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
)

refunds = sa.Table(
    "sim_refunds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(40), nullable=False, unique=True),
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("charge_reference", sa.ForeignKey("sim_charges.reference"), nullable=False, index=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
)


_TOKEN = sa.select(tokens).where(tokens.c.token == sa.bindparam("token"))
_CHARGE_BY_KEY = sa.select(charges).where(charges.c.idempotency_key == sa.bindparam("key"))


# Columns added to a ledger made by an earlier version (create_all adds tables, never columns).
_ADDED_COLUMNS = [tokens.c.attached_at, tokens.c.owner, charges.c.challenge_id]


def create_tables(connection: sa.Connection) -> None:
    metadata.create_all(connection)
    present = sa.inspect(connection)
    for column in _ADDED_COLUMNS:
        if column.name in {found["name"] for found in present.get_columns(column.table.name)}:
            continue
        kind = column.type.compile(dialect=connection.dialect)
        connection.exec_driver_sql(f"ALTER TABLE {column.table.name} ADD COLUMN {column.name} {kind}")
        if column is tokens.c.attached_at:  # the tokens already there were attached when they were saved
            connection.execute(tokens.update().values(attached_at=tokens.c.created_at))


def insert_token(connection: sa.Connection, **values: Any) -> None:
    connection.execute(tokens.insert().values(**values))


def attach_token(connection: sa.Connection, token: str, owner: str, at: datetime) -> bool:
    """Mark a token attached to `owner`, only if it was not yet: False if another attach came first."""
    fresh = tokens.update().where(tokens.c.token == token, tokens.c.attached_at.is_(None))
    result = connection.execute(fresh.values(attached_at=at, owner=owner))
    return result.rowcount == 1


def charge_by_challenge(connection: sa.Connection, challenge_id: str) -> sa.Row[Any] | None:
    return connection.execute(sa.select(charges).where(charges.c.challenge_id == challenge_id)).first()


def token_row(connection: sa.Connection, token: str) -> sa.Row[Any] | None:
    return connection.execute(_TOKEN, {"token": token}).first()


def charge_by_key(connection: sa.Connection, idempotency_key: str) -> sa.Row[Any] | None:
    return connection.execute(_CHARGE_BY_KEY, {"key": idempotency_key}).first()


def charge_by_reference(connection: sa.Connection, reference: str, *, lock: bool = False) -> sa.Row[Any] | None:
    query = sa.select(charges).where(charges.c.reference == reference)
    return connection.execute(query.with_for_update() if lock else query).first()


def insert_charge(connection: sa.Connection, **values: Any) -> sa.Row[Any]:
    """Insert a charge and give back its row (RETURNING: no second round trip to read it)."""
    return connection.execute(charges.insert().values(**values).returning(*charges.c)).one()


def finish_challenge(
    connection: sa.Connection, reference: str, status: ChargeStatus, decline_code: str | None, at: datetime
) -> None:
    """Record the outcome of a 3-D Secure challenge, only if it is still outstanding."""
    connection.execute(
        charges.update()
        .where(charges.c.reference == reference, charges.c.status == ChargeStatus.REQUIRES_ACTION)
        .values(status=status, decline_code=decline_code, completed_at=at)
    )


def charge_rows(
    connection: sa.Connection, *, status: ChargeStatus | None = None, description: str | None = None
) -> list[sa.Row[Any]]:
    query = sa.select(charges).order_by(charges.c.id)
    if status is not None:
        query = query.where(charges.c.status == status)
    if description is not None:
        query = query.where(charges.c.description == description)
    return list(connection.execute(query))


def refund_by_key(connection: sa.Connection, idempotency_key: str) -> sa.Row[Any] | None:
    return connection.execute(sa.select(refunds).where(refunds.c.idempotency_key == idempotency_key)).first()


def refund_rows(connection: sa.Connection, charge_reference: str | None = None) -> list[sa.Row[Any]]:
    query = sa.select(refunds).order_by(refunds.c.id)
    if charge_reference is not None:
        query = query.where(refunds.c.charge_reference == charge_reference)
    return list(connection.execute(query))


def refunded_minor(connection: sa.Connection, charge_reference: str) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount_minor), 0)).where(
        refunds.c.charge_reference == charge_reference
    )
    return int(connection.execute(query).scalar_one())


def insert_refund(connection: sa.Connection, **values: Any) -> None:
    connection.execute(refunds.insert().values(**values))


def net_charged_minor(connection: sa.Connection, currency: str) -> int:
    """Succeeded charges in `currency` minus what was refunded of them."""
    charged = sa.select(sa.func.coalesce(sa.func.sum(charges.c.amount_minor), 0)).where(
        charges.c.currency == currency, charges.c.status == ChargeStatus.SUCCEEDED
    )
    refunded = sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount_minor), 0)).where(refunds.c.currency == currency)
    return int(connection.execute(charged).scalar_one()) - int(connection.execute(refunded).scalar_one())
