"""Refunds, exactly once per idempotency key, in the steps of paying (DESIGN §4) run backwards.

Transaction A records a pending refund under the invoice's lock (so two refunds of one payment never
both see the same amount left); the processor is asked with the refund's id as its key; transaction
B records the outcome, gives the amount back to the invoice's amount due, and writes the refund
receipt e-mail and the audit event. A crash in between leaves the refund pending, and
`finish_pending_refunds` asks the processor again with the same key: it refunds at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from settle import ids
from settle.access.model import Scope, require_operator
from settle.access.operators import is_operator
from settle.access.service import record
from settle.clock import Clock
from settle.errors import SettleError
from settle.money import Money
from settle.notify.service import enqueue_refund_outcome
from settle.payments.model import Payment, PaymentNotFound
from settle.payments.refund_model import (
    OperatorsOnly,
    PaymentNotRefundable,
    Refund,
    RefundFailed,
    RefundKeyReused,
    RefundStatus,
    amount_to_refund,
    refund_receipt_number,
)
from settle.processor import interface
from settle.processor.interface import Processor, ProcessorUnavailable
from settle.uow import UnitOfWork


def refund_payment(
    engine: Engine,
    clock: Clock,
    processor: Processor,
    *,
    payment_id: str,
    idempotency_key: str,
    amount: Money | None = None,
    actor_id: str | None = None,
    client_address: str | None = None,
) -> Refund:
    """Give back `amount` of a succeeded card payment (None: all that is left of it). `actor_id`
    None is the operator at the command line; a user must have been granted operator rights. Returns the
    refund, succeeded, or pending when the processor did not answer (finished later)."""
    try:
        with UnitOfWork(engine) as uow:
            started = _start(uow, clock, payment_id, idempotency_key, amount, actor_id, client_address)
    except IntegrityError:  # a concurrent request with the same key committed first
        with UnitOfWork(engine, write=False) as uow:
            earlier = uow.refunds.find_by_key(idempotency_key)
        if earlier is None:
            raise
        started = _same_request(earlier, payment_id, amount)
    if started.status is RefundStatus.SUCCEEDED:
        return started
    if started.status is RefundStatus.FAILED:
        raise RefundFailed(reason=started.failure_code or "")
    return _give_back(engine, clock, processor, started, client_address)


def _start(
    uow: UnitOfWork,
    clock: Clock,
    payment_id: str,
    key: str,
    amount: Money | None,
    actor_id: str | None,
    client_address: str | None,
) -> Refund:
    """Transaction A: the checks under the invoice's lock, then a pending refund (or the earlier
    refund made with this key)."""
    payment = uow.payments.get(payment_id)
    _authorize(uow, actor_id, payment)
    invoice = uow.invoices.get(payment.invoice_id, for_update=True)
    earlier = uow.refunds.find_by_key(key)  # under the lock: a concurrent request's refund is seen
    if earlier is not None:
        return _same_request(earlier, payment_id, amount)
    wanted = amount_to_refund(payment, uow.refunds.for_payment(payment.id), amount)
    if payment.processor_reference is None:
        raise PaymentNotRefundable(id=payment.id)
    refund = Refund(
        id=ids.opaque_id(),
        payment_id=payment.id,
        invoice_id=invoice.id,
        billing_profile_id=payment.billing_profile_id,
        amount=wanted,
        status=RefundStatus.PENDING,
        idempotency_key=key,
        created_at=clock.now(),
        actor_id=actor_id,
    )
    uow.refunds.add(refund)
    record(
        uow,
        clock,
        actor_id,
        "refund.started",
        f"invoices/{invoice.id}",
        client_address=client_address,
        details={"refund": refund.id, "payment": payment.id, "amount": str(wanted)},
    )
    return refund


def _authorize(uow: UnitOfWork, actor_id: str | None, payment: Payment) -> None:
    if actor_id is None:  # the operator at the command line
        return
    profile = uow.profiles.get(payment.billing_profile_id)
    require_operator(
        uow.roles.for_user(actor_id),
        Scope(profile.billing_account_id, profile.id),
        operator=is_operator(uow, actor_id),
        not_found=PaymentNotFound(id=payment.id),
        refused=OperatorsOnly(),
    )


def _same_request(earlier: Refund, payment_id: str, amount: Money | None) -> Refund:
    if not earlier.same_request(payment_id, amount):
        raise RefundKeyReused()
    return earlier


def _give_back(
    engine: Engine, clock: Clock, processor: Processor, refund: Refund, client_address: str | None = None
) -> Refund:
    """Ask the processor to refund (again: the same key refunds once), then record its answer."""
    with UnitOfWork(engine, write=False) as uow:
        charge_reference = uow.payments.get(refund.payment_id).processor_reference
    assert charge_reference is not None
    try:
        given = processor.refund(charge_reference, refund.amount, refund.id)
    except ProcessorUnavailable:
        return refund  # unknown for now: finish_pending_refunds asks again
    except SettleError as refused:
        _finish(engine, clock, refund, None, refused.code, client_address)
        raise
    return _finish(engine, clock, refund, given, None, client_address)


def _finish(
    engine: Engine,
    clock: Clock,
    started: Refund,
    given: interface.Refund | None,
    failure: str | None,
    client_address: str | None,
) -> Refund:
    """Transaction B: record the processor's answer, once (a refund with an outcome keeps it)."""
    with UnitOfWork(engine) as uow:
        invoice = uow.invoices.get(started.invoice_id, for_update=True)
        refund = uow.refunds.get(started.id)
        if refund.status is not RefundStatus.PENDING:
            return refund
        now = clock.now()
        if given is None:
            done = refund.failed(now, failure or "ProcessorRejected")
        else:
            number = refund_receipt_number(invoice.id, uow.refunds.count_succeeded(invoice.id) + 1)
            done = refund.succeeded(now, number, given.reference)
            uow.invoices.update(invoice.with_refund(refund.amount))
        uow.refunds.update(done)
        enqueue_refund_outcome(uow, clock, done)
        details = {"refund": refund.id, "payment": refund.payment_id, "amount": str(refund.amount)}
        record(
            uow,
            clock,
            refund.actor_id,
            f"refund.{done.status.value}",
            f"invoices/{invoice.id}",
            outcome=done.status.value,
            client_address=client_address,
            details={**details, **({"failure": done.failure_code} if done.failure_code else {})},
        )
        return done


@dataclass
class RefundReconcileReport:
    checked: int = 0
    succeeded: int = 0
    failed: int = 0
    still_open: int = 0


def finish_pending_refunds(
    engine: Engine, processor: Processor, clock: Clock, *, older_than: timedelta = timedelta(minutes=5)
) -> RefundReconcileReport:
    """Finish every refund left pending for longer than `older_than` (a crash, a lost answer) by
    asking the processor again with its key. Idempotent; safe while refunds are being made."""
    report = RefundReconcileReport()
    with UnitOfWork(engine, write=False) as uow:
        stale = uow.refunds.pending_before(clock.now() - older_than)
    for refund in stale:
        report.checked += 1
        try:
            done = _give_back(engine, clock, processor, refund)
        except SettleError:
            report.failed += 1
            continue
        if done.status is RefundStatus.SUCCEEDED:
            report.succeeded += 1
        else:
            report.still_open += 1
    return report
