"""Use cases of payment methods (add, list, make default, replace, remove) and of bank transfers."""

from __future__ import annotations

from dataclasses import dataclass, replace

from settle import ids
from settle.access.model import Permission, Scope, require
from settle.access.service import record
from settle.accounts.model import BillingProfile, BillingProfileNotFound
from settle.clock import Clock, today
from settle.errors import N_, Forbidden, Invalid
from settle.invoices.model import Invoice
from settle.money import Money
from settle.notify.service import enqueue_payment_outcome
from settle.payments.model import (
    CardFunding,
    Payment,
    PaymentInProgress,
    PaymentMethod,
    PaymentMethodFamily,
    PaymentMethodInUse,
    PaymentMethodNotFound,
    PaymentStatus,
    default_kept,
    receipt_number,
)
from settle.processor.errors import TokenAlreadyAttached, TokenExpired, UnknownToken
from settle.processor.interface import CardToken, Processor
from settle.uow import UnitOfWork


class UnknownCardToken(Invalid):
    code = "UnknownCardToken"
    message = N_("The card could not be saved: the processor does not know this card token. Enter the card again.")


class CardTokenSpent(Invalid):
    code = "CardTokenSpent"
    message = N_("The card could not be saved: its card token was already used or has expired. Enter the card again.")


@dataclass(frozen=True)
class PaymentMethodView:
    """A payment method as a billing profile's list shows it."""

    method: PaymentMethod
    is_default: bool
    expired: bool


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
    enqueue_payment_outcome(uow, clock, payment)
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
    token: CardToken,
    linked_to: list[str],
    client_address: str | None = None,
    on_trial: bool = False,
) -> PaymentMethod:
    """Keep a tokenised card (never its number) and link it to billing profiles. No permission
    check: callers are add_card, the operator's tools and the demo data."""
    method = PaymentMethod(
        id=ids.opaque_id(),
        owner_id=owner_id,
        family=PaymentMethodFamily.CREDIT_CARD,
        display_name=f"{token.brand.title()} •••• {token.last4}",
        created_at=clock.now(),
        brand=token.brand,
        last4=token.last4,
        expiry_month=token.expiry_month,
        expiry_year=token.expiry_year,
        holder=token.holder,
        funding=_funding(token.funding),
        processor_token=token.token,
        on_trial=on_trial,
    )
    profiles = [uow.profiles.get(profile_id) for profile_id in linked_to]
    uow.payment_methods.add(method, linked_to=[profile.id for profile in profiles])
    record(
        uow,
        clock,
        owner_id,
        "payment_method.tried" if on_trial else "payment_method.added",
        f"paymentMethods/{method.id}",
        client_address=client_address,
        details={"profiles": ",".join(linked_to), "card": method.display_name},
    )
    return method


def add_card(
    uow: UnitOfWork,
    clock: Clock,
    processor: Processor,
    *,
    actor_id: str,
    profile_id: str,
    token_id: str,
    make_default: bool = False,
    client_address: str | None = None,
    on_trial: bool = False,
) -> PaymentMethod:
    """Link a card the browser tokenised at the processor to a billing profile. `on_trial`: a card
    typed in the Pay now blade, kept only if the payment it is tried with succeeds (keep_or_discard)."""
    profile = _profile_to_manage(uow, actor_id, profile_id)
    try:  # a token is claimed once: one another browser made, or one already saved, is refused
        token = processor.attach_token(token_id, owner=actor_id)
    except UnknownToken as error:
        raise UnknownCardToken() from error
    except (TokenAlreadyAttached, TokenExpired) as error:
        raise CardTokenSpent() from error
    method = save_card(
        uow,
        clock,
        owner_id=actor_id,
        token=token,
        linked_to=[profile.id],
        client_address=client_address,
        on_trial=on_trial,
    )
    method.check_can_pay(today(clock))
    if on_trial:
        return method
    if make_default or profile.default_payment_method_id is None:  # a profile's first card is its default
        make_default_payment_method(
            uow, clock, actor_id=actor_id, profile_id=profile.id, method_id=method.id, client_address=client_address
        )
    return method


def keep_or_discard_tried_card(uow: UnitOfWork, clock: Clock, payment: Payment) -> None:
    """After a payment's outcome (transaction B): a card on trial is kept when the payment succeeded
    (and becomes the default of a profile that has none), and discarded when it failed, so a declined,
    expired or unconfirmed card never joins the saved ones. Other cards, and open outcomes, stay as they are."""
    if payment.payment_method_id is None or payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        return
    method = uow.payment_methods.find(payment.payment_method_id)
    if method is None or not method.on_trial:
        return
    if payment.status is PaymentStatus.SUCCEEDED:
        uow.payment_methods.update(replace(method, on_trial=False))
        profile = uow.profiles.get(payment.billing_profile_id)
        if profile.default_payment_method_id is None:
            uow.profiles.update(replace(profile, default_payment_method_id=method.id))
        action = "payment_method.added"
    else:
        for profile_id in uow.payment_methods.linked_profiles(method.id):
            uow.payment_methods.unlink(method.id, profile_id)
        uow.payment_methods.update(replace(method, on_trial=False, removed_at=clock.now()))
        action = "payment_method.discarded"
    record(uow, clock, method.owner_id, action, f"paymentMethods/{method.id}", details={"payment": payment.id})


def list_payment_methods(uow: UnitOfWork, clock: Clock, *, actor_id: str, profile_id: str) -> list[PaymentMethodView]:
    """A billing profile's saved payment methods, the default first; expired cards are marked."""
    profile = profile_where(uow, actor_id, profile_id, Permission.VIEW_INVOICES, visible_with=Permission.VIEW_INVOICES)
    day = today(clock)
    views = [
        PaymentMethodView(method, method.id == profile.default_payment_method_id, method.is_expired(day))
        for method in uow.payment_methods.list_for_profile(profile.id)
    ]
    return sorted(views, key=lambda view: not view.is_default)


