"""Use cases of payments: recording money received by bank transfer, and saving cards."""

from __future__ import annotations

from collections.abc import Iterable

from settle import ids
from settle.access.service import record
from settle.clock import Clock
from settle.invoices.model import Invoice
from settle.money import Money
from settle.payments.model import (
    CardFunding,
    Payment,
    PaymentInProgress,
    PaymentMethod,
    PaymentMethodFamily,
    PaymentStatus,
    receipt_number,
)
from settle.uow import UnitOfWork


def record_bank_transfer(
    uow: UnitOfWork,
    clock: Clock,
    *,
    invoice_number: str,
    amount: Money,
    reference: str = "",
    actor_id: str | None = None,
) -> tuple[Payment, Invoice]:
    """Record money received by bank transfer against an invoice (all of the amount due, or part)."""
    invoice = uow.invoices.get(invoice_number, for_update=True)
    if uow.payments.in_flight_invoices([invoice.id]):  # the card payment's outcome comes first
        raise PaymentInProgress(number=invoice.id)
    paid = invoice.with_payment(amount)
    now = clock.now()
    payment = Payment(
        id=ids.opaque_id(),
        invoice_id=invoice.id,
        billing_profile_id=invoice.billing_profile_id,
        amount=amount,
        family=PaymentMethodFamily.BANK_TRANSFER,
        status=PaymentStatus.SUCCEEDED,
        created_at=now,
        payer_id=None,
        reference=reference or None,
        completed_at=now,
        receipt_number=receipt_number(invoice.id, uow.payments.count_succeeded(invoice.id) + 1),
    )
    uow.payments.add(payment)
    uow.invoices.update(paid)
    record(
        uow,
        clock,
        actor_id,
        "payment.recorded",
        f"invoices/{invoice.id}",
        details={"amount": str(amount), "family": payment.family.value, "reference": reference},
    )
    return payment, paid


def save_card(
    uow: UnitOfWork,
    clock: Clock,
    *,
    owner_id: str,
    processor_token: str,
    brand: str,
    last4: str,
    expiry_month: int,
    expiry_year: int,
    holder: str,
    linked_to: Iterable[str] = (),
    funding: CardFunding = CardFunding.CREDIT,
) -> PaymentMethod:
    """Keep a tokenised card (never its number) and link it to billing profiles."""
    method = PaymentMethod(
        id=ids.opaque_id(),
        owner_id=owner_id,
        family=PaymentMethodFamily.CREDIT_CARD,
        display_name=f"{brand.title()} •••• {last4}",
        created_at=clock.now(),
        brand=brand,
        last4=last4,
        expiry_month=expiry_month,
        expiry_year=expiry_year,
        holder=holder,
        funding=funding,
        processor_token=processor_token,
    )
    profiles = [uow.profiles.get(profile_id) for profile_id in linked_to]
    uow.payment_methods.add(method, linked_to=[profile.id for profile in profiles])
    record(uow, clock, owner_id, "payment_method.added", f"paymentMethods/{method.id}")
    return method


def set_default_payment_method(
    uow: UnitOfWork, clock: Clock, *, profile_id: str, method_id: str, actor_id: str | None = None
) -> None:
    from dataclasses import replace

    profile = uow.profiles.get(profile_id)
    method = uow.payment_methods.get(method_id)
    if profile.id not in uow.payment_methods.linked_profiles(method.id):
        uow.payment_methods.link(method.id, profile.id)
    uow.profiles.update(replace(profile, default_payment_method_id=method.id))
    record(
        uow,
        clock,
        actor_id,
        "payment_method.made_default",
        f"billingProfiles/{profile.id}",
        details={"method": method.id},
    )
