"""Pay now, exactly once (DESIGN §4): one use case for the portal, the API and the command line.

Transaction A records a pending payment under the invoice's lock; the processor is called with
the payment's id as its idempotency key; transaction B records the outcome. A crash between the
two leaves the payment pending, and `reconcile` finishes it by asking the processor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from settle import ids, metrics
from settle.access.model import Permission, Scope, require
from settle.access.service import record
from settle.clock import Clock, today
from settle.errors import SettleError
from settle.invoices.model import InvoiceNotFound
from settle.notify.service import enqueue_payment_outcome
from settle.payments.model import (
    AmountChanged,
    CardPolicy,
    DeclineCode,
    IdempotencyKeyReused,
    InProgress,
    Payment,
    PaymentInProgress,
    PaymentMethodFamily,
    PaymentMethodNotFound,
    PaymentOutcome,
    PaymentStatus,
    PayNowNotOffered,
    PayRequest,
    outcome_of,
    receipt_number,
)
from settle.payments.service import keep_or_discard_tried_card
from settle.processor.interface import Charge, ChargeStatus, Processor, ProcessorUnavailable
from settle.uow import UnitOfWork

DEFAULT_POLICY = CardPolicy()


def pay_invoice(
    engine: Engine,
    processor: Processor,
    clock: Clock,
    *,
    actor_id: str,
    request: PayRequest,
    policy: CardPolicy = DEFAULT_POLICY,
    tz: str = "UTC",
    within: Scope | None = None,
) -> PaymentOutcome:
    """Charge the amount due of an invoice to a saved card, at most once per invoice and key. `within`: the
    billing account or profile the caller named (the API's URL); an invoice outside it is not found."""
    try:
        with UnitOfWork(engine) as uow:
            started = _start(uow, clock, actor_id, request, policy, tz, within)
    except IntegrityError:
        # Lost a race the invoice lock did not cover (same key, or a second payment in flight).
        with UnitOfWork(engine, write=False) as uow:
            earlier = uow.payments.find_by_key(actor_id, request.idempotency_key)
        if earlier is not None and request.same_as(earlier):
            return outcome_of(earlier)
        raise PaymentInProgress(number=request.invoice_number) from None
    except SettleError as refusal:
        _record_refusal(engine, clock, actor_id, request, refusal)
        raise
    if not isinstance(started, tuple):
        return started
    payment, token = started
    return charge_started(engine, processor, clock, payment, token, client_address=request.client_address)


def charge_started(
    engine: Engine, processor: Processor, clock: Clock, payment: Payment, token: str, client_address: str | None = None
) -> PaymentOutcome:
    """Steps 3 and 4 for a payment recorded pending (by Pay now or the autopay run): charge the card
    with the payment's id as the processor's idempotency key, then record the outcome."""
    try:
        with metrics.processor_call("charge"):
            charge: Charge | None = processor.charge(token, payment.amount, payment.id, f"Invoice {payment.invoice_id}")
    except ProcessorUnavailable:
        charge = _find_quietly(processor, payment.id)
    if charge is None:
        return InProgress(payment)  # the outcome is unknown for now: reconcile will finish it
    return finish(engine, clock, payment, charge, client_address=client_address)


def _start(
    uow: UnitOfWork,
    clock: Clock,
    actor_id: str,
    request: PayRequest,
    policy: CardPolicy,
    tz: str,
    within: Scope | None = None,
) -> PaymentOutcome | tuple[Payment, str]:
    """Transaction A: every check under the invoice's lock, then a pending payment."""
    invoice = uow.invoices.find(request.invoice_number, for_update=True)
    if invoice is None or (
        within is not None and not within.contains(Scope(invoice.billing_account_id, invoice.billing_profile_id))
    ):
        raise InvoiceNotFound(id=request.invoice_number)
    earlier = uow.payments.find_by_key(actor_id, request.idempotency_key)
    if earlier is not None:
        if not request.same_as(earlier):
            raise IdempotencyKeyReused()
        return outcome_of(earlier)
    assignments = uow.roles.for_user(actor_id)
    scope = Scope(invoice.billing_account_id, invoice.billing_profile_id)
    require(
        assignments,
        Permission.PAY_INVOICES,
        scope,
        not_found=InvoiceNotFound(id=invoice.id),
        visible_with=Permission.VIEW_INVOICES,
    )
    account = uow.accounts.get(invoice.billing_account_id)
    if not account.pays_in_portal:
        raise PayNowNotOffered(agreement=account.agreement_type.value)
    invoice.check_payable()
    if uow.payments.in_flight_invoices([invoice.id]):
        raise PaymentInProgress(number=invoice.id)
    if request.amount_seen != invoice.amount_due:
        raise AmountChanged(number=invoice.id, due=str(invoice.amount_due), seen=str(request.amount_seen))
    method = uow.payment_methods.find_linked(request.payment_method_id, invoice.billing_profile_id, lock=True)
    if method is None:
        raise PaymentMethodNotFound(id=request.payment_method_id)
    method.check_can_pay(today(clock, tz))
    policy.check(method, invoice.amount_due)
    assert method.processor_token is not None
    payment = Payment(
        id=ids.opaque_id(),
        invoice_id=invoice.id,
        billing_profile_id=invoice.billing_profile_id,
        amount=invoice.amount_due,
        family=PaymentMethodFamily.CREDIT_CARD,
        status=PaymentStatus.PENDING,
        created_at=clock.now(),
        payer_id=actor_id,
        idempotency_key=request.idempotency_key,
        payment_method_id=method.id,
    )
    uow.payments.add(payment)
    record(
        uow,
        clock,
        actor_id,
        "payment.started",
        f"invoices/{invoice.id}",
        client_address=request.client_address,
        details={"payment": payment.id, "amount": str(payment.amount), "method": method.id},
    )
    return payment, method.processor_token


def finish(
    engine: Engine, clock: Clock, started: Payment, charge: Charge | None, client_address: str | None = None
) -> PaymentOutcome:
    """Transaction B: record what the processor says happened to a payment (None: nothing was
    charged). Safe to run twice and from several places: a payment with an outcome keeps it."""
    with UnitOfWork(engine) as uow:
        invoice = uow.invoices.get(started.invoice_id, for_update=True)
        payment = uow.payments.get(started.id)  # as it stands now, read under the invoice's lock
        if not payment.in_flight:
            return outcome_of(payment)
        now = clock.now()
        if charge is None:
            done = payment.failed(now, DeclineCode.PROCESSING_ERROR)
            action = "payment.failed"
        elif charge.status is ChargeStatus.SUCCEEDED:
            number = receipt_number(invoice.id, uow.payments.count_succeeded(invoice.id) + 1)
            done = payment.succeeded(now, number, charge.reference)
            uow.invoices.update(invoice.with_payment(payment.amount))
            action = "payment.succeeded"
        elif charge.status is ChargeStatus.REQUIRES_ACTION:
            if payment.status is PaymentStatus.REQUIRES_ACTION:
                return outcome_of(payment)
            assert charge.challenge_url is not None
            done = payment.awaiting_challenge(charge.challenge_url, charge.reference)
            action = "payment.requires_action"
        else:
            done = payment.failed(now, _decline_code(charge.decline_code))
            action = "payment.failed"
        uow.payments.update(done)
        keep_or_discard_tried_card(uow, clock, done)
        metrics.count_payment(done.status.value)
        enqueue_payment_outcome(uow, clock, done)  # the receipt or the decline, with the outcome itself
        details = {"payment": payment.id, "amount": str(payment.amount)}
        if done.decline_code is not None:
            details["decline_code"] = done.decline_code.value
        record(
            uow,
            clock,
            payment.payer_id,
            action,
            f"invoices/{invoice.id}",
            outcome=done.status.value,
            client_address=client_address,
            details=details,
        )
        return outcome_of(done)


@dataclass
class ReconcileReport:
    checked: int = 0
    succeeded: int = 0
    failed: int = 0
    still_open: int = 0


def reconcile(
    engine: Engine, processor: Processor, clock: Clock, *, older_than: timedelta = timedelta(minutes=5)
) -> ReconcileReport:
    """Finish every payment left in flight for longer than `older_than` by asking the processor
    what happened under its key. Idempotent; safe while payments are being made."""
    report = ReconcileReport()
    with UnitOfWork(engine, write=False) as uow:
        stale = uow.payments.in_flight_before(clock.now() - older_than)
    for payment in stale:
        report.checked += 1
        try:
            charge = processor.find_charge(payment.id)
        except ProcessorUnavailable:
            report.still_open += 1
            continue
        outcome = finish(engine, clock, payment, charge)
        status = outcome.payment.status
        if status is PaymentStatus.SUCCEEDED:
            report.succeeded += 1
        elif status is PaymentStatus.FAILED:
            report.failed += 1
        else:
            report.still_open += 1
    return report


def _record_refusal(engine: Engine, clock: Clock, actor_id: str, request: PayRequest, refusal: SettleError) -> None:
    """A refused attempt leaves nothing behind but its audit event (in its own transaction, since
    the attempt's was rolled back): who tried to pay what, from where, and why it was refused."""
    with UnitOfWork(engine) as uow:
        record(
            uow,
            clock,
            actor_id,
            "payment.refused",
            f"invoices/{request.invoice_number}",
            outcome=refusal.code,
            client_address=request.client_address,
            details={"amount": str(request.amount_seen), "method": request.payment_method_id},
        )


def _find_quietly(processor: Processor, key: str) -> Charge | None:
    try:
        return processor.find_charge(key)
    except ProcessorUnavailable:
        return None


def _decline_code(code: str | None) -> DeclineCode:
    try:
        return DeclineCode(code or DeclineCode.CARD_DECLINED)
    except ValueError:
        return DeclineCode.CARD_DECLINED


def confirm_payment(engine: Engine, processor: Processor, clock: Clock, payment_id: str) -> PaymentOutcome:
    """After a 3-D Secure challenge (or any wait): ask the processor and record the outcome."""
    with UnitOfWork(engine, write=False) as uow:
        payment = uow.payments.get(payment_id)
    if not payment.in_flight:
        return outcome_of(payment)
    charge = processor.find_charge(payment.id)
    if charge is None:
        return InProgress(payment)
    return finish(engine, clock, payment, charge)
