"""Webhook events on SQLite and PostgreSQL: written with the change that causes them or not at all,
each once, one delivery per endpoint that wants it, with the API's resource shapes and exact amounts."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settle.clock import FixedClock, today
from settle.money import Money
from settle.notify.service import enqueue_invoice_issued, enqueue_invoices_issued
from settle.notify.webhooks.model import DeliveryStatus, EventType, WebhookEndpoint, WebhookEvent
from settle.notify.webhooks.service import add_endpoint, list_deliveries, record_past_due, remove_endpoint
from settle.notify.webhooks.store import webhook_events
from settle.payments.refunds import refund_payment
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from settle.web.api import serialise
from tests.integration.autopay_world import DECLINED as AUTOPAY_DECLINED
from tests.integration.autopay_world import Autopay
from tests.integration.documents.billing import DECLINED, Billing, make_billing
from tests.integration.factories import make_world

URL = "https://erp.example/hooks/settle"


@pytest.fixture
def billing(engine: Engine, clock: FixedClock, tmp_path: Path) -> Billing:
    return make_billing(engine, clock, tmp_path, language="nl")


def listen(billing: Billing, events: str, url: str = URL) -> WebhookEndpoint:
    with UnitOfWork(billing.engine) as uow:
        return add_endpoint(uow, billing.clock, url, events).endpoint


def events(engine: Engine, reference: str | None = None) -> list[WebhookEvent]:
    with UnitOfWork(engine, write=False) as uow:
        if reference is not None:
            return uow.webhooks.events_about(reference)
        ids = uow.connection.execute(sa.select(webhook_events.c.id)).scalars()
        return [found for found in map(uow.webhooks.find_event, ids) if found is not None]


def body(event: WebhookEvent) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(event.body, parse_float=Decimal)
    return parsed


class Boom(Exception):
    pass


def test_nothing_is_written_while_no_endpoint_listens(billing: Billing) -> None:
    billing.pay_by_card(billing.invoice())
    assert events(billing.engine) == []


def test_an_event_is_written_with_its_change_and_rolled_back_with_it(billing: Billing) -> None:
    listen(billing, "invoice.issued")
    invoice = billing.invoice()
    with pytest.raises(Boom), UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
        raise Boom
    assert events(billing.engine) == []
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
        enqueue_invoices_issued(uow, billing.clock, [invoice])  # again: still one event, one delivery
        uow.invoices.get(invoice.id)  # and the transaction is still usable (PostgreSQL)
    [issued] = events(billing.engine)
    assert (issued.type, issued.reference) == (EventType.INVOICE_ISSUED, invoice.id)
    with UnitOfWork(billing.engine, write=False) as uow:
        assert len(list_deliveries(uow)) == 1


def test_a_payment_writes_invoice_paid_and_payment_succeeded_in_the_api_s_shapes(billing: Billing) -> None:
    erp = listen(billing, "invoice.paid,payment.succeeded,payment.failed")
    other = listen(billing, "invoice.paid", url="https://crm.example/hook")
    invoice = billing.invoice()
    payment = billing.pay_by_card(invoice)
    found = {event.type: body(event) for event in events(billing.engine, payment.id)}
    assert set(found) == {EventType.INVOICE_PAID, EventType.PAYMENT_SUCCEEDED}
    paid, succeeded = found[EventType.INVOICE_PAID], found[EventType.PAYMENT_SUCCEEDED]
    invoice_id = serialise.invoice_id(invoice.billing_account_id, invoice.id)  # the API's own resource id
    assert paid["data"]["id"] == invoice_id and paid["data"]["name"] == invoice.id
    assert paid["data"]["properties"]["status"] == "Paid"
    assert paid["data"]["properties"]["totalAmount"] == {"currency": "EUR", "value": Decimal("151.86")}
    assert paid["data"]["properties"]["amountDue"] == {"currency": "EUR", "value": Decimal("0.00")}
    assert paid["causedBy"] == succeeded["data"]["id"] == f"{invoice_id}/payments/{payment.id}"
    assert succeeded["data"]["properties"]["amount"] == {"currency": "EUR", "value": Decimal("151.86")}
    assert succeeded["data"]["properties"]["paymentMethodId"] == serialise.payment_method_id(billing.card.id)
    assert succeeded["data"]["properties"]["receiptNumber"] == payment.receipt_number
    with UnitOfWork(billing.engine, write=False) as uow:
        to_erp = {view.event_type for view in list_deliveries(uow, endpoint_id=erp.id)}
        to_other = {view.event_type for view in list_deliveries(uow, endpoint_id=other.id)}
    assert to_erp == {EventType.INVOICE_PAID, EventType.PAYMENT_SUCCEEDED}
    assert to_other == {EventType.INVOICE_PAID}


def test_a_part_payment_is_not_invoice_paid(billing: Billing) -> None:
    listen(billing, "invoice.paid,payment.succeeded")
    invoice = billing.invoice()
    half = Money(invoice.amount_due.minor // 2, invoice.currency)
    payment = billing.pay_by_transfer(invoice, half)
    [succeeded] = events(billing.engine, payment.id)
    assert succeeded.type is EventType.PAYMENT_SUCCEEDED
    assert body(succeeded)["data"]["properties"]["paymentMethodFamily"] == "CheckWire"


def test_a_declined_card_writes_payment_failed_with_its_reason(billing: Billing) -> None:
    listen(billing, "payment.failed,invoice.paid")
    payment = billing.pay_by_card(billing.invoice(), DECLINED)
    [failed] = events(billing.engine, payment.id)
    properties = body(failed)["data"]["properties"]
    assert failed.type is EventType.PAYMENT_FAILED
    assert (properties["status"], properties["declineCode"], properties["failedPaymentReason"]) == (
        "Failed",
        "card_declined",
        "BankDeclined",
    )


def test_a_failed_automatic_charge_writes_autopay_failed(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    autopay = Autopay(engine, clock, processor, make_world(engine, clock))
    with UnitOfWork(engine) as uow:
        add_endpoint(uow, clock, URL, "autopay.failed,payment.failed")
    [invoice] = autopay.invoices(autopay.profile(AUTOPAY_DECLINED), 1)
    autopay.run()
    found = [event for event in events(engine) if body(event)["data"]["properties"]["invoiceId"].endswith(invoice.id)]
    assert sorted(event.type for event in found) == [EventType.AUTOPAY_FAILED, EventType.PAYMENT_FAILED]
    assert all(body(event)["data"]["properties"]["automatic"] is True for event in found)


def test_a_refund_writes_refund_succeeded(billing: Billing) -> None:
    listen(billing, "refund.succeeded")
    payment = billing.pay_by_card(billing.invoice())
    refund = refund_payment(
        billing.engine, billing.clock, billing.processor, payment_id=payment.id, idempotency_key="refund-1"
    )
    [given] = events(billing.engine, refund.id)
    properties = body(given)["data"]["properties"]
    assert given.type is EventType.REFUND_SUCCEEDED
    assert properties["amount"] == {"currency": "EUR", "value": Decimal("151.86")}
    assert properties["amountDue"] == {"currency": "EUR", "value": Decimal("151.86")}
    assert properties["paymentId"].endswith(f"/payments/{payment.id}")


def test_past_due_is_written_once_per_invoice_fallen_due_since_the_endpoint_was_added(billing: Billing) -> None:
    # Past due before anyone listened: not sent as history.
    old = billing.invoice(invoice_date=today(billing.clock) - timedelta(days=40), due_in_days=30)
    listen(billing, "invoice.past_due")
    due = billing.invoice(due_in_days=1)
    paid = billing.invoice(due_in_days=1)
    billing.pay_by_card(paid)
    billing.clock.advance(timedelta(days=3))
    with UnitOfWork(billing.engine) as uow:
        assert record_past_due(uow, billing.clock) == 1
        assert record_past_due(uow, billing.clock) == 0
    [past_due] = events(billing.engine, due.id)
    assert body(past_due)["data"]["properties"]["status"] == "OverDue"
    assert events(billing.engine, old.id) == [] and events(billing.engine, paid.id) == []
    assert today(billing.clock) > due.due_date


def test_removing_an_endpoint_cancels_what_waits_for_it_and_keeps_the_log(billing: Billing) -> None:
    endpoint = listen(billing, "invoice.paid")
    billing.pay_by_card(billing.invoice())
    with UnitOfWork(billing.engine) as uow:
        assert remove_endpoint(uow, billing.clock, endpoint.id) == 1
    with UnitOfWork(billing.engine, write=False) as uow:
        [view] = list_deliveries(uow, endpoint_id=endpoint.id)
    assert view.delivery.status is DeliveryStatus.CANCELLED
    billing.pay_by_card(billing.invoice(), key="key-2")
    assert len(events(billing.engine)) == 1  # nobody listens any more: nothing new is written
