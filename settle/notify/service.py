"""Use cases that write e-mails to the outbox, in the caller's transaction: the e-mail exists if and
only if the event that causes it was committed. Who gets each message, in which language:

- invoice issued, past due, past-due reminder: the billing profile's invoice e-mail, in its invoice
  language (no invoice e-mail: no message);
- payment succeeded: the person who paid (in their language, else the invoice language) and the
  invoice e-mail; payment failed: the person who paid (else the invoice e-mail);
- automatic payment failed: the invoice e-mail (without one, the holder of the card);
- refund: the invoice e-mail and the person who made the refunded payment.

The same functions write the webhook events of these changes (settle/notify/webhooks), so that every
caller that tells its customers also tells the provider's systems, in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from settle.accounts.model import BillingProfile
from settle.clock import Clock, today
from settle.invoices.model import Invoice
from settle.notify.model import MessageKind, OutboxMessage, OutboxStatus, Recipient, recipients
from settle.notify.webhooks.service import record_invoices_issued, record_payment_outcome, record_refund_outcome
from settle.payments.model import Payment, PaymentStatus
from settle.payments.refund_model import Refund, RefundStatus
from settle.uow import UnitOfWork

REMINDER_AFTER_DAYS = 7


def enqueue(
    uow: UnitOfWork, clock: Clock, kind: MessageKind, reference: str, to: Iterable[Recipient | None]
) -> list[OutboxMessage]:
    """Write one message per recipient (None: nobody); a message already written (same kind,
    reference and address) stays as it is, so enqueueing twice sends once."""
    messages = [OutboxMessage.new(kind, reference, each.email, each.locale, clock.now()) for each in recipients(*to)]
    uow.outbox.add_many(messages)
    return messages


def invoice_recipient(profile: BillingProfile) -> Recipient | None:
    return Recipient(profile.invoice_email, profile.invoice_language) if profile.invoice_email else None


def enqueue_invoice_issued(uow: UnitOfWork, clock: Clock, invoice: Invoice) -> list[OutboxMessage]:
    """The invoice is ready: to the billing profile's invoice e-mail, with the PDF attached."""
    record_invoices_issued(uow, clock, [invoice])
    profile = uow.profiles.get(invoice.billing_profile_id)
    return enqueue(uow, clock, MessageKind.INVOICE_ISSUED, invoice.id, [invoice_recipient(profile)])


def enqueue_invoices_issued(uow: UnitOfWork, clock: Clock, invoices: Iterable[Invoice]) -> int:
    """enqueue_invoice_issued for many invoices (an import), reading each billing profile once."""
    invoices = list(invoices)
    record_invoices_issued(uow, clock, invoices)
    profiles: dict[str, Recipient | None] = {}
    messages = []
    for invoice in invoices:
        if invoice.billing_profile_id not in profiles:
            profiles[invoice.billing_profile_id] = invoice_recipient(uow.profiles.get(invoice.billing_profile_id))
        recipient = profiles[invoice.billing_profile_id]
        if recipient is not None:
            messages.append(
                OutboxMessage.new(
                    MessageKind.INVOICE_ISSUED, invoice.id, recipient.email, recipient.locale, clock.now()
                )
            )
    uow.outbox.add_many(messages)
    return len(messages)


def enqueue_payment_outcome(uow: UnitOfWork, clock: Clock, payment: Payment) -> list[OutboxMessage]:
    """A receipt for a succeeded payment, a notice with the reason for a failed one; nothing while
    the payment is still in flight."""
    record_payment_outcome(uow, clock, payment)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        return []
    profile = uow.profiles.get(payment.billing_profile_id)
    payer = uow.users.find(payment.payer_id) if payment.payer_id else None
    person = Recipient(payer.email, payer.locale or profile.invoice_language) if payer else None
    if payment.status is PaymentStatus.SUCCEEDED:
        return enqueue(uow, clock, MessageKind.PAYMENT_SUCCEEDED, payment.id, [person, invoice_recipient(profile)])
    if payment.automatic:
        return enqueue(
            uow, clock, MessageKind.AUTOPAY_FAILED, payment.id, [_invoice_or_card_holder(uow, profile, payment)]
        )
    return enqueue(uow, clock, MessageKind.PAYMENT_FAILED, payment.id, [person or invoice_recipient(profile)])


def _invoice_or_card_holder(uow: UnitOfWork, profile: BillingProfile, payment: Payment) -> Recipient | None:
    """Who hears of a failed automatic charge: the invoice e-mail, else the user who added the card."""
    recipient = invoice_recipient(profile)
    method = uow.payment_methods.find(payment.payment_method_id) if payment.payment_method_id else None
    if recipient is not None or method is None:
        return recipient
    holder = uow.users.find(method.owner_id)
    return Recipient(holder.email, holder.locale or profile.invoice_language) if holder else None


def enqueue_refund_outcome(uow: UnitOfWork, clock: Clock, refund: Refund) -> list[OutboxMessage]:
    """A refund receipt once the money is given back: to the invoice e-mail and the person who paid."""
    record_refund_outcome(uow, clock, refund)
    if refund.status is not RefundStatus.SUCCEEDED:
        return []
    profile = uow.profiles.get(refund.billing_profile_id)
    payment = uow.payments.get(refund.payment_id)
    payer = uow.users.find(payment.payer_id) if payment.payer_id else None
    person = Recipient(payer.email, payer.locale or profile.invoice_language) if payer else None
    return enqueue(uow, clock, MessageKind.REFUND_SUCCEEDED, refund.id, [invoice_recipient(profile), person])


def enqueue_past_due(
    uow: UnitOfWork, clock: Clock, *, reminder_after_days: int = REMINDER_AFTER_DAYS, tz: str = "UTC", limit: int = 1000
) -> int:
    """Write a past-due notice for each unpaid invoice past its due date that has none yet, and a
    reminder for each still unpaid `reminder_after_days` after its notice (each once: the outbox's
    unique key says so). Run periodically; returns how many messages were written."""
    day, now = today(clock, tz), clock.now()
    notices = uow.outbox.overdue_invoices(day, without=MessageKind.INVOICE_PAST_DUE, limit=limit)
    reminders = uow.outbox.overdue_invoices(
        day,
        without=MessageKind.INVOICE_PAST_DUE_REMINDER,
        noticed_before=now - timedelta(days=reminder_after_days),
        limit=limit,
    )
    messages = [
        OutboxMessage.new(kind, number, email, language, now)
        for kind, found in ((MessageKind.INVOICE_PAST_DUE, notices), (MessageKind.INVOICE_PAST_DUE_REMINDER, reminders))
        for number, email, language in found
    ]
    uow.outbox.add_many(messages)
    return len(messages)


def list_outbox(uow: UnitOfWork, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxMessage]:
    """The newest messages of the outbox, for operators (`settle outbox list`)."""
    return uow.outbox.latest(status, limit)
