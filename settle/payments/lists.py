"""Use cases that list what was paid and what can pay across several invoices or billing profiles: the
payments an invoice shows (with their refunds), the payment history of a billing account or profile,
and the payment methods of a whole billing account."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from settle.access.model import Permission, Scope
from settle.access.service import visible_profile_ids
from settle.accounts.scopes import assignments_seeing
from settle.clock import Clock
from settle.money import Money
from settle.payments.model import DeclineCode, Payment, PaymentMethodFamily
from settle.payments.refund_model import Refund, RefundStatus
from settle.payments.service import PaymentMethodView, list_payment_methods, profile_where
from settle.uow import UnitOfWork


@dataclass(frozen=True)
class InvoicePayment:
    """A payment as an invoice shows it: with the brand of the card it was made with (None: not a card)."""

    payment: Payment
    card_brand: str | None
    refunds: tuple[Refund, ...] = ()  # what was given back of it, succeeded refunds only, oldest first


def payments_of_invoices(uow: UnitOfWork, invoice_ids: Iterable[str]) -> dict[str, list[InvoicePayment]]:
    """The payments made on each of these invoices, oldest first, each with its refunds (the caller
    shows only invoices the user may see)."""
    wanted = sorted(set(invoice_ids))
    given: dict[str, list[Refund]] = defaultdict(list)
    for refund in uow.refunds.for_invoices(wanted):
        if refund.status is RefundStatus.SUCCEEDED:
            given[refund.payment_id].append(refund)
    found: dict[str, list[InvoicePayment]] = defaultdict(list)
    for payment, brand in uow.payments.with_card_brands(wanted):
        found[payment.invoice_id].append(InvoicePayment(payment, brand, tuple(given[payment.id])))
    return found


class HistoryKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the Payment history page: a payment (of any outcome) or a refund of one."""

    kind: HistoryKind
    id: str  # the payment's or the refund's
    payment_id: str  # the payment itself, or the one the refund gives back
    invoice_id: str
    billing_profile_id: str
    created_at: datetime  # the order of the page, newest first
    completed_at: datetime | None
    amount: Money  # what was paid; a refund's is negative
    status: str  # a PaymentStatus or a RefundStatus value
    family: PaymentMethodFamily
    card_brand: str | None = None
    card_last4: str | None = None
    receipt_number: str | None = None  # the payment's receipt, or the refund's
    decline_code: DeclineCode | None = None
    automatic: bool = False  # charged by autopay rather than with Pay now

    @property
    def refund(self) -> bool:
        return self.kind is HistoryKind.REFUND


def list_payment_history(
    uow: UnitOfWork, *, actor_id: str, scope: Scope, before: tuple[datetime, str] | None = None, limit: int = 100
) -> list[HistoryEntry]:
    """The payments and refunds of a billing account (those of its profiles whose invoices the user
    may see) or of one billing profile, newest first, `limit` at a time: the next page
    starts `before` the (created_at, id) of the last entry shown (NotFound if the user cannot see the scope)."""
    if scope.billing_profile_id is not None:
        profile_where(uow, actor_id, scope.billing_profile_id, Permission.VIEW_INVOICES, Permission.VIEW_INVOICES)
        profile_ids = {scope.billing_profile_id}
    else:
        assignments_seeing(uow, actor_id, Scope(scope.billing_account_id))
        profile_ids = visible_profile_ids(uow, actor_id, Permission.VIEW_INVOICES, scope.billing_account_id)
    entries = [
        _payment_entry(payment, brand, last4)
        for payment, brand, last4 in uow.payments.history(profile_ids, before, limit)
    ]
    entries += [
        _refund_entry(refund, family, brand, last4)
        for refund, family, brand, last4 in uow.refunds.history(profile_ids, before, limit)
    ]
    return sorted(entries, key=lambda entry: (entry.created_at, entry.id), reverse=True)[:limit]


def _payment_entry(payment: Payment, brand: str | None, last4: str | None) -> HistoryEntry:
    return HistoryEntry(
        kind=HistoryKind.PAYMENT,
        id=payment.id,
        payment_id=payment.id,
        invoice_id=payment.invoice_id,
        billing_profile_id=payment.billing_profile_id,
        created_at=payment.created_at,
        completed_at=payment.completed_at,
        amount=payment.amount,
        status=payment.status.value,
        family=payment.family,
        card_brand=brand,
        card_last4=last4,
        receipt_number=payment.receipt_number,
        decline_code=payment.decline_code,
        automatic=payment.automatic,
    )


def _refund_entry(refund: Refund, family: PaymentMethodFamily, brand: str | None, last4: str | None) -> HistoryEntry:
    return HistoryEntry(
        kind=HistoryKind.REFUND,
        id=refund.id,
        payment_id=refund.payment_id,
        invoice_id=refund.invoice_id,
        billing_profile_id=refund.billing_profile_id,
        created_at=refund.created_at,
        completed_at=refund.completed_at,
        amount=-refund.amount,
        status=refund.status.value,
        family=family,
        card_brand=brand,
        card_last4=last4,
        receipt_number=refund.receipt_number,
    )


def list_account_payment_methods(
    uow: UnitOfWork, clock: Clock, *, actor_id: str, account_id: str
) -> list[PaymentMethodView]:
    """The payment methods linked to the billing profiles of an account whose invoices the user may
    see, each once (a default of any of them counts as a default), default ones first."""
    assignments_seeing(uow, actor_id, Scope(account_id))
    merged: dict[str, PaymentMethodView] = {}
    for profile_id in sorted(visible_profile_ids(uow, actor_id, Permission.VIEW_INVOICES, account_id)):
        for view in list_payment_methods(uow, clock, actor_id=actor_id, profile_id=profile_id):
            if view.is_default or view.method.id not in merged:
                merged[view.method.id] = view
    return sorted(merged.values(), key=lambda view: (not view.is_default, view.method.created_at, view.method.id))
