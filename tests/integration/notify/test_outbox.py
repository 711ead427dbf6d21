"""The outbox on SQLite and PostgreSQL: written with the event or not at all, each message once,
claimed by one sender at a time, past-due notices and reminders each once."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.notify.model import MessageKind, OutboxMessage, OutboxStatus, Recipient
from settle.notify.service import (
    enqueue,
    enqueue_invoice_issued,
    enqueue_invoices_issued,
    enqueue_past_due,
    enqueue_payment_outcome,
    list_outbox,
)
from settle.uow import UnitOfWork
from tests.integration.documents.billing import DECLINED, Billing, make_billing

LEASE = timedelta(minutes=5)


@pytest.fixture
def billing(engine: Engine, clock: FixedClock, tmp_path: Path) -> Billing:
    return make_billing(engine, clock, tmp_path, language="nl", payer_locale="da")


def outbox(billing: Billing) -> list[OutboxMessage]:
    with UnitOfWork(billing.engine, write=False) as uow:
        return sorted(list_outbox(uow, limit=1000), key=lambda m: (m.kind, m.reference, m.recipient))


class Boom(Exception):
    pass


def test_a_message_is_written_with_its_event_and_rolled_back_with_it(billing: Billing) -> None:
    invoice = billing.invoice()
    with pytest.raises(Boom), UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
        raise Boom  # the event's transaction fails after the message was written
    assert outbox(billing) == []
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
    [message] = outbox(billing)
    assert (message.kind, message.reference, message.recipient, message.locale) == (
        MessageKind.INVOICE_ISSUED,
        invoice.id,
        "ap@contoso.example",
        "nl",
    )


def test_enqueueing_the_same_message_twice_keeps_one_without_breaking_the_transaction(billing: Billing) -> None:
    invoice = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
        enqueue_invoice_issued(uow, billing.clock, invoice)
        uow.invoices.get(invoice.id)  # the transaction is still usable (PostgreSQL would abort it on an error)
    another = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoices_issued(uow, billing.clock, [invoice, another])
    assert [m.kind for m in outbox(billing)] == [MessageKind.INVOICE_ISSUED] * 2


def test_a_profile_without_an_invoice_email_gets_no_invoice_messages(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    quiet = make_billing(engine, clock, tmp_path, invoice_email="")
    invoices = [quiet.invoice(), quiet.invoice()]
    with UnitOfWork(engine) as uow:
        assert enqueue_invoice_issued(uow, clock, invoices[0]) == []
        assert enqueue_invoices_issued(uow, clock, invoices) == 0
    assert outbox(quiet) == []


def test_a_card_payment_sends_the_receipt_to_the_payer_in_their_language_and_to_the_invoice_email(
    billing: Billing,
) -> None:
    payment = billing.pay_by_card(billing.invoice())
    with UnitOfWork(billing.engine) as uow:
        enqueue_payment_outcome(uow, billing.clock, payment)
    assert [(m.kind, m.recipient, m.locale) for m in outbox(billing)] == [
        (MessageKind.PAYMENT_SUCCEEDED, "ap@contoso.example", "nl"),
        (MessageKind.PAYMENT_SUCCEEDED, billing.payer.email, "da"),
    ]


def test_a_declined_payment_tells_the_payer_only(billing: Billing) -> None:
    payment = billing.pay_by_card(billing.invoice(), number=DECLINED)
    with UnitOfWork(billing.engine) as uow:
        enqueue_payment_outcome(uow, billing.clock, payment)
        assert enqueue_payment_outcome(uow, billing.clock, replace(payment, status="pending")) == []  # type: ignore[arg-type]
    assert [(m.kind, m.recipient) for m in outbox(billing)] == [(MessageKind.PAYMENT_FAILED, billing.payer.email)]


def test_a_bank_transfer_receipt_goes_to_the_invoice_email(billing: Billing) -> None:
    payment = billing.pay_by_transfer(billing.invoice())
    with UnitOfWork(billing.engine) as uow:
        enqueue_payment_outcome(uow, billing.clock, payment)
    assert [(m.kind, m.recipient) for m in outbox(billing)] == [(MessageKind.PAYMENT_SUCCEEDED, "ap@contoso.example")]


def test_a_past_due_notice_is_written_once_and_a_reminder_once_after_the_days_given(billing: Billing) -> None:
    overdue = billing.invoice(due_in_days=0)
    billing.invoice(due_in_days=30)  # not due yet
    paid = billing.invoice(due_in_days=0)
    billing.pay_by_transfer(paid)
    billing.clock.advance(timedelta(days=1))

    def run() -> int:
        with UnitOfWork(billing.engine) as uow:
            return enqueue_past_due(uow, billing.clock, reminder_after_days=7)

    assert run() == 1
    assert run() == 0
    billing.clock.advance(timedelta(days=6, hours=23))
    assert run() == 0
    billing.clock.advance(timedelta(hours=1))
    assert run() == 1
    billing.clock.advance(timedelta(days=10))
    assert run() == 0  # (the invoice due in 30 days is not past due yet)
    past_due = [m for m in outbox(billing) if m.kind is not MessageKind.PAYMENT_SUCCEEDED]  # the paid one's receipt
    assert [(m.kind, m.reference) for m in past_due] == [
        (MessageKind.INVOICE_PAST_DUE, overdue.id),
        (MessageKind.INVOICE_PAST_DUE_REMINDER, overdue.id),
    ]


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(billing: Billing) -> None:
    with UnitOfWork(billing.engine) as uow:
        enqueue(uow, billing.clock, MessageKind.INVOICE_ISSUED, "G000000001", [Recipient("a@example.org", "en")])
    with UnitOfWork(billing.engine) as uow:
        [claimed] = uow.outbox.claim_due(billing.clock.now(), LEASE, 10)
        assert claimed.claimed_until == billing.clock.now() + LEASE
    with UnitOfWork(billing.engine) as uow:
        assert uow.outbox.claim_due(billing.clock.now() + LEASE - timedelta(seconds=1), LEASE, 10) == []
        assert [m.id for m in uow.outbox.claim_due(billing.clock.now() + LEASE, LEASE, 10)] == [claimed.id]


def test_a_message_waiting_for_its_retry_is_not_claimed_before_its_time(billing: Billing) -> None:
    with UnitOfWork(billing.engine) as uow:
        [message] = enqueue(uow, billing.clock, MessageKind.INVOICE_ISSUED, "G1", [Recipient("a@example.org", "en")])
        uow.outbox.update(message.failed(billing.clock.now(), "down"))
    with UnitOfWork(billing.engine) as uow:
        assert uow.outbox.claim_due(billing.clock.now() + timedelta(seconds=59), LEASE, 10) == []
        assert len(uow.outbox.claim_due(billing.clock.now() + timedelta(minutes=1), LEASE, 10)) == 1


def test_senders_claiming_at_the_same_time_never_get_the_same_message(billing: Billing) -> None:
    with UnitOfWork(billing.engine) as uow:
        for n in range(40):
            enqueue(uow, billing.clock, MessageKind.INVOICE_ISSUED, f"G{n:09d}", [Recipient("a@example.org", "en")])
    claims: list[list[str]] = []
    start = threading.Barrier(4)

    def claim() -> None:
        start.wait()
        for _ in range(5):
            with UnitOfWork(billing.engine) as uow:
                claims.append([m.id for m in uow.outbox.claim_due(billing.clock.now(), LEASE, 3)])

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [message_id for batch in claims for message_id in batch]
    assert len(claimed) == len(set(claimed)) == 40


def test_operators_see_the_newest_messages_first_and_can_filter_by_status(billing: Billing) -> None:
    with UnitOfWork(billing.engine) as uow:
        [first] = enqueue(uow, billing.clock, MessageKind.INVOICE_ISSUED, "G1", [Recipient("a@example.org", "en")])
        billing.clock.advance(timedelta(seconds=1))
        [second] = enqueue(uow, billing.clock, MessageKind.INVOICE_ISSUED, "G2", [Recipient("a@example.org", "en")])
        uow.outbox.update(first.failed(billing.clock.now(), "550 no", permanent=True))
    with UnitOfWork(billing.engine, write=False) as uow:
        assert [m.id for m in list_outbox(uow)] == [second.id, first.id]
        [failed] = list_outbox(uow, OutboxStatus.FAILED)
    assert (failed.id, failed.last_error, failed.attempts) == (first.id, "550 no", 1)
