"""The autopay attempts table and the autopay run's queries: the invoices it may charge, and each
invoice's attempts so far with how their payments stand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from settle.accounts.model import AgreementType
from settle.accounts.store import billing_accounts, billing_profiles
from settle.db import UTCDateTime, metadata
from settle.invoices.store import invoices
from settle.payments.autopay_model import Attempt, AttemptResult
from settle.payments.model import DeclineCode, PaymentStatus
from settle.payments.store import payments

autopay_attempts = sa.Table(
    "autopay_attempts",
    metadata,
    # One row per attempt number: whatever runs at once, an invoice's n-th charge is made once.
    sa.Column("invoice_id", sa.ForeignKey("invoices.id"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("payment_id", sa.ForeignKey("payments.id"), nullable=False, unique=True),
    sa.Column("attempted_on", sa.Date, nullable=False),
    sa.Column("retry_on", sa.Date),
    sa.Column("created_at", UTCDateTime, nullable=False),
)


def _result(row: Any) -> AttemptResult:
    attempt = Attempt(row.invoice_id, row.number, row.payment_id, row.attempted_on, row.retry_on)
    code = DeclineCode(row.decline_code) if row.decline_code else None
    return AttemptResult(attempt, PaymentStatus(row.status), code)


_WITH_PAYMENT = sa.select(autopay_attempts, payments.c.status, payments.c.decline_code).join(
    payments, payments.c.id == autopay_attempts.c.payment_id
)


class AutopayStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, attempt: Attempt, created_at: datetime) -> None:
        values = {**asdict(attempt), "created_at": created_at}
        self.connection.execute(autopay_attempts.insert().values(**values))

    def history(self, invoice_ids: Iterable[str]) -> dict[str, list[AttemptResult]]:
        """Each invoice's attempts, oldest first."""
        ids = sorted(set(invoice_ids))
        found: dict[str, list[AttemptResult]] = defaultdict(list)
        if not ids:
            return found
        a = autopay_attempts.c
        query = _WITH_PAYMENT.where(a.invoice_id.in_(ids)).order_by(a.invoice_id, a.number)
        for row in self.connection.execute(query):
            found[row.invoice_id].append(_result(row))
        return found

    def find_by_payment(self, payment_id: str) -> AttemptResult | None:
        row = self.connection.execute(_WITH_PAYMENT.where(autopay_attempts.c.payment_id == payment_id)).first()
        return _result(row) if row else None

    def due_invoices(self, day: date, after: tuple[date, str] | None, limit: int) -> list[tuple[date, str]]:
        """(due date, number) of the open invoices due by `day` on billing profiles that pay
        automatically with a default method, that fell due after autopay was turned on, in Microsoft
        Customer Agreement accounts (the only ones paid by card); in due-date order after `after`."""
        i, p, a = invoices.c, billing_profiles.c, billing_accounts.c
        query = (
            sa.select(i.due_date, i.id)
            .join(billing_profiles, p.id == i.billing_profile_id)
            .join(billing_accounts, a.id == i.billing_account_id)
            .where(
                i.voided_at.is_(None),
                i.amount_due_minor > 0,
                i.due_date <= day,
                p.autopay_since.is_not(None),
                i.due_date >= p.autopay_since,
                p.default_payment_method_id.is_not(None),
                a.agreement_type == AgreementType.MICROSOFT_CUSTOMER_AGREEMENT.value,
            )
            .order_by(i.due_date, i.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(
                sa.tuple_(i.due_date, i.id) > sa.tuple_(sa.literal(after[0], sa.Date), sa.literal(after[1]))
            )
        return [(row.due_date, row.id) for row in self.connection.execute(query)]
