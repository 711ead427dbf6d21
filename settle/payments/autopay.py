"""Use cases of automatic payment: turning it on or off for a billing profile, and the charging run.

The run charges every invoice due by its day on an autopay billing profile to the profile's default
card, through the same steps as Pay now (DESIGN §4): a pending payment under the invoice's lock,
the processor called with the payment's id as key, the outcome recorded. Exactly once per attempt,
however often the run repeats or crashes: an attempt's row (invoice, number) is written with its
payment, and the database refuses a second one. One runner at a time holds the job's lease."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from settle import ids
from settle.access.model import Permission
from settle.access.service import record
from settle.accounts.model import BillingProfile
from settle.clock import Clock, today
from settle.errors import SettleError
from settle.invoices.model import Invoice
from settle.jobs import Lease, completed_on, hold
from settle.notify.service import enqueue_payment_outcome
from settle.payments.autopay_model import (
    AutopayNeedsCard,
    AutopayNotOffered,
    RetrySchedule,
    attempt_key,
    next_attempt,
    plan_attempt,
)
from settle.payments.model import (
    CardPolicy,
    DeclineCode,
    Declined,
    InProgress,
    Payment,
    PaymentMethod,
    PaymentMethodFamily,
    PaymentOutcome,
    PaymentStatus,
    RequiresAction,
    Succeeded,
)
from settle.payments.paying import DEFAULT_POLICY, charge_started
from settle.payments.service import profile_resource, profile_where
from settle.processor.interface import Processor
from settle.uow import UnitOfWork

AUTOPAY_JOB = "autopay"
LEASE_DURATION = timedelta(minutes=10)
PAGE = 100
DEFAULT_SCHEDULE = RetrySchedule()

log = logging.getLogger(__name__)


@dataclass
class AutopayReport:
    day: date
    busy: bool = False  # another runner holds the lease: this one did nothing
    considered: int = 0  # open invoices due by the day on autopay profiles
    succeeded: int = 0
    declined: int = 0
    in_progress: int = 0  # charged, the outcome not known yet (3-D Secure, or no answer: reconcile ends it)
    not_now: int = 0  # nothing to do today: a retry not due yet, retries over, in flight, or another runner's

    def count(self, outcome: PaymentOutcome | None) -> None:
        self.considered += 1
        if isinstance(outcome, Succeeded):
            self.succeeded += 1
        elif isinstance(outcome, Declined):
            self.declined += 1
        elif isinstance(outcome, RequiresAction | InProgress):
            self.in_progress += 1
        else:
            self.not_now += 1


def set_autopay(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor_id: str,
    profile_id: str,
    enabled: bool,
    tz: str = "UTC",
    client_address: str | None = None,
) -> BillingProfile:
    """Turn automatic payment on (invoices falling due from today on are charged to the default card
    on their due date) or off (the customer pays with Pay now or by bank transfer)."""
    profile = profile_where(uow, actor_id, profile_id, Permission.MANAGE_PAYMENT_METHODS)
    if enabled == profile.autopay:
        return profile
    day = today(clock, tz)
    if enabled:
        account = uow.accounts.get(profile.billing_account_id)
        if not account.pays_in_portal:
            raise AutopayNotOffered(agreement=account.agreement_type.value)
        card = find_default_card(uow, profile)
        if card is None:
            raise AutopayNeedsCard(profile=profile.display_name)
        card.check_can_pay(day)
    updated = replace(profile, autopay_since=day if enabled else None)
    uow.profiles.update(updated)
    record(
        uow,
        clock,
        actor_id,
        "billing_profile.autopay_changed",
        profile_resource(profile),
        client_address=client_address,
        details={"autopay": "on" if enabled else "off"},
    )
    return updated


def find_default_card(uow: UnitOfWork, profile: BillingProfile, *, lock: bool = False) -> PaymentMethod | None:
    """The profile's default payment method, if it is a card (`lock`: to pay with it, see find_linked)."""
    method_id = profile.default_payment_method_id
    method = uow.payment_methods.find_linked(method_id, profile.id, lock=lock) if method_id else None
    return method if method is not None and method.family is PaymentMethodFamily.CREDIT_CARD else None


def run_autopay(
    engine: Engine,
    processor: Processor,
    clock: Clock,
    *,
    day: date | None = None,
    schedule: RetrySchedule = DEFAULT_SCHEDULE,
    policy: CardPolicy = DEFAULT_POLICY,
    tz: str = "UTC",
    daily: bool = False,
    lease_duration: timedelta = LEASE_DURATION,
) -> AutopayReport:
    """Charge what is due by `day` (default: today), if no other runner is at it (else `busy`).
    `daily`: the server's run of the day, noted as done so that it runs once a day."""
    day = day or today(clock, tz)
    with hold(engine, clock, AUTOPAY_JOB, lease_duration) as lease:
        if lease is None:
            return AutopayReport(day, busy=True)
        report = charge_due_invoices(engine, processor, clock, day=day, schedule=schedule, policy=policy, lease=lease)
        if daily:
            lease.complete(day)
    log.info(
        "autopay for %s: %s invoice(s), %s paid, %s declined, %s in progress",
        day,
        report.considered,
        report.succeeded,
        report.declined,
        report.in_progress,
    )
    return report