def make_default_payment_method(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor_id: str,
    profile_id: str,
    method_id: str,
    client_address: str | None = None,
) -> BillingProfile:
    profile = _profile_to_manage(uow, actor_id, profile_id)
    method = _linked_method(uow, profile, method_id)
    method.check_can_pay(today(clock))
    updated = replace(profile, default_payment_method_id=method.id)
    uow.profiles.update(updated)
    record(
        uow,
        clock,
        actor_id,
        "payment_method.made_default",
        profile_resource(profile),
        client_address=client_address,
        details={"method": method.id},
    )
    return updated


def replace_payment_method(
    uow: UnitOfWork,
    clock: Clock,
    processor: Processor,
    *,
    actor_id: str,
    profile_id: str,
    old_method_id: str,
    token_id: str,
    client_address: str | None = None,
) -> PaymentMethod:
    """A new card in place of an old one: it takes over as default if the old one was."""
    profile = _profile_to_manage(uow, actor_id, profile_id)
    old = _linked_method(uow, profile, old_method_id)
    new = add_card(
        uow,
        clock,
        processor,
        actor_id=actor_id,
        profile_id=profile.id,
        token_id=token_id,
        make_default=profile.default_payment_method_id == old.id,
        client_address=client_address,
    )
    remove_payment_method(
        uow, clock, actor_id=actor_id, profile_id=profile.id, method_id=old.id, client_address=client_address
    )
    return new


def remove_payment_method(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor_id: str,
    profile_id: str,
    method_id: str,
    client_address: str | None = None,
) -> None:
    """Take a payment method off a billing profile. The default of a profile with unpaid invoices
    must be replaced first; a method linked to no profile any more is removed for good; one that is
    paying an invoice right now stays until that payment has its outcome."""
    profile = _profile_to_manage(uow, actor_id, profile_id)
    method = _linked_method(uow, profile, method_id)
    _refuse_while_paying(uow, method.id)
    if profile.default_payment_method_id == method.id:
        kept = default_kept(profile.display_name, is_default=True, has_unpaid=uow.invoices.has_unpaid(profile.id))
        if kept is not None:
            raise kept
        uow.profiles.update(replace(profile, default_payment_method_id=None))
    uow.payment_methods.unlink(method.id, profile.id)
    if not uow.payment_methods.linked_profiles(method.id):
        uow.payment_methods.update(replace(method, removed_at=clock.now()))
    record(
        uow,
        clock,
        actor_id,
        "payment_method.removed",
        profile_resource(profile),
        client_address=client_address,
        details={"method": method.id},
    )


def remove_own_payment_method(
    uow: UnitOfWork, clock: Clock, *, actor_id: str, method_id: str, client_address: str | None = None
) -> None:
    """Delete one of the actor's own payment methods (Azure's delete by user): it comes off every billing
    profile it is linked to, each as remove_payment_method takes it off one (the actor must manage payment
    methods there, and a default with unpaid invoices must be replaced first), or off none."""
    method = uow.payment_methods.find(method_id)
    if method is None or method.owner_id != actor_id:
        raise PaymentMethodNotFound(id=method_id)
    linked = uow.payment_methods.linked_profiles(method.id)
    for profile_id in linked:
        try:
            remove_payment_method(
                uow, clock, actor_id=actor_id, profile_id=profile_id, method_id=method.id, client_address=client_address
            )
        except BillingProfileNotFound:  # their own card, on a profile they may no longer see
            raise Forbidden(permission=Permission.MANAGE_PAYMENT_METHODS.value) from None
    if not linked:
        _refuse_while_paying(uow, method.id)
        uow.payment_methods.update(replace(method, removed_at=clock.now()))
        record(
            uow, clock, actor_id, "payment_method.removed", f"paymentMethods/{method.id}", client_address=client_address
        )


def _refuse_while_paying(uow: UnitOfWork, method_id: str) -> None:
    """A card is not removed between a payment's transaction A and its charge: the removal waits for
    the lock that transaction A holds on the method (DESIGN §4), then sees the payment in flight."""
    uow.payment_methods.lock(method_id)
    if uow.payments.in_flight_with_method(method_id):
        raise PaymentMethodInUse()


def _profile_to_manage(uow: UnitOfWork, actor_id: str, profile_id: str) -> BillingProfile:
    return profile_where(uow, actor_id, profile_id, Permission.MANAGE_PAYMENT_METHODS)


def profile_where(
    uow: UnitOfWork,
    actor_id: str,
    profile_id: str,
    permission: Permission,
    visible_with: Permission = Permission.VIEW,
) -> BillingProfile:
    """The billing profile, if the actor holds `permission` there (not found if they cannot see it)."""
    profile = uow.profiles.find(profile_id)
    not_found = BillingProfileNotFound(id=profile_id)
    if profile is None:
        raise not_found
    scope = Scope(profile.billing_account_id, profile.id)
    require(uow.roles.for_user(actor_id), permission, scope, not_found=not_found, visible_with=visible_with)
    return profile


def _linked_method(uow: UnitOfWork, profile: BillingProfile, method_id: str) -> PaymentMethod:
    method = uow.payment_methods.find(method_id)
    if method is None or profile.id not in uow.payment_methods.linked_profiles(method.id):
        raise PaymentMethodNotFound(id=method_id)
    return method


def profile_resource(profile: BillingProfile) -> str:
    return f"billingAccounts/{profile.billing_account_id}/billingProfiles/{profile.id}"


def _funding(value: str) -> CardFunding:
    try:
        return CardFunding(value)
    except ValueError:
        return CardFunding.UNKNOWN
