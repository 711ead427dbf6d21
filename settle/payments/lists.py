"""Use cases that list what was paid and what can pay across several invoices or billing profiles: the
payments an invoice shows, and the payment methods of a whole billing account."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from settle.access.model import Permission, Scope
from settle.access.service import visible_profile_ids
from settle.accounts.scopes import assignments_seeing
from settle.clock import Clock
from settle.payments.model import Payment
from settle.payments.service import PaymentMethodView, list_payment_methods
from settle.uow import UnitOfWork


@dataclass(frozen=True)
class InvoicePayment:
    """A payment as an invoice shows it: with the brand of the card it was made with (None: not a card)."""

    payment: Payment
    card_brand: str | None


def payments_of_invoices(uow: UnitOfWork, invoice_ids: Iterable[str]) -> dict[str, list[InvoicePayment]]:
    """The payments made on each of these invoices, oldest first (the caller shows only invoices the
    user may see)."""
    found: dict[str, list[InvoicePayment]] = defaultdict(list)
    for payment, brand in uow.payments.with_card_brands(invoice_ids):
        found[payment.invoice_id].append(InvoicePayment(payment, brand))
    return found


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
