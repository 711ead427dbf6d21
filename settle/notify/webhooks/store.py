"""The webhook tables and their queries: endpoints, events with their deliveries (written together),
claiming the deliveries that are due, and each attempt's log.

The signing secret is stored as it is: the server must present it to compute each signature (a
hash would not do), and encrypting it with SETTLE_SECRET_KEY would tie every endpoint to a key that
defaults to one per machine and user (a `settle webhooks add` elsewhere could not be read by the
server). It is never logged, listed or shown again after `settle webhooks add`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from settle.db import UTCDateTime, is_postgres, metadata
from settle.invoices.store import invoices
from settle.notify.webhooks.model import (
    Attempt,
    Claimed,
    DeliveryStatus,
    DeliveryView,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", sa.String(500), nullable=False),  # event types, comma-separated
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime),  # kept, so that the deliveries' log keeps its endpoint
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Each event once, whoever writes it and however often.
    sa.UniqueConstraint("type", "reference", name="uq_webhook_events_type_reference"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.ForeignKey(webhook_events.c.id), nullable=False),
    sa.Column("endpoint_id", sa.ForeignKey(webhook_endpoints.c.id), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("give_up_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("resent_from", sa.ForeignKey("webhook_deliveries.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),  # the sender's question
    sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    sa.Index("ix_webhook_deliveries_event_id", "event_id"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("delivery_id", sa.ForeignKey(webhook_deliveries.c.id), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.String(500)),
)


def _endpoint(row: Any) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        url=row.url,
        events=frozenset(EventType(name) for name in row.events.split(",")),
        secret=row.secret,
        created_at=row.created_at,
        removed_at=row.removed_at,
    )


def _delivery(row: Any) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        event_id=row.event_id,
        endpoint_id=row.endpoint_id,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        give_up_at=row.give_up_at,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        claimed_until=row.claimed_until,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        resent_from=row.resent_from,
        delivered_at=row.delivered_at,
    )


def _delivery_values(delivery: WebhookDelivery) -> dict[str, Any]:
    return {**asdict(delivery), "status": delivery.status.value}


def _attempt(row: Any) -> Attempt:
    return Attempt(
        delivery_id=row.delivery_id,
        number=row.number,
        started_at=row.started_at,
        finished_at=row.started_at + timedelta(milliseconds=row.duration_ms),
        duration_ms=row.duration_ms,
        status_code=row.status_code,
        error=row.error,
    )


class WebhookStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        events = ",".join(sorted(event.value for event in endpoint.events))
        self.connection.execute(webhook_endpoints.insert().values(**{**asdict(endpoint), "events": events}))

    def find_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        query = webhook_endpoints.select().where(webhook_endpoints.c.id == endpoint_id)
        row = self.connection.execute(query).first()
        return _endpoint(row) if row else None

    def endpoints(self, *, removed: bool = False) -> list[WebhookEndpoint]:
        """The endpoints deliveries go to (with `removed`, also the removed ones), oldest first."""
        c = webhook_endpoints.c
        query = webhook_endpoints.select().order_by(c.created_at, c.id)
        if not removed:
            query = query.where(c.removed_at.is_(None))
        return [_endpoint(row) for row in self.connection.execute(query)]

    def remove_endpoint(self, endpoint_id: str, now: datetime) -> int:
        """Stop sending to an endpoint; returns how many deliveries waiting for it were cancelled."""
        self.connection.execute(
            webhook_endpoints.update().where(webhook_endpoints.c.id == endpoint_id).values(removed_at=now)
        )
        c = webhook_deliveries.c
        cancelled = self.connection.execute(
            webhook_deliveries.update()
            .where(c.endpoint_id == endpoint_id, c.status == DeliveryStatus.PENDING.value)
            .values(status=DeliveryStatus.CANCELLED.value, claimed_until=None)
        )
        return cancelled.rowcount

    def add_events(self, events: Sequence[tuple[WebhookEvent, Iterable[str]]], now: datetime) -> int:
        """Write events with one delivery to each of their endpoints; an event already written
        (same type and reference) keeps its deliveries, without an error that would end the
        caller's transaction. Returns how many deliveries were written."""
        if not events:
            return 0
        dialect_insert = postgresql.insert if is_postgres(self.connection) else sqlite.insert
        statement = (
            dialect_insert(webhook_events)
            .on_conflict_do_nothing(index_elements=["type", "reference"])
            .returning(webhook_events.c.id)
        )
        values = [{**asdict(event), "type": event.type.value} for event, _ in events]
        written = set(self.connection.execute(statement, values).scalars())
        deliveries = [
            _delivery_values(WebhookDelivery.new(event.id, endpoint_id, now))
            for event, endpoint_ids in events
            if event.id in written
            for endpoint_id in endpoint_ids
        ]
        if deliveries:
            self.connection.execute(webhook_deliveries.insert(), deliveries)
        return len(deliveries)

    def add_delivery(self, delivery: WebhookDelivery) -> None:
        self.connection.execute(webhook_deliveries.insert().values(**_delivery_values(delivery)))

    def find_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        query = webhook_deliveries.select().where(webhook_deliveries.c.id == delivery_id)
        row = self.connection.execute(query).first()
        return _delivery(row) if row else None

    def find_event(self, event_id: str) -> WebhookEvent | None:
        row = self.connection.execute(webhook_events.select().where(webhook_events.c.id == event_id)).first()
        if row is None:
            return None
        return WebhookEvent(row.id, EventType(row.type), row.reference, row.body, row.created_at)

    def events_about(self, reference: str) -> list[WebhookEvent]:
        c = webhook_events.c
        query = webhook_events.select().where(c.reference == reference).order_by(c.created_at, c.type)
        return [
            WebhookEvent(row.id, EventType(row.type), row.reference, row.body, row.created_at)
            for row in self.connection.execute(query)
        ]

    def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[Claimed]:
        """Pending deliveries due by `now` that no live sender holds, held for `lease` by this one.
        PostgreSQL: rows another sender is claiming are skipped (FOR UPDATE OF the deliveries SKIP
        LOCKED); SQLite: the write transaction (BEGIN IMMEDIATE) lets one sender claim at a time."""
        d, v, e = webhook_deliveries.c, webhook_events.c, webhook_endpoints.c
        query = (
            sa.select(webhook_deliveries, v.type.label("event_type"), v.body, e.url, e.secret)
            .join(webhook_events, v.id == d.event_id)
            .join(webhook_endpoints, e.id == d.endpoint_id)
            .where(
                d.status == DeliveryStatus.PENDING.value,
                d.next_attempt_at <= now,
                sa.or_(d.claimed_until.is_(None), d.claimed_until <= now),
                e.removed_at.is_(None),
            )
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        if is_postgres(self.connection):
            query = query.with_for_update(skip_locked=True, of=webhook_deliveries)
        rows = self.connection.execute(query).all()
        if not rows:
            return []
        until = now + lease
        self.connection.execute(
            webhook_deliveries.update().where(d.id.in_([row.id for row in rows])).values(claimed_until=until)
        )
        return [
            Claimed(
                replace(_delivery(row), claimed_until=until), EventType(row.event_type), row.body, row.url, row.secret
            )
            for row in rows
        ]

    def record(self, attempt: Attempt, after: WebhookDelivery, claimed_until: datetime | None) -> bool:
        """Store an attempt and the delivery's state after it, if the sender's claim (ending at
        `claimed_until`) still holds; False if it ran out and another sender took the delivery."""
        d = webhook_deliveries.c
        changed = ("status", "attempts", "next_attempt_at", "claimed_until", "last_status_code", "last_error")
        values = {key: value for key, value in _delivery_values(after).items() if key in (*changed, "delivered_at")}
        updated = self.connection.execute(
            webhook_deliveries.update().where(d.id == after.id, d.claimed_until == claimed_until).values(**values)
        )
        if updated.rowcount != 1:
            return False
        self.connection.execute(
            webhook_attempts.insert().values(
                delivery_id=attempt.delivery_id,
                number=attempt.number,
                started_at=attempt.started_at,
                duration_ms=attempt.duration_ms,
                status_code=attempt.status_code,
                error=attempt.error,
            )
        )
        return True

    def release(self, delivery: WebhookDelivery, next_attempt_at: datetime) -> None:
        """Give back a claim this sender still holds, without an attempt, due at `next_attempt_at`."""
        d = webhook_deliveries.c
        self.connection.execute(
            webhook_deliveries.update()
            .where(d.id == delivery.id, d.claimed_until == delivery.claimed_until)
            .values(claimed_until=None, next_attempt_at=next_attempt_at)
        )

    def attempts(self, delivery_id: str) -> list[Attempt]:
        c = webhook_attempts.c
        query = webhook_attempts.select().where(c.delivery_id == delivery_id).order_by(c.number)
        return [_attempt(row) for row in self.connection.execute(query)]

    def deliveries(
        self, *, endpoint_id: str | None = None, status: DeliveryStatus | None = None, limit: int = 100
    ) -> list[DeliveryView]:
        """The newest deliveries first (for operators), with their event and endpoint."""
        d, v, e = webhook_deliveries.c, webhook_events.c, webhook_endpoints.c
        query = (
            sa.select(webhook_deliveries, v.type.label("event_type"), v.reference, e.url)
            .join(webhook_events, v.id == d.event_id)
            .join(webhook_endpoints, e.id == d.endpoint_id)
            .order_by(d.created_at.desc(), d.id.desc())
            .limit(limit)
        )
        if endpoint_id is not None:
            query = query.where(d.endpoint_id == endpoint_id)
        if status is not None:
            query = query.where(d.status == status.value)
        return [
            DeliveryView(_delivery(row), EventType(row.event_type), row.reference, row.url)
            for row in self.connection.execute(query)
        ]

    def overdue_without_event(self, today: date, due_since: date, limit: int = 1000) -> list[str]:
        """Numbers of the invoices unpaid after their due date (a due date on or after `due_since`)
        that have no invoice.past_due event yet."""
        i, v = invoices.c, webhook_events.c
        noticed = sa.exists().where(v.type == EventType.INVOICE_PAST_DUE.value, v.reference == i.id)
        query = (
            sa.select(i.id)
            .where(
                i.voided_at.is_(None),
                i.amount_due_minor > 0,
                i.due_date < today,
                i.due_date >= due_since,
                ~noticed,
            )
            .order_by(i.due_date, i.id)
            .limit(limit)
        )
        return list(self.connection.execute(query).scalars())
