"""The webhook sender against a receiver on 127.0.0.1, on SQLite and PostgreSQL: events arrive signed;
a receiver that is down gets them once it is up; nothing is sent twice by two senders; failures are
retried for three days, each attempt logged; resending sends again."""

from __future__ import annotations

import threading
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle import db
from settle.clock import FixedClock
from settle.notify.service import enqueue_invoices_issued
from settle.notify.webhooks.model import FIRST_RETRY, RETRY_FOR, DeliveryStatus, WebhookEndpoint
from settle.notify.webhooks.sender import LEASE, DeliveryReport, deliver_due
from settle.notify.webhooks.service import add_endpoint, get_delivery, list_deliveries, resend_delivery
from settle.notify.webhooks.signature import verify
from settle.uow import UnitOfWork
from tests.integration.documents.billing import Billing, make_billing
from tests.integration.notify.webhook_receiver import Receiver, free_port, receiving, webhook_receiver


@pytest.fixture
def billing(engine: Engine, clock: FixedClock, tmp_path: Path) -> Billing:
    return make_billing(engine, clock, tmp_path, language="nl")


def listen(billing: Billing, url: str, events: str = "invoice.paid") -> WebhookEndpoint:
    with UnitOfWork(billing.engine) as uow:
        return add_endpoint(uow, billing.clock, url, events).endpoint


def only_delivery(billing: Billing) -> str:
    with UnitOfWork(billing.engine, write=False) as uow:
        [view] = list_deliveries(uow)
    return view.delivery.id


def test_a_receiver_gets_invoice_paid_with_a_valid_signature_after_a_payment(billing: Billing) -> None:
    with webhook_receiver() as receiver:
        endpoint = listen(billing, receiver.url)
        invoice = billing.invoice()
        billing.pay_by_card(invoice)
        assert deliver_due(billing.engine, billing.clock).delivered == 1
    [paid] = receiver.received
    assert paid.path == "/hooks/settle"
    assert paid.headers["Settle-Event"] == "invoice.paid"
    assert paid.headers["Content-Type"] == "application/json"
    assert paid.delivery == only_delivery(billing)
    assert verify(endpoint.secret, paid.headers["Settle-Signature"], paid.body, billing.clock.now())
    assert paid.event["type"] == "invoice.paid" and paid.event["data"]["name"] == invoice.id
    assert paid.event["data"]["properties"]["status"] == "Paid"
    assert b'"amountDue":{"currency":"EUR","value":0.00}' in paid.body  # the exact decimal, as the API writes it


def test_a_signature_over_a_tampered_body_or_with_another_secret_fails(billing: Billing) -> None:
    with webhook_receiver() as receiver:
        endpoint = listen(billing, receiver.url)
        billing.pay_by_card(billing.invoice())
        deliver_due(billing.engine, billing.clock)
    [paid] = receiver.received
    signature, now = paid.headers["Settle-Signature"], billing.clock.now()
    assert not verify(endpoint.secret, signature, paid.body.replace(b"0.00", b"9.99"), now)
    assert not verify("whsec_someone-else-s-secret-000000", signature, paid.body, now)
    assert not verify(endpoint.secret, signature, paid.body, now + timedelta(minutes=10))  # a replay, later


def test_when_the_receiver_is_down_the_delivery_is_retried_and_arrives_once_it_is_up(billing: Billing) -> None:
    receiver = Receiver(free_port())  # nobody listens on its port yet
    listen(billing, receiver.url)
    billing.pay_by_card(billing.invoice())
    first = deliver_due(billing.engine, billing.clock)
    assert (first.delivered, first.retrying) == (0, 1)
    with receiving(receiver):
        assert deliver_due(billing.engine, billing.clock).delivered == 0  # not before its back-off
        billing.clock.advance(FIRST_RETRY)
        assert deliver_due(billing.engine, billing.clock).delivered == 1
        assert deliver_due(billing.engine, billing.clock).delivered == 0
    assert len(receiver.received) == 1
    with UnitOfWork(billing.engine, write=False) as uow:
        delivery, _, attempts = get_delivery(uow, receiver.received[0].delivery)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert [attempt.status_code for attempt in attempts] == [None, 200]
    assert attempts[0].error is not None and "ConnectError" in attempts[0].error
    assert all(attempt.duration_ms >= 0 for attempt in attempts)


