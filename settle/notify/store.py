"""The outbox table and its queries: adding messages (each once), claiming the ones due, recording
how an attempt went, and finding the invoices that are owed a past-due notice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from settle.accounts.store import billing_profiles
from settle.db import UTCDateTime, is_postgres, metadata
from settle.invoices.store import invoices
from settle.notify.model import MessageKind, OutboxMessage, OutboxStatus

outbox_messages = sa.Table(
    "outbox_messages",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),  # an invoice number or a payment id
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("locale", sa.String(5), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    # One message of a kind about a thing to an address, whoever enqueues it and however often.
    sa.UniqueConstraint("kind", "reference", "recipient", name="uq_outbox_messages_kind_reference_recipient"),
    # The sender's question: which pending messages are due now?
    sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_messages_reference", "reference"),
)


def _values(message: OutboxMessage) -> dict[str, Any]:
    return {**asdict(message), "kind": message.kind.value, "status": message.status.value}


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        kind=MessageKind(row.kind),
        reference=row.reference,
        recipient=row.recipient,
        locale=row.locale,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        claimed_until=row.claimed_until,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )


class OutboxStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add_many(self, messages: Iterable[OutboxMessage]) -> None:
        """Insert messages; one that is already there (same kind, reference and recipient) is left
        as it is, without an error that would end the caller's transaction."""
        values = [_values(message) for message in messages]
        if not values:
            return
        dialect_insert = postgresql.insert if is_postgres(self.connection) else sqlite.insert
        statement = dialect_insert(outbox_messages).on_conflict_do_nothing(
            index_elements=["kind", "reference", "recipient"]
        )
        self.connection.execute(statement, values)

    def add(self, message: OutboxMessage) -> None:
        self.add_many([message])

    def get(self, message_id: str) -> OutboxMessage | None:
        row = self.connection.execute(outbox_messages.select().where(outbox_messages.c.id == message_id)).first()
        return _message(row) if row else None

    def find(self, kind: MessageKind, reference: str) -> list[OutboxMessage]:
        c = outbox_messages.c
        query = outbox_messages.select().where(c.kind == kind.value, c.reference == reference).order_by(c.recipient)
        return [_message(row) for row in self.connection.execute(query)]

    def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        """Pending messages due by `now` that no live sender holds, held for `lease` by this one.
        PostgreSQL: rows another sender is claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite:
        the write transaction (BEGIN IMMEDIATE) already lets one sender claim at a time."""
        c = outbox_messages.c
        query = (
            outbox_messages.select()
            .where(
                c.status == OutboxStatus.PENDING.value,
                c.next_attempt_at <= now,
                sa.or_(c.claimed_until.is_(None), c.claimed_until <= now),
            )
            .order_by(c.next_attempt_at, c.id)
            .limit(limit)
        )
        if is_postgres(self.connection):
            query = query.with_for_update(skip_locked=True)
        claimed = [_message(row) for row in self.connection.execute(query)]
        if claimed:
            until = now + lease
            ids = [message.id for message in claimed]
            self.connection.execute(outbox_messages.update().where(c.id.in_(ids)).values(claimed_until=until))
            claimed = [replace(message, claimed_until=until) for message in claimed]
        return claimed

    def update(self, message: OutboxMessage) -> None:
        """Store how an attempt went."""
        changed = ("status", "attempts", "next_attempt_at", "claimed_until", "last_error", "sent_at")
        values = {key: value for key, value in _values(message).items() if key in changed}
        self.connection.execute(outbox_messages.update().where(outbox_messages.c.id == message.id).values(**values))

    def latest(self, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxMessage]:
        """The newest messages first (for operators)."""
        c = outbox_messages.c
        query = outbox_messages.select().order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(c.status == status.value)
        return [_message(row) for row in self.connection.execute(query)]

    def overdue_invoices(
        self, today: date, *, without: MessageKind, noticed_before: datetime | None = None, limit: int = 1000
    ) -> list[tuple[str, str, str]]:
        """(number, invoice e-mail, invoice language) of the invoices unpaid after their due date
        that have no `without` message yet; with `noticed_before`, only those whose past-due notice
        was written before then (the reminders that are due)."""
        i, p, o = invoices.c, billing_profiles.c, outbox_messages.c

        def message(kind: MessageKind) -> sa.Exists:
            return sa.exists().where(o.kind == kind.value, o.reference == i.id)

        query = (
            sa.select(i.id, p.invoice_email, p.invoice_language)
            .join(billing_profiles, p.id == i.billing_profile_id)
            .where(
                i.voided_at.is_(None),
                i.amount_due_minor > 0,
                i.due_date < today,
                p.invoice_email != "",
                ~message(without),
            )
            .order_by(i.due_date, i.id)
            .limit(limit)
        )
        if noticed_before is not None:
            noticed = message(MessageKind.INVOICE_PAST_DUE).where(o.created_at <= noticed_before)
            query = query.where(noticed)
        return [(row.id, row.invoice_email, row.invoice_language) for row in self.connection.execute(query)]
