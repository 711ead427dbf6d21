"""Use cases behind the Pay now blade: what it offers before anyone pays (the invoice, the saved
cards to choose from, whether a new card may be added), and the payer's own payments afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from settle.access.model import Permission, PermissionMissing, Scope, can
from settle.access.service import refusal_for
from settle.accounts.model import BillingAccount, BillingProfile
from settle.clock import Clock, today
from settle.errors import SettleError
from settle.invoices.model import PAYABLE, Invoice, InvoiceNotFound, InvoiceStatus
from settle.invoices.service import get_invoice_for
from settle.payments.model import Payment, PaymentInProgress, PaymentMethodFamily, PaymentNotFound, PayNowNotOffered
from settle.payments.service import PaymentMethodView, list_payment_methods
from settle.uow import UnitOfWork


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
    add_card_refusal = None if may_add else refusal_for(uow, user_id, Permission.MANAGE_PAYMENT_METHODS, scope)
    return PaymentChoice(invoice, status, account, profile, methods, may_add, refusal, add_card_refusal)


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
