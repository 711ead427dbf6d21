"""Use cases of webhooks: operators register, list and remove endpoints, see deliveries and resend
them; the changes that cause events write them here, in the caller's transaction, so that an event
exists if and only if its change was committed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from settle import ids
from settle.access.service import record
from settle.clock import Clock, today
from settle.invoices.model import Invoice
from settle.notify.webhooks import payloads
from settle.notify.webhooks.model import (
    Attempt,
    DeliveryStatus,
    DeliveryView,
    EventType,
    WebhookDelivery,
    WebhookDeliveryNotFound,
    WebhookEndpoint,
    WebhookEndpointNotFound,
    WebhookEndpointRemoved,
    WebhookEvent,
    new_secret,
    parse_events,
)
from settle.payments.model import Payment, PaymentStatus
from settle.payments.refund_model import Refund, RefundStatus
from settle.uow import UnitOfWork


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    generated_secret: str | None  # shown to the operator once; None when they gave their own


def add_endpoint(
    uow: UnitOfWork, clock: Clock, url: str, events: str, *, secret: str | None = None, actor_id: str | None = None
) -> NewEndpoint:
    """Register an endpoint for the events named (comma-separated), signing with `secret` or a new one."""
    chosen = secret if secret is not None else new_secret()
    endpoint = WebhookEndpoint.new(url, parse_events(events), chosen, clock.now())
    uow.webhooks.add_endpoint(endpoint)
    kinds = ",".join(sorted(endpoint.events))
    record(
        uow, clock, actor_id, "webhook.endpoint_added", f"webhooks/{endpoint.id}", details={"url": url, "events": kinds}
    )
    return NewEndpoint(endpoint, None if secret is not None else chosen)


def list_endpoints(uow: UnitOfWork) -> list[WebhookEndpoint]:
    """The endpoints events are sent to, oldest first."""
    return uow.webhooks.endpoints()


def get_endpoint(uow: UnitOfWork, endpoint_id: str) -> WebhookEndpoint:
    endpoint = uow.webhooks.find_endpoint(endpoint_id)
    if endpoint is None:
        raise WebhookEndpointNotFound(id=endpoint_id)
    return endpoint


def remove_endpoint(uow: UnitOfWork, clock: Clock, endpoint_id: str, *, actor_id: str | None = None) -> int:
    """Stop sending to an endpoint (its deliveries stay listed); returns how many waiting ones were cancelled."""
    endpoint = get_endpoint(uow, endpoint_id)
    if endpoint.removed_at is not None:
        raise WebhookEndpointRemoved(id=endpoint_id)
    cancelled = uow.webhooks.remove_endpoint(endpoint_id, clock.now())
    record(uow, clock, actor_id, "webhook.endpoint_removed", f"webhooks/{endpoint_id}", details={"url": endpoint.url})
    return cancelled


def list_deliveries(
    uow: UnitOfWork, *, endpoint_id: str | None = None, status: DeliveryStatus | None = None, limit: int = 100
) -> list[DeliveryView]:
    """The newest deliveries first, for operators."""
    if endpoint_id is not None:
        get_endpoint(uow, endpoint_id)
    return uow.webhooks.deliveries(endpoint_id=endpoint_id, status=status, limit=limit)


def get_delivery(uow: UnitOfWork, delivery_id: str) -> tuple[WebhookDelivery, WebhookEvent, list[Attempt]]:
    """A delivery, its event, and each attempt made at it."""
    delivery = uow.webhooks.find_delivery(delivery_id)
    if delivery is None:
        raise WebhookDeliveryNotFound(id=delivery_id)
    event = uow.webhooks.find_event(delivery.event_id)
    assert event is not None  # a foreign key says so
    return delivery, event, uow.webhooks.attempts(delivery_id)


def resend_delivery(uow: UnitOfWork, clock: Clock, delivery_id: str, *, actor_id: str | None = None) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again, as a new delivery (same body, a new
    Settle-Delivery id, three more days of retries); the original keeps its log."""
    original, _, _ = get_delivery(uow, delivery_id)
    endpoint = get_endpoint(uow, original.endpoint_id)
    if endpoint.removed_at is not None:
        raise WebhookEndpointRemoved(id=endpoint.id)
    again = WebhookDelivery.new(original.event_id, endpoint.id, clock.now(), resent_from=original.id)
    uow.webhooks.add_delivery(again)
    record(uow, clock, actor_id, "webhook.resent", f"webhooks/{endpoint.id}", details={"delivery": original.id})
    return again


