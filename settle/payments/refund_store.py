"""The refunds table (Settle's side: no card data) and its queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.db import UTCDateTime, among, metadata
from settle.money import Money
from settle.payments.model import PaymentMethodFamily
from settle.payments.refund_model import Refund, RefundNotFound, RefundStatus
from settle.payments.store import payment_methods, payments

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("payment_id", sa.ForeignKey("payments.id"), nullable=False, index=True),
    sa.Column("invoice_id", sa.ForeignKey("invoices.id"), nullable=False, index=True),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id"), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    # The same key is the same refund, whoever asks and however often.
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    sa.Column("actor_id", sa.ForeignKey("users.id")),
    sa.Column("processor_reference", sa.String(100)),
    sa.Column("failure_code", sa.String(40)),
    sa.Column("receipt_number", sa.String(40), unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    sa.Index("ix_refunds_profile_created", "billing_profile_id", "created_at"),
)


def _refund(row: Any) -> Refund:
    return Refund(
        id=row.id,
        payment_id=row.payment_id,
        invoice_id=row.invoice_id,
        billing_profile_id=row.billing_profile_id,
        amount=Money(row.amount_minor, row.currency),
        status=RefundStatus(row.status),
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        actor_id=row.actor_id,
        processor_reference=row.processor_reference,
        failure_code=row.failure_code,
        receipt_number=row.receipt_number,
        completed_at=row.completed_at,
    )


def _values(refund: Refund) -> dict[str, Any]:
    values = asdict(refund)
    amount = values.pop("amount")
    return {**values, "status": refund.status.value, "amount_minor": amount["minor"], "currency": amount["currency"]}


class RefundStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, refund: Refund) -> None:
        self.connection.execute(refunds.insert().values(**_values(refund)))

    def update(self, refund: Refund) -> None:
        """Store the outcome (the request itself never changes)."""
        changed = ("status", "processor_reference", "failure_code", "receipt_number", "completed_at")
        values = {key: value for key, value in _values(refund).items() if key in changed}
        self.connection.execute(refunds.update().where(refunds.c.id == refund.id).values(**values))

    def get(self, refund_id: str) -> Refund:
        row = self.connection.execute(refunds.select().where(refunds.c.id == refund_id)).first()
        if row is None:
            raise RefundNotFound(id=refund_id)
        return _refund(row)

    def find_by_key(self, idempotency_key: str) -> Refund | None:
        row = self.connection.execute(refunds.select().where(refunds.c.idempotency_key == idempotency_key)).first()
        return _refund(row) if row else None

    def find_by_receipt(self, receipt_number: str) -> Refund | None:
        row = self.connection.execute(refunds.select().where(refunds.c.receipt_number == receipt_number)).first()
        return _refund(row) if row else None

    def for_payment(self, payment_id: str) -> list[Refund]:
        query = refunds.select().where(refunds.c.payment_id == payment_id).order_by(refunds.c.created_at, refunds.c.id)
        return [_refund(row) for row in self.connection.execute(query)]

    def for_invoices(self, invoice_ids: Iterable[str]) -> list[Refund]:
        """The refunds of these invoices, oldest first."""
        ids = sorted(set(invoice_ids))
        if not ids:
            return []
        query = refunds.select().where(among(self.connection, refunds.c.invoice_id, ids))
        query = query.order_by(refunds.c.created_at, refunds.c.id)
        return [_refund(row) for row in self.connection.execute(query)]

    def history(
        self, profile_ids: Iterable[str], before: tuple[datetime, str] | None, limit: int
    ) -> list[tuple[Refund, PaymentMethodFamily, str | None, str | None]]:
        """The refunds of these billing profiles, newest first (after `before` in that order), each with the
        family, brand and last 4 of what the refunded payment was made with."""
        ids = sorted(set(profile_ids))
        if not ids:
            return []
        c, p, m = refunds.c, payments.c, payment_methods.c
        query = (
            sa.select(refunds, p.family.label("family"), m.brand.label("card_brand"), m.last4.label("card_last4"))
            .join(payments, p.id == c.payment_id)
            .outerjoin(payment_methods, m.id == p.payment_method_id)
            .where(c.billing_profile_id.in_(ids))
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(
                sa.tuple_(c.created_at, c.id) < sa.tuple_(sa.literal(before[0], UTCDateTime), sa.literal(before[1]))
            )
        return [
            (_refund(row), PaymentMethodFamily(row.family), row.card_brand, row.card_last4)
            for row in self.connection.execute(query)
        ]

    def count_succeeded(self, invoice_id: str) -> int:
        query = sa.select(sa.func.count()).where(
            refunds.c.invoice_id == invoice_id, refunds.c.status == RefundStatus.SUCCEEDED.value
        )
        return int(self.connection.scalar(query) or 0)

    def pending_before(self, moment: datetime) -> list[Refund]:
        """Refunds still pending that started before `moment` (to be finished with their key)."""
        query = refunds.select().where(refunds.c.status == RefundStatus.PENDING.value, refunds.c.created_at < moment)
        return [_refund(row) for row in self.connection.execute(query.order_by(refunds.c.created_at))]
