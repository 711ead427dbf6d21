"""Tables and queries for payment methods, their links to billing profiles, and payments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.db import UTCDateTime, among, metadata
from settle.money import Money
from settle.payments.model import (
    IN_FLIGHT,
    CardFunding,
    DeclineCode,
    Payment,
    PaymentMethod,
    PaymentMethodFamily,
    PaymentMethodNotFound,
    PaymentNotFound,
    PaymentStatus,
)

payment_methods = sa.Table(
    "payment_methods",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("family", sa.String(20), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("brand", sa.String(20)),
    sa.Column("last4", sa.String(4)),
    sa.Column("expiry_month", sa.Integer),
    sa.Column("expiry_year", sa.Integer),
    sa.Column("holder", sa.String(200)),
    sa.Column("funding", sa.String(10), nullable=False),
    sa.Column("processor_token", sa.String(100)),
    sa.Column("removed_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("on_trial", sa.Boolean, nullable=False, server_default=sa.false()),
)

payment_method_links = sa.Table(
    "payment_method_links",
    metadata,
    sa.Column("payment_method_id", sa.ForeignKey("payment_methods.id"), primary_key=True),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id"), primary_key=True, index=True),
)

_IN_FLIGHT_SQL = "status IN ('pending', 'requires_action')"
payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("invoice_id", sa.ForeignKey("invoices.id"), nullable=False, index=True),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id"), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("family", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("payer_id", sa.ForeignKey("users.id")),
    sa.Column("idempotency_key", sa.String(200)),
    sa.Column("payment_method_id", sa.ForeignKey("payment_methods.id")),
    sa.Column("processor_reference", sa.String(100)),
    sa.Column("decline_code", sa.String(40)),
    sa.Column("challenge_url", sa.String(500)),
    sa.Column("receipt_number", sa.String(40), unique=True),
    sa.Column("reference", sa.String(200)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    # DESIGN §4: whatever the code does, an invoice never has two payments in flight.
    sa.Index(
        "uq_payments_one_in_flight",
        "invoice_id",
        unique=True,
        sqlite_where=sa.text(_IN_FLIGHT_SQL),
        postgresql_where=sa.text(_IN_FLIGHT_SQL),
    ),
    # The same key from the same payer is the same request.
    sa.Index("uq_payments_payer_key", "payer_id", "idempotency_key", unique=True),
    sa.Index("ix_payments_profile_created", "billing_profile_id", "created_at"),
)


_RECORD_OUTCOME = (
    payments.update()
    .where(payments.c.id == sa.bindparam("payment_id"))
    .values(
        status=sa.bindparam("status"),
        processor_reference=sa.bindparam("processor_reference"),
        decline_code=sa.bindparam("decline_code"),
        challenge_url=sa.bindparam("challenge_url"),
        receipt_number=sa.bindparam("receipt_number"),
        completed_at=sa.bindparam("completed_at"),
    )
)


# Built once: the lookups each payment makes (building a statement per call costs as much as its round trip).
_PAYMENT = payments.select().where(payments.c.id == sa.bindparam("id"))
_BY_KEY = payments.select().where(
    payments.c.payer_id == sa.bindparam("payer_id"), payments.c.idempotency_key == sa.bindparam("key")
)
_SUCCEEDED = sa.select(sa.func.count()).where(
    payments.c.invoice_id == sa.bindparam("invoice_id"), payments.c.status == PaymentStatus.SUCCEEDED.value
)
_LINKED = (
    payment_methods.select()
    .join(payment_method_links, payment_method_links.c.payment_method_id == payment_methods.c.id)
    .where(
        payment_methods.c.id == sa.bindparam("method_id"),
        payment_method_links.c.billing_profile_id == sa.bindparam("profile_id"),
        payment_methods.c.removed_at.is_(None),
    )
)


def _method(row: Any) -> PaymentMethod:
    return PaymentMethod(
        id=row.id,
        owner_id=row.owner_id,
        family=PaymentMethodFamily(row.family),
        display_name=row.display_name,
        created_at=row.created_at,
        brand=row.brand,
        last4=row.last4,
        expiry_month=row.expiry_month,
        expiry_year=row.expiry_year,
        holder=row.holder,
        funding=CardFunding(row.funding),
        processor_token=row.processor_token,
        removed_at=row.removed_at,
        on_trial=row.on_trial,
    )


def _payment(row: Any) -> Payment:
    return Payment(
        id=row.id,
        invoice_id=row.invoice_id,
        billing_profile_id=row.billing_profile_id,
        amount=Money(row.amount_minor, row.currency),
        family=PaymentMethodFamily(row.family),
        status=PaymentStatus(row.status),
        created_at=row.created_at,
        payer_id=row.payer_id,
        idempotency_key=row.idempotency_key,
        payment_method_id=row.payment_method_id,
        processor_reference=row.processor_reference,
        decline_code=DeclineCode(row.decline_code) if row.decline_code else None,
        challenge_url=row.challenge_url,
        receipt_number=row.receipt_number,
        reference=row.reference,
        completed_at=row.completed_at,
    )


def _payment_values(payment: Payment) -> dict[str, Any]:
    values = asdict(payment)
    amount = values.pop("amount")
    return {**values, "amount_minor": amount["minor"], "currency": amount["currency"]}


class PaymentMethodStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, method: PaymentMethod, linked_to: Iterable[str] = ()) -> None:
        self.connection.execute(payment_methods.insert().values(**asdict(method)))
        for profile_id in linked_to:
            self.link(method.id, profile_id)

    def update(self, method: PaymentMethod) -> None:
        query = payment_methods.update().where(payment_methods.c.id == method.id)
        self.connection.execute(query.values(**asdict(method)))

    def link(self, method_id: str, profile_id: str) -> None:
        self.connection.execute(
            payment_method_links.insert().values(payment_method_id=method_id, billing_profile_id=profile_id)
        )

    def unlink(self, method_id: str, profile_id: str) -> None:
        links = payment_method_links.c
        self.connection.execute(
            payment_method_links.delete().where(
                links.payment_method_id == method_id, links.billing_profile_id == profile_id
            )
        )

    def lock(self, method_id: str, *, shared: bool = False) -> None:
        """PostgreSQL: lock the method's row until the transaction ends (shared: paying with it; not:
        removing it), so a payment and a removal of the same card happen one after the other. SQLite
        has one writer at a time anyway."""
        query = sa.select(payment_methods.c.id).where(payment_methods.c.id == method_id)
        self.connection.execute(query.with_for_update(read=shared))

    def find_linked(self, method_id: str, profile_id: str, *, lock: bool = False) -> PaymentMethod | None:
        """The method, if it is linked to the profile (and not removed): one query for both. `lock`: a
        shared lock taken first, so that a removal in progress is waited for and then seen."""
        if lock:
            self.lock(method_id, shared=True)
        row = self.connection.execute(_LINKED, {"method_id": method_id, "profile_id": profile_id}).first()
        return _method(row) if row else None

    def find(self, method_id: str, *, removed_too: bool = False) -> PaymentMethod | None:
        """removed_too: also a removed method (to name the card a failed payment was tried with)."""
        query = payment_methods.select().where(payment_methods.c.id == method_id)
        if not removed_too:
            query = query.where(payment_methods.c.removed_at.is_(None))
        row = self.connection.execute(query).first()
        return _method(row) if row else None

    def get(self, method_id: str) -> PaymentMethod:
        method = self.find(method_id)
        if method is None:
            raise PaymentMethodNotFound(id=method_id)
        return method

    def list_for_profile(self, profile_id: str) -> list[PaymentMethod]:
        query = (
            payment_methods.select()
            .join(payment_method_links, payment_method_links.c.payment_method_id == payment_methods.c.id)
            .where(
                payment_method_links.c.billing_profile_id == profile_id,
                payment_methods.c.removed_at.is_(None),
                payment_methods.c.on_trial.is_(False),
            )
            .order_by(payment_methods.c.created_at, payment_methods.c.id)
        )
        return [_method(row) for row in self.connection.execute(query)]

    def linked_profiles(self, method_id: str) -> list[str]:
        links = payment_method_links.c
        query = sa.select(links.billing_profile_id).where(links.payment_method_id == method_id)
        return sorted(self.connection.scalars(query))


class PaymentStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, payment: Payment) -> None:
        self.connection.execute(payments.insert(), _payment_values(payment))

    def update(self, payment: Payment) -> None:
        """Store what changes once a payment has an outcome (the request itself never changes)."""
        self.connection.execute(
            _RECORD_OUTCOME,
            {
                "payment_id": payment.id,
                "status": payment.status.value,
                "processor_reference": payment.processor_reference,
                "decline_code": payment.decline_code.value if payment.decline_code else None,
                "challenge_url": payment.challenge_url,
                "receipt_number": payment.receipt_number,
                "completed_at": payment.completed_at,
            },
        )

    def get(self, payment_id: str) -> Payment:
        row = self.connection.execute(_PAYMENT, {"id": payment_id}).first()
        if row is None:
            raise PaymentNotFound(id=payment_id)
        return _payment(row)

    def find(self, payment_id: str) -> Payment | None:
        row = self.connection.execute(_PAYMENT, {"id": payment_id}).first()
        return _payment(row) if row else None

    def find_by_key(self, payer_id: str, idempotency_key: str) -> Payment | None:
        row = self.connection.execute(_BY_KEY, {"payer_id": payer_id, "key": idempotency_key}).first()
        return _payment(row) if row else None

    def list_for_invoice(self, invoice_id: str) -> list[Payment]:
        query = (
            payments.select().where(payments.c.invoice_id == invoice_id).order_by(payments.c.created_at, payments.c.id)
        )
        return [_payment(row) for row in self.connection.execute(query)]

    def with_card_brands(self, invoice_ids: Iterable[str]) -> list[tuple[Payment, str | None]]:
        """The payments of these invoices, oldest first, each with its card's brand (None: not a card)."""
        ids = sorted(set(invoice_ids))
        if not ids:
            return []
        query = (
            sa.select(payments, payment_methods.c.brand.label("card_brand"))
            .outerjoin(payment_methods, payment_methods.c.id == payments.c.payment_method_id)
            .where(among(self.connection, payments.c.invoice_id, ids))
            .order_by(payments.c.created_at, payments.c.id)
        )
        return [(_payment(row), row.card_brand) for row in self.connection.execute(query)]

    def history(
        self, profile_ids: Iterable[str], before: tuple[datetime, str] | None, limit: int
    ) -> list[tuple[Payment, str | None, str | None]]:
        """The payments of these billing profiles, newest first (after `before` in that order), each with the
        brand and last 4 of its card (None: not a card)."""
        ids = sorted(set(profile_ids))
        if not ids:
            return []
        c, m = payments.c, payment_methods.c
        query = (
            sa.select(payments, m.brand.label("card_brand"), m.last4.label("card_last4"))
            .outerjoin(payment_methods, m.id == c.payment_method_id)
            .where(c.billing_profile_id.in_(ids))
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(
                sa.tuple_(c.created_at, c.id) < sa.tuple_(sa.literal(before[0], UTCDateTime), sa.literal(before[1]))
            )
        return [(_payment(row), row.card_brand, row.card_last4) for row in self.connection.execute(query)]

    def count_succeeded(self, invoice_id: str) -> int:
        return int(self.connection.scalar(_SUCCEEDED, {"invoice_id": invoice_id}) or 0)

    def in_flight_before(self, moment: datetime) -> list[Payment]:
        """Payments still in flight that started before `moment` (for reconciliation)."""
        query = payments.select().where(
            payments.c.status.in_([status.value for status in IN_FLIGHT]), payments.c.created_at < moment
        )
        return [_payment(row) for row in self.connection.execute(query.order_by(payments.c.created_at))]

    def in_flight_with_method(self, method_id: str) -> bool:
        """Whether a payment with this payment method is in flight."""
        query = sa.select(payments.c.id).where(
            payments.c.payment_method_id == method_id, payments.c.status.in_([status.value for status in IN_FLIGHT])
        )
        return self.connection.scalar(query.limit(1)) is not None

    def in_flight_invoices(self, invoice_ids: Iterable[str]) -> set[str]:
        """Which of these invoices have a payment in flight (they show Processing)."""
        ids = list(invoice_ids)
        if not ids:
            return set()
        query = sa.select(payments.c.invoice_id).where(
            among(self.connection, payments.c.invoice_id, ids),
            payments.c.status.in_([status.value for status in IN_FLIGHT]),
        )
        return set(self.connection.scalars(query))