def _listened(uow: UnitOfWork) -> tuple[list[WebhookEndpoint], frozenset[EventType]]:
    endpoints = uow.webhooks.endpoints()
    return endpoints, frozenset(event for endpoint in endpoints for event in endpoint.events)


def _write(uow: UnitOfWork, clock: Clock, endpoints: list[WebhookEndpoint], events: list[WebhookEvent]) -> int:
    """Each event with one delivery per endpoint that wants it; returns how many deliveries."""
    fanned = [(event, [each.id for each in endpoints if each.wants(event.type)]) for event in events]
    return uow.webhooks.add_events([(event, targets) for event, targets in fanned if targets], clock.now())


def _event(
    clock: Clock, kind: EventType, reference: str, data: dict[str, Any], caused_by: str | None = None
) -> WebhookEvent:
    event_id, now = ids.opaque_id(), clock.now()
    return WebhookEvent(event_id, kind, reference, payloads.envelope(event_id, kind, now, data, caused_by), now)


def record_invoices_issued(uow: UnitOfWork, clock: Clock, invoices: Iterable[Invoice]) -> int:
    """invoice.issued for each invoice (an import's batch); nothing is read when nobody listens."""
    endpoints, wanted = _listened(uow)
    if EventType.INVOICE_ISSUED not in wanted:
        return 0
    day = today(clock)
    events = [
        _event(clock, EventType.INVOICE_ISSUED, invoice.id, payloads.invoice_resource(invoice, day))
        for invoice in invoices
    ]
    return _write(uow, clock, endpoints, events)


def record_payment_outcome(uow: UnitOfWork, clock: Clock, payment: Payment) -> int:
    """payment.succeeded (and invoice.paid if nothing is left to pay), or payment.failed (and
    autopay.failed for an automatic charge); nothing while the payment is in flight."""
    endpoints, wanted = _listened(uow)
    if payment.status is PaymentStatus.SUCCEEDED:
        kinds = {EventType.PAYMENT_SUCCEEDED, EventType.INVOICE_PAID}
    elif payment.status is PaymentStatus.FAILED:
        kinds = {EventType.PAYMENT_FAILED} | ({EventType.AUTOPAY_FAILED} if payment.automatic else set())
    else:
        return 0
    if not kinds & wanted:
        return 0
    invoice = uow.invoices.get(payment.invoice_id)  # as the payment left it, in this transaction
    resource = payloads.payment_resource(invoice, payment)
    events = [_event(clock, kind, payment.id, resource) for kind in sorted(kinds - {EventType.INVOICE_PAID})]
    if EventType.INVOICE_PAID in kinds and invoice.amount_due.is_zero():
        paid = payloads.invoice_resource(invoice, today(clock))
        events.append(_event(clock, EventType.INVOICE_PAID, payment.id, paid, caused_by=resource["id"]))
    return _write(uow, clock, endpoints, events)


def record_refund_outcome(uow: UnitOfWork, clock: Clock, refund: Refund) -> int:
    """refund.succeeded once the money is given back."""
    if refund.status is not RefundStatus.SUCCEEDED:
        return 0
    endpoints, wanted = _listened(uow)
    if EventType.REFUND_SUCCEEDED not in wanted:
        return 0
    invoice = uow.invoices.get(refund.invoice_id)
    event = _event(clock, EventType.REFUND_SUCCEEDED, refund.id, payloads.refund_resource(invoice, refund))
    return _write(uow, clock, endpoints, [event])


def record_past_due(uow: UnitOfWork, clock: Clock, *, tz: str = "UTC", limit: int = 1000) -> int:
    """invoice.past_due for each invoice unpaid after its due date that has none yet (run
    periodically). Only invoices fallen due since the first endpoint for it was added: a new
    endpoint does not receive the history of every old unpaid invoice."""
    endpoints, wanted = _listened(uow)
    if EventType.INVOICE_PAST_DUE not in wanted:
        return 0
    day = today(clock, tz)
    since = min(_day(each, tz) for each in endpoints if each.wants(EventType.INVOICE_PAST_DUE))
    numbers = uow.webhooks.overdue_without_event(day, since, limit)
    events = [
        _event(clock, EventType.INVOICE_PAST_DUE, number, payloads.invoice_resource(uow.invoices.get(number), day))
        for number in numbers
    ]
    return _write(uow, clock, endpoints, events)


def _day(endpoint: WebhookEndpoint, tz: str) -> date:
    """The day before the endpoint was added: an invoice due that day falls past due after it."""
    return endpoint.created_at.astimezone(ZoneInfo(tz)).date() - timedelta(days=1)