def run_autopay_daily(
    engine: Engine, processor: Processor, clock: Clock, *, schedule: RetrySchedule, policy: CardPolicy, tz: str
) -> AutopayReport | None:
    """The server's daily run: once a day across every process (None when today's is done)."""
    day = today(clock, tz)
    done = completed_on(engine, AUTOPAY_JOB)
    if done is not None and done >= day:
        return None
    return run_autopay(engine, processor, clock, day=day, schedule=schedule, policy=policy, daily=True)


def charge_due_invoices(
    engine: Engine,
    processor: Processor,
    clock: Clock,
    *,
    day: date,
    schedule: RetrySchedule = DEFAULT_SCHEDULE,
    policy: CardPolicy = DEFAULT_POLICY,
    lease: Lease | None = None,
) -> AutopayReport:
    """The run itself, a page of invoices at a time (renewing the lease before each page)."""
    report = AutopayReport(day)
    after: tuple[date, str] | None = None
    while True:
        if lease is not None:
            lease.renew()
        with UnitOfWork(engine, write=False) as uow:
            page = uow.autopay.due_invoices(day, after, PAGE)
            history = uow.autopay.history(number for _, number in page)
        if not page:
            return report
        for _, number in page:
            attempt = next_attempt(history.get(number, []), day)
            outcome = None
            if attempt is not None:
                outcome = charge_attempt(engine, processor, clock, number, attempt, day, schedule, policy)
            report.count(outcome)
        after = page[-1]


def charge_attempt(
    engine: Engine,
    processor: Processor,
    clock: Clock,
    invoice_id: str,
    number: int,
    day: date,
    schedule: RetrySchedule,
    policy: CardPolicy = DEFAULT_POLICY,
) -> PaymentOutcome | None:
    """Make attempt `number` at charging the invoice, exactly once; None when it is not to be made
    (any more): everything is checked again under the invoice's lock."""
    try:
        with UnitOfWork(engine) as uow:
            started = _start_attempt(uow, clock, invoice_id, number, day, schedule, policy)
    except IntegrityError:
        return None  # another runner recorded this attempt first: it is theirs
    except SettleError as refusal:  # e.g. above the card limit: the customer pays another way
        log.warning("autopay: invoice %s is not charged automatically: %s", invoice_id, refusal)
        return None
    if not isinstance(started, tuple):
        return started
    payment, token = started
    return charge_started(engine, processor, clock, payment, token)


def _start_attempt(
    uow: UnitOfWork,
    clock: Clock,
    invoice_id: str,
    number: int,
    day: date,
    schedule: RetrySchedule,
    policy: CardPolicy,
) -> PaymentOutcome | tuple[Payment, str] | None:
    """Transaction A of an automatic charge: the pending payment and its attempt, or nothing."""
    invoice = uow.invoices.get(invoice_id, for_update=True)
    profile = uow.profiles.get(invoice.billing_profile_id)
    history = uow.autopay.history([invoice.id]).get(invoice.id, [])
    if not _charged_automatically(invoice, profile, day) or next_attempt(history, day) != number:
        return None
    if uow.payments.in_flight_invoices([invoice.id]) or not uow.accounts.get(invoice.billing_account_id).pays_in_portal:
        return None
    method = find_default_card(uow, profile, lock=True)
    if method is None:
        return None
    policy.check(method, invoice.amount_due)
    assert method.processor_token is not None
    now = clock.now()
    payment = Payment(
        id=ids.opaque_id(),
        invoice_id=invoice.id,
        billing_profile_id=profile.id,
        amount=invoice.amount_due,
        family=PaymentMethodFamily.CREDIT_CARD,
        status=PaymentStatus.PENDING,
        created_at=now,
        payer_id=None,  # nobody pressed Pay now: the card's holder agreed to automatic payment
        idempotency_key=attempt_key(invoice.id, number),
        payment_method_id=method.id,
    )
    if method.is_expired(day):  # the processor would refuse it: a hard decline without asking
        payment = payment.failed(now, DeclineCode.EXPIRED_CARD)
    uow.payments.add(payment)
    uow.autopay.add(plan_attempt(invoice.id, history, number, payment.id, day, schedule), now)
    details = {"payment": payment.id, "amount": str(payment.amount), "method": method.id, "attempt": str(number)}
    if payment.status is PaymentStatus.FAILED:
        enqueue_payment_outcome(uow, clock, payment)
        details["decline_code"] = DeclineCode.EXPIRED_CARD.value
        record(uow, clock, None, "payment.failed", f"invoices/{invoice.id}", outcome="failed", details=details)
        return Declined(payment)
    record(uow, clock, None, "payment.started", f"invoices/{invoice.id}", details={**details, "autopay": "yes"})
    return payment, method.processor_token


def _charged_automatically(invoice: Invoice, profile: BillingProfile, day: date) -> bool:
    """Open, due by `day`, and fallen due while the profile's autopay was on."""
    since = profile.autopay_since
    due = invoice.voided_at is None and invoice.amount_due.is_positive() and invoice.due_date <= day
    return due and since is not None and invoice.due_date >= since