def test_a_receiver_that_keeps_failing_is_tried_for_three_days_then_given_up(billing: Billing) -> None:
    with webhook_receiver(status=500) as receiver:
        listen(billing, receiver.url)
        billing.pay_by_card(billing.invoice())
        started, delivery_id = billing.clock.now(), only_delivery(billing)
        for _ in range(100):
            deliver_due(billing.engine, billing.clock)
            with UnitOfWork(billing.engine, write=False) as uow:
                delivery, _, attempts = get_delivery(uow, delivery_id)
            if delivery.status is not DeliveryStatus.PENDING:
                break
            billing.clock.current = delivery.next_attempt_at
    assert delivery.status is DeliveryStatus.FAILED
    assert 15 <= len(attempts) == len(receiver.received) <= 25
    assert {attempt.status_code for attempt in attempts} == {500} and attempts[-1].error == "HTTP 500"
    assert attempts[-1].started_at == started + RETRY_FOR  # the last try is made when the three days are up
    waits = [later.started_at - earlier.started_at for earlier, later in pairwise(attempts)]
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]


def test_resending_sends_the_same_event_again_as_a_new_delivery(billing: Billing) -> None:
    with webhook_receiver() as receiver:
        listen(billing, receiver.url)
        billing.pay_by_card(billing.invoice())
        deliver_due(billing.engine, billing.clock)
        first = only_delivery(billing)
        with UnitOfWork(billing.engine) as uow:
            again = resend_delivery(uow, billing.clock, first)
        assert deliver_due(billing.engine, billing.clock).delivered == 1
    original, resent = receiver.received
    assert (original.delivery, resent.delivery) == (first, again.id)
    assert original.body == resent.body  # the same event, byte for byte
    with UnitOfWork(billing.engine, write=False) as uow:
        statuses = {view.delivery.id: view.delivery.status for view in list_deliveries(uow)}
    assert statuses == {first: DeliveryStatus.DELIVERED, again.id: DeliveryStatus.DELIVERED}


def test_two_senders_at_once_send_each_delivery_once(billing: Billing, database_url: str) -> None:
    with webhook_receiver() as receiver:
        receiver.delay = 0.02  # each answer takes a moment: the two senders run side by side
        listen(billing, receiver.url, "invoice.issued")
        invoices = [billing.invoice() for _ in range(30)]
        with UnitOfWork(billing.engine) as uow:
            enqueue_invoices_issued(uow, billing.clock, invoices)
        engines = [db.create_engine(database_url) for _ in range(2)]
        reports: list[DeliveryReport] = []

        def send(engine: Engine) -> None:
            reports.append(deliver_due(engine, billing.clock, limit=4))

        senders = [threading.Thread(target=send, args=(engine,)) for engine in engines]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=60)
        for engine in engines:
            engine.dispose()
    assert sorted(report.delivered > 0 for report in reports) == [True, True]
    sent = [each.delivery for each in receiver.received]
    assert len(sent) == len(set(sent)) == 30
    assert sorted(each.event["data"]["name"] for each in receiver.received) == sorted(i.id for i in invoices)


def test_a_delivery_held_by_a_sender_that_died_waits_for_its_lease_then_goes(billing: Billing) -> None:
    with webhook_receiver() as receiver:
        listen(billing, receiver.url)
        billing.pay_by_card(billing.invoice())
        with UnitOfWork(billing.engine) as uow:
            assert len(uow.webhooks.claim_due(billing.clock.now(), LEASE, 10)) == 1  # and then it dies
        assert deliver_due(billing.engine, billing.clock).delivered == 0
        billing.clock.advance(LEASE)
        assert deliver_due(billing.engine, billing.clock).delivered == 1
    assert len(receiver.received) == 1


def test_an_endpoint_that_is_down_is_asked_once_a_round_and_does_not_hold_up_the_others(billing: Billing) -> None:
    down = Receiver(free_port())
    listen(billing, down.url, "invoice.issued")
    invoices = [billing.invoice() for _ in range(3)]
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoices_issued(uow, billing.clock, invoices)
    with webhook_receiver() as up:
        listen(billing, up.url, "invoice.paid")
        billing.pay_by_card(billing.invoice())
        report = deliver_due(billing.engine, billing.clock)
        assert (report.delivered, report.retrying, report.deferred) == (1, 1, 2)
        assert len(up.received) == 1
    with receiving(down):
        assert deliver_due(billing.engine, billing.clock).delivered == 0  # they all wait as long as the first
        billing.clock.advance(FIRST_RETRY)
        assert deliver_due(billing.engine, billing.clock).delivered == 3
    with UnitOfWork(billing.engine, write=False) as uow:
        attempts = sorted(view.delivery.attempts for view in list_deliveries(uow) if view.url == down.url)
    assert attempts == [1, 1, 2]  # a delivery that waited for its endpoint had no attempt counted
