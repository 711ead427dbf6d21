"""The webhook sender: claims the deliveries that are due, POSTs each event's body, signed, to its
endpoint, and records every attempt (status code or error, and how long it took).

At-least-once, as the e-mail outbox: a delivery is marked delivered only after its endpoint answered
2xx, in a transaction of its own; a sender that dies in between leaves it claimed, and once the
lease runs out another sender posts it again with the same `Settle-Delivery` id. A claim is held by
one sender at a time (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer), so two server
processes never post the same delivery together."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine

from settle.clock import Clock
from settle.config import Settings
from settle.notify.webhooks.model import FIRST_RETRY, Attempt, Claimed, DeliveryStatus, WebhookDelivery
from settle.notify.webhooks.service import record_past_due
from settle.notify.webhooks.signature import HEADER, sign
from settle.uow import UnitOfWork

LEASE = timedelta(minutes=5)  # far longer than a batch takes (at most BATCH × TIMEOUT, cut off by ROUND_SECONDS)
BATCH = 20
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ROUND_SECONDS = 30.0  # the server's background round has other work too: the rest waits for the next one
USER_AGENT = "Settle-Webhooks/1"

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # not tried this round: their endpoint was unreachable a moment before


def deliver_due(
    engine: Engine,
    clock: Clock,
    *,
    client: httpx.Client | None = None,
    limit: int = BATCH,
    lease: timedelta = LEASE,
    budget_seconds: float = ROUND_SECONDS,
) -> DeliveryReport:
    """Claim and send due deliveries, batch after batch, until none is due or the round's time is up."""
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False, headers={"User-Agent": USER_AGENT})
    report = DeliveryReport()
    deadline = time.monotonic() + budget_seconds
    try:
        while time.monotonic() < deadline:
            with UnitOfWork(engine) as uow:
                claimed = uow.webhooks.claim_due(clock.now(), lease, limit)
            _send_batch(engine, clock, http, claimed, report, deadline)
            if len(claimed) < limit:
                break
    finally:
        if own:
            http.close()
    return report


def _send_batch(
    engine: Engine, clock: Clock, http: httpx.Client, claimed: list[Claimed], report: DeliveryReport, deadline: float
) -> None:
    """Send a batch one by one. An endpoint that does not answer is not asked again this round: the
    rest of its deliveries wait as long as the one that failed (no attempt is counted for them), so
    that its backlog does not hold up the other endpoints' deliveries."""
    down: dict[str, datetime] = {}  # endpoint → when its deliveries are tried next
    unsent = [each.delivery for each in claimed]
    postponed: list[tuple[WebhookDelivery, datetime]] = []
    for each in claimed:
        delivery = each.delivery
        if delivery.claimed_until is not None and clock.now() >= delivery.claimed_until:
            break  # the lease ran out: another sender may hold these now
        if time.monotonic() >= deadline:
            break  # the round's time is up: the rest go back, due as they were
        unsent.remove(delivery)
        if delivery.endpoint_id in down:
            postponed.append((delivery, min(down[delivery.endpoint_id], delivery.give_up_at)))
            report.deferred += 1
            continue
        attempt, unreachable = _post(http, clock, each)
        after = _record(engine, each, attempt, report)
        if unreachable:
            pending = after.status is DeliveryStatus.PENDING
            down[delivery.endpoint_id] = after.next_attempt_at if pending else clock.now() + FIRST_RETRY
    _give_back(engine, unsent, postponed)


def _post(http: httpx.Client, clock: Clock, claimed: Claimed) -> tuple[Attempt, bool]:
    """One attempt, and whether the endpoint could not be reached at all (no answer)."""
    delivery, body = claimed.delivery, claimed.body.encode("utf-8")
    started = clock.now()
    headers = {
        "Content-Type": "application/json",
        "Settle-Event": claimed.event_type.value,
        "Settle-Delivery": delivery.id,
        HEADER: sign(claimed.secret, body, started),
    }
    timer = time.perf_counter()
    try:
        with http.stream("POST", claimed.url, content=body, headers=headers) as response:
            status = response.status_code  # the body is not read: only the status counts
    except httpx.TransportError as down:  # refused, time-outs, TLS: nobody answered
        return Attempt.unanswered(delivery, started, clock.now(), _ms(timer), _describe(down)), True
    except Exception as error:  # one delivery that cannot be sent must not hold up the others
        log.exception("webhook delivery %s could not be sent", delivery.id)
        return Attempt.unanswered(delivery, started, clock.now(), _ms(timer), _describe(error)), False
    return Attempt.answered(delivery, started, clock.now(), _ms(timer), status), False


def _record(engine: Engine, claimed: Claimed, attempt: Attempt, report: DeliveryReport) -> WebhookDelivery:
    """Store the attempt and the delivery's state after it; returns that state."""
    delivery = claimed.delivery
    after = delivery.after(attempt)
    with UnitOfWork(engine) as uow:
        kept = uow.webhooks.record(attempt, after, delivery.claimed_until)
    if not kept:
        log.warning(
            "webhook delivery %s: the claim ran out during attempt %d; not recorded", delivery.id, attempt.number
        )
        return after
    outcome = f"HTTP {attempt.status_code}" if attempt.status_code is not None else attempt.error
    level = logging.INFO if attempt.succeeded else logging.WARNING
    log.log(
        level,
        "webhook delivery %s (%s) to endpoint %s: attempt %d, %s in %d ms; %s",
        delivery.id,
        claimed.event_type.value,
        delivery.endpoint_id,
        attempt.number,
        outcome,
        attempt.duration_ms,
        after.status.value,
    )
    if after.status is DeliveryStatus.DELIVERED:
        report.delivered += 1
    elif after.status is DeliveryStatus.FAILED:
        report.failed += 1
    else:
        report.retrying += 1
    return after


def _give_back(
    engine: Engine, unsent: list[WebhookDelivery], postponed: list[tuple[WebhookDelivery, datetime]]
) -> None:
    """Give back the claims not used this round: due as they were, or postponed (endpoint down)."""
    if not unsent and not postponed:
        return
    with UnitOfWork(engine) as uow:
        for delivery in unsent:
            uow.webhooks.release(delivery, delivery.next_attempt_at)
        for delivery, until in postponed:
            uow.webhooks.release(delivery, until)


def _ms(timer: float) -> int:
    return round((time.perf_counter() - timer) * 1000)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def run_webhooks(engine: Engine, clock: Clock, settings: Settings) -> tuple[int, DeliveryReport]:
    """One round of the webhook worker: write the invoice.past_due events that are due, then send
    what waits. Returns how many past-due events were written, and the sending."""
    with UnitOfWork(engine) as uow:
        written = record_past_due(uow, clock, tz=settings.timezone)
    return written, deliver_due(engine, clock)
