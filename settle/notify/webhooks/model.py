"""Webhook endpoints, events and deliveries, and the rules for delivering: which endpoint hears of
what, how long to wait after a failed attempt, when to give up.

An event is written once, in the transaction of the change that causes it, with one delivery per
endpoint subscribed to it at that moment (fan-out at write time: each delivery then carries its own
retry state, and an endpoint added later does not receive history). Delivery is at-least-once: a
receiver recognises a copy by the `Settle-Delivery` header, or a resent one by the event's `id`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from settle import ids
from settle.errors import N_, Conflict, Invalid, NotFound

FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
RETRY_FOR = timedelta(days=3)  # after this, a delivery that never got a 2xx is given up
ERROR_LENGTH = 500
URL_LENGTH = 2000
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret
SHORTEST_SECRET = 24


class EventType(StrEnum):
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_PAID = "invoice.paid"  # the amount due reached zero
    INVOICE_PAST_DUE = "invoice.past_due"
    PAYMENT_SUCCEEDED = "payment.succeeded"  # card payments and recorded bank transfers
    PAYMENT_FAILED = "payment.failed"  # every failed payment, automatic ones included
    AUTOPAY_FAILED = "autopay.failed"  # an automatic charge failed (also sent as payment.failed)
    REFUND_SUCCEEDED = "refund.succeeded"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be sent, now or at next_attempt_at
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # no 2xx within RETRY_FOR (resend to try again)
    CANCELLED = "cancelled"  # its endpoint was removed before it was delivered


class WebhookEndpointNotFound(NotFound):
    code = "WebhookEndpointNotFound"
    message = N_("Webhook endpoint '{id}' was not found.")


class WebhookDeliveryNotFound(NotFound):
    code = "WebhookDeliveryNotFound"
    message = N_("Webhook delivery '{id}' was not found.")


class InvalidWebhookUrl(Invalid):
    code = "InvalidWebhookUrl"
    message = N_("'{url}' is not a webhook URL: use http:// or https:// with a host and no user name or password.")


class UnknownWebhookEvent(Invalid):
    code = "UnknownWebhookEvent"
    message = N_("'{event}' is not a webhook event. Events: {events}.")


class WeakWebhookSecret(Invalid):
    code = "WeakWebhookSecret"
    message = N_("A webhook signing secret must be at least {length} characters long.")


class WebhookEndpointRemoved(Conflict):
    code = "WebhookEndpointRemoved"
    message = N_("Webhook endpoint '{id}' was removed: nothing is sent to it any more.")


def check_url(url: str) -> str:
    """An http(s) URL with a host, no credentials (they would show in lists and logs), no fragment."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise InvalidWebhookUrl(url=url) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.fragment
        or not port_ok
        or len(url) > URL_LENGTH
        or any(char.isspace() for char in url)
    ):
        raise InvalidWebhookUrl(url=url)
    return url


def parse_events(text: str) -> frozenset[EventType]:
    """`invoice.paid,payment.failed` → the event types; at least one, each known."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    known = ", ".join(event.value for event in EventType)
    if not names:
        raise UnknownWebhookEvent(event=text, events=known)
    chosen = set()
    for name in names:
        try:
            chosen.add(EventType(name))
        except ValueError:
            raise UnknownWebhookEvent(event=name, events=known) from None
    return frozenset(chosen)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_secret(secret: str) -> str:
    if len(secret) < SHORTEST_SECRET:
        raise WeakWebhookSecret(length=SHORTEST_SECRET)
    return secret


@dataclass(frozen=True)
class WebhookEndpoint:
    """Where the provider's system listens, for which events, and the secret both sides sign with."""

    id: str
    url: str
    events: frozenset[EventType]
    secret: str
    created_at: datetime
    removed_at: datetime | None = None

    @classmethod
    def new(cls, url: str, events: frozenset[EventType], secret: str, now: datetime) -> WebhookEndpoint:
        return cls(id=ids.opaque_id(), url=check_url(url), events=events, secret=check_secret(secret), created_at=now)

    def __repr__(self) -> str:  # never the secret, whoever logs the endpoint
        return f"WebhookEndpoint(id={self.id!r}, url={self.url!r}, events={sorted(self.events)!r})"

    def wants(self, event: EventType) -> bool:
        return self.removed_at is None and event in self.events


@dataclass(frozen=True)
class WebhookEvent:
    """Something that happened, once: `reference` names what makes it happen once (an invoice
    number for invoice.issued and invoice.past_due; the payment's id for invoice.paid and payment
    and autopay events; the refund's id), and `body` is the JSON sent, the same in every attempt."""

    id: str
    type: EventType
    reference: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class WebhookDelivery:
    """One event to one endpoint: its state, and the last attempt's outcome."""

    id: str
    event_id: str
    endpoint_id: str
    created_at: datetime
    next_attempt_at: datetime
    give_up_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    claimed_until: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    resent_from: str | None = None
    delivered_at: datetime | None = None

    @classmethod
    def new(cls, event_id: str, endpoint_id: str, now: datetime, resent_from: str | None = None) -> WebhookDelivery:
        return cls(
            id=ids.opaque_id(),
            event_id=event_id,
            endpoint_id=endpoint_id,
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + RETRY_FOR,
            resent_from=resent_from,
        )

    def after(self, attempt: Attempt) -> WebhookDelivery:
        """The delivery once `attempt` is over: delivered, tried again later, or given up."""
        tried = replace(
            self,
            attempts=attempt.number,
            claimed_until=None,
            last_status_code=attempt.status_code,
            last_error=attempt.error,
        )
        if attempt.succeeded:
            return replace(tried, status=DeliveryStatus.DELIVERED, delivered_at=attempt.finished_at)
        if attempt.finished_at >= self.give_up_at:
            return replace(tried, status=DeliveryStatus.FAILED)
        later = min(attempt.finished_at + retry_delay(attempt.number), self.give_up_at)
        return replace(tried, status=DeliveryStatus.PENDING, next_attempt_at=later)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after the 1st, 2nd, 3rd, 4th… failed attempt, at most LONGEST_WAIT; the
    last attempt is made when RETRY_FOR has passed (about 20 attempts in all)."""
    doublings = min(max(attempts - 1, 0), 20)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_WAIT)


@dataclass(frozen=True)
class Attempt:
    """One HTTP request of a delivery: its answer's status code, or why there was none."""

    delivery_id: str
    number: int
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @classmethod
    def answered(
        cls, delivery: WebhookDelivery, started: datetime, finished: datetime, duration_ms: int, status: int
    ) -> Attempt:
        error = None if 200 <= status < 300 else f"HTTP {status}"
        return cls(delivery.id, delivery.attempts + 1, started, finished, duration_ms, status, error)

    @classmethod
    def unanswered(
        cls, delivery: WebhookDelivery, started: datetime, finished: datetime, duration_ms: int, error: str
    ) -> Attempt:
        return cls(delivery.id, delivery.attempts + 1, started, finished, duration_ms, None, error[:ERROR_LENGTH])


@dataclass(frozen=True)
class Claimed:
    """A delivery a sender holds, with what it needs to send it."""

    delivery: WebhookDelivery
    event_type: EventType
    body: str
    url: str
    secret: str

    def __repr__(self) -> str:
        return f"Claimed(delivery={self.delivery.id!r}, event_type={self.event_type.value!r}, url={self.url!r})"


@dataclass(frozen=True)
class DeliveryView:
    """A delivery as operators list it."""

    delivery: WebhookDelivery
    event_type: EventType
    reference: str
    url: str
