"""Use cases behind the Pay now blade: what it offers before anyone pays (the invoice, the saved
cards to choose from, whether a new card may be added), and the payer's own payments afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from settle.access.model import Permission, PermissionMissing, Scope, can
from settle.access.service import refusal_for
from settle.accounts.model import BillingAccount, BillingProfile
from settle.clock import Clock, today
from settle.errors import SettleError
from settle.invoices.model import PAYABLE, Invoice, InvoiceNotFound, InvoiceStatus
from settle.invoices.service import get_invoice_for
from settle.payments.autopay import find_default_card
from settle.payments.autopay_model import automatic_charge_day
from settle.payments.model import (
    Payment,
    PaymentInProgress,
    PaymentMethod,
    PaymentMethodFamily,
    PaymentNotFound,
    PaymentStatus,
    PayNowNotOffered,
)
from settle.payments.service import PaymentMethodView, list_payment_methods
from settle.uow import UnitOfWork


@dataclass(frozen=True)
class AutomaticCharge:
    """Autopay will charge the invoice to this card on this day, unless someone pays it first."""

    day: date
    card: PaymentMethod


@dataclass(frozen=True)
class PaymentChoice:
    """The Pay now blade of one invoice for one user."""

    invoice: Invoice
    status: InvoiceStatus
    account: BillingAccount
    billing_profile: BillingProfile
    methods: list[PaymentMethodView]  # the profile's saved methods, the default first
    may_add_card: bool
    refusal: SettleError | None  # why this user cannot pay this invoice now; None when they can
    receipts: list[Payment]  # the invoice's succeeded payments, each with its receipt
    automatic: AutomaticCharge | None = None  # autopay's charge to come, if any
    add_card_refusal: PermissionMissing | None = None  # why they may not add a card here, whom to ask

    @property
    def usable_methods(self) -> list[PaymentMethodView]:
        return [
            view for view in self.methods if view.method.family is PaymentMethodFamily.CREDIT_CARD and not view.expired
        ]


def payment_choice(uow: UnitOfWork, clock: Clock, user_id: str, number: str) -> PaymentChoice:
    """What the blade of invoice `number` shows the user (InvoiceNotFound if they may not see it)."""
    invoice = get_invoice_for(uow, user_id, number)
    scope = Scope(invoice.billing_account_id, invoice.billing_profile_id)
    held = uow.roles.for_user(user_id)
    account = uow.accounts.get(invoice.billing_account_id)
    profile = uow.profiles.get(invoice.billing_profile_id)
    day = today(clock)
    in_flight = bool(uow.payments.in_flight_invoices([invoice.id]))
    status = invoice.display_status(day, in_flight)
    refusal = refusal_for(uow, user_id, Permission.PAY_INVOICES, scope) or _refusal(invoice, account, status)
    methods = list_payment_methods(uow, clock, actor_id=user_id, profile_id=profile.id)
    may_add = can(held, Permission.MANAGE_PAYMENT_METHODS, scope)
    receipts = [
        payment
        for payment in uow.payments.list_for_invoice(invoice.id)
        if payment.status is PaymentStatus.SUCCEEDED and payment.receipt_number
    ]
    automatic = None
    charge_day = automatic_charge_day(invoice.due_date, profile.autopay_since, day)
    if status in PAYABLE and account.pays_in_portal and charge_day is not None:
        card = find_default_card(uow, profile)
        if card is not None and not card.is_expired(charge_day):
            automatic = AutomaticCharge(charge_day, card)
    add_card_refusal = None if may_add else refusal_for(uow, user_id, Permission.MANAGE_PAYMENT_METHODS, scope)
    return PaymentChoice(
        invoice, status, account, profile, methods, may_add, refusal, receipts, automatic, add_card_refusal
    )


@dataclass(frozen=True)
class FailedAttempt:
    """A payment of the user's that failed, and the card it was tried with (kept or discarded)."""

    payment: Payment
    method: PaymentMethod | None

    @property
    def card_was_discarded(self) -> bool:
        return self.method is not None and self.method.removed_at is not None


def find_failed_attempt(uow: UnitOfWork, user_id: str, payment_id: str, number: str) -> FailedAttempt | None:
    """The user's own failed payment of invoice `number`, for the blade to say which card failed and
    why after the redirect that follows a decline; None for anything else (a reload shows no stale reason)."""
    payment = uow.payments.find(payment_id)
    if payment is None or payment.payer_id != user_id or payment.invoice_id != number:
        return None
    if payment.status is not PaymentStatus.FAILED:
        return None
    method_id = payment.payment_method_id
    return FailedAttempt(payment, uow.payment_methods.find(method_id, removed_too=True) if method_id else None)


def find_own_payment_by_key(uow: UnitOfWork, user_id: str, idempotency_key: str) -> Payment | None:
    """The payment the user already made with this key: a form sent again is answered with it."""
    return uow.payments.find_by_key(user_id, idempotency_key) if idempotency_key else None


def _refusal(invoice: Invoice, account: BillingAccount, status: InvoiceStatus) -> SettleError | None:
    if not account.pays_in_portal:
        return PayNowNotOffered(agreement=account.agreement_type.value)
    if status is InvoiceStatus.PROCESSING:
        return PaymentInProgress(number=invoice.id)
    if status not in PAYABLE:
        try:
            invoice.check_payable()
        except SettleError as error:
            return error
    return None


def get_own_payment(uow: UnitOfWork, user_id: str, payment_id: str) -> Payment:
    """A payment the user made themselves; anyone else's is PaymentNotFound, as if it did not exist."""
    payment = uow.payments.get(payment_id)
    if payment.payer_id != user_id:
        raise PaymentNotFound(id=payment_id)
    return payment


def get_visible_payment(uow: UnitOfWork, user_id: str, payment_id: str) -> Payment:
    """A payment of an invoice the user may see (for its receipt); otherwise PaymentNotFound."""
    payment = uow.payments.get(payment_id)
    try:
        get_invoice_for(uow, user_id, payment.invoice_id)
    except InvoiceNotFound:
        raise PaymentNotFound(id=payment_id) from None
    return payment
