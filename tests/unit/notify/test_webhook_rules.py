"""Webhook rules without a database: URLs and events an endpoint may have, the retry schedule, the
signature recipe, and bodies in the API's shapes with exact amounts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from settle.invoices.model import Invoice, InvoiceLine
from settle.money import Money
from settle.notify.webhooks import payloads
from settle.notify.webhooks.model import (
    FIRST_RETRY,
    LONGEST_WAIT,
    RETRY_FOR,
    Attempt,
    DeliveryStatus,
    EventType,
    InvalidWebhookUrl,
    UnknownWebhookEvent,
    WeakWebhookSecret,
    WebhookDelivery,
    WebhookEndpoint,
    new_secret,
    parse_events,
    retry_delay,
)
from settle.notify.webhooks.signature import sign, verify
from settle.web.api import serialise

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
SECRET = "whsec_test-secret-of-enough-length"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://erp.example/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://",
        "https://user:pass@erp.example/hook",
        "https://erp.example/hook#part",
        "https://erp.example/a hook",
        "erp.example/hook",
        "https://erp.example:99999/hook",
    ],
)
def test_an_endpoint_url_must_be_http_or_https_with_a_host_and_no_credentials(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl):
        WebhookEndpoint.new(url, frozenset({EventType.INVOICE_PAID}), SECRET, NOW)


def test_an_endpoint_is_registered_for_known_events_with_a_long_enough_secret() -> None:
    assert parse_events(" invoice.paid, payment.failed,invoice.paid ") == {
        EventType.INVOICE_PAID,
        EventType.PAYMENT_FAILED,
    }
    with pytest.raises(UnknownWebhookEvent, match=r"invoice\.payed"):
        parse_events("invoice.payed")
    with pytest.raises(UnknownWebhookEvent):
        parse_events(" , ")
    with pytest.raises(WeakWebhookSecret):
        WebhookEndpoint.new("http://127.0.0.1:9000/hook", frozenset({EventType.INVOICE_PAID}), "short", NOW)
    assert new_secret().startswith("whsec_") and new_secret() != new_secret()


def test_an_endpoint_never_shows_its_secret_when_printed_or_logged() -> None:
    endpoint = WebhookEndpoint.new("https://erp.example/hook", frozenset({EventType.INVOICE_PAID}), SECRET, NOW)
    assert SECRET not in repr(endpoint) and SECRET not in str(endpoint)


def test_retries_wait_twice_as_long_each_time_up_to_six_hours() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [FIRST_RETRY * k for k in (1, 2, 4, 8)]
    assert retry_delay(30) == LONGEST_WAIT


def _fail(delivery: WebhookDelivery, at: datetime) -> WebhookDelivery:
    return delivery.after(Attempt.answered(delivery, at, at, 12, 503))


def test_a_delivery_is_tried_for_three_days_with_a_last_try_when_they_are_up_then_failed() -> None:
    delivery = WebhookDelivery.new("event", "endpoint", NOW)
    tries = []
    while delivery.status is DeliveryStatus.PENDING:
        tries.append(delivery.next_attempt_at)
        delivery = _fail(delivery, delivery.next_attempt_at)
    assert delivery.status is DeliveryStatus.FAILED and delivery.last_error == "HTTP 503"
    assert tries[-1] == NOW + RETRY_FOR and len(tries) == delivery.attempts
    assert 15 <= len(tries) <= 25


def test_a_2xx_answer_delivers_and_anything_else_waits() -> None:
    delivery = WebhookDelivery.new("event", "endpoint", NOW)
    delivered = delivery.after(Attempt.answered(delivery, NOW, NOW, 40, 204))
    assert (delivered.status, delivered.delivered_at, delivered.last_error) == (DeliveryStatus.DELIVERED, NOW, None)
    redirected = delivery.after(Attempt.answered(delivery, NOW, NOW, 40, 301))
    assert redirected.status is DeliveryStatus.PENDING and redirected.next_attempt_at == NOW + FIRST_RETRY
    refused = delivery.after(Attempt.unanswered(delivery, NOW, NOW, 5, "ConnectError: refused"))
    assert refused.last_status_code is None and refused.last_error == "ConnectError: refused"


def test_a_signature_verifies_only_the_body_it_signed_with_its_secret_in_time() -> None:
    body = b'{"type":"invoice.paid","amount":151.86}'
    header = sign(SECRET, body, NOW)
    timestamp = header.split(",")[0]
    assert timestamp == f"t={int(NOW.timestamp())}"
    assert verify(SECRET, header, body, NOW + timedelta(minutes=4))
    assert not verify(SECRET, header, body.replace(b"151.86", b"1.86"), NOW)  # tampered body
    assert not verify(SECRET + "x", header, body, NOW)  # another secret
    assert not verify(SECRET, header, body, NOW + timedelta(minutes=6))  # too old: a replay
    assert not verify(SECRET, header.replace(timestamp, f"t={int(NOW.timestamp()) + 1}"), body, NOW)  # time changed
    assert not verify(SECRET, "v1=" + header.split("v1=")[1], body, NOW)  # no time
    rolled_over = f"{timestamp},v1={'0' * 64},v1={header.split('v1=')[1]}"
    assert verify(SECRET, rolled_over, body, NOW)  # one of several signatures matches
    assert not verify(SECRET, f"{timestamp},v1=é{'0' * 63}", body, NOW)  # non-ASCII: False, not a TypeError


def _invoice(currency: str, *amounts: int) -> Invoice:
    lines = [InvoiceLine("SECTION", f"Service {n}", Money(amount, currency)) for n, amount in enumerate(amounts)]
    return Invoice.issue(
        number="G000123456",
        billing_account_id="acc-1",
        billing_profile_id="AB12-CD34-EF5-GH6",
        currency=currency,
        invoice_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        lines=lines,
        created_at=NOW,
        tax_rate=Decimal("0.21"),
    )


@pytest.mark.parametrize(("currency", "written"), [("EUR", "1234567.89"), ("JPY", "123456789"), ("KWD", "123456.789")])
def test_amounts_are_written_from_the_exact_decimal_in_the_currency_s_digits(currency: str, written: str) -> None:
    invoice = _invoice(currency, 123_456_789)
    body = payloads.envelope("evt", EventType.INVOICE_ISSUED, NOW, payloads.invoice_resource(invoice, NOW.date()))
    assert f'"subTotal":{{"currency":"{currency}","value":{written}}}' in body
    parsed = json.loads(body, parse_float=Decimal)
    assert parsed["data"]["properties"]["subTotal"]["value"] == Decimal(written)
    assert (parsed["type"], parsed["createdTime"], parsed["apiVersion"]) == (
        "invoice.issued",
        "2026-03-15T12:00:00Z",
        "2024-04-01",
    )


def test_resource_ids_are_the_api_s() -> None:
    invoice = _invoice("EUR", 10_000)
    resource = payloads.invoice_resource(invoice, NOW.date())
    assert resource["id"] == serialise.invoice_id(invoice.billing_account_id, invoice.id)
    assert resource["properties"]["billingProfileId"] == serialise.profile_id("acc-1", "AB12-CD34-EF5-GH6")
    assert resource["properties"]["status"] == serialise.invoice_status(invoice, NOW.date()) == "Due"


def test_a_float_never_reaches_a_body() -> None:
    with pytest.raises(TypeError, match="never a float"):
        payloads.encode({"value": 1.5})
