"""What operators see of a running server: every answer carries a request id (the caller's or a new one) that
the audit trail records too; /metrics counts requests by route template, payments by outcome and the
processor's latency, and reads payments in flight and the outbox's depth from the database; /readyz says
when the database is not at the newest migration; log lines are JSON with the request id."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

import sqlalchemy as sa

from settle import demo
from settle.logs import JsonFormatter, reset_request_id, set_request_id
from settle.uow import UnitOfWork
from tests.web.api.conftest import ADMIN, API_VERSION, CONTOSO, DUE_NOW, Api

PAY = f"{CONTOSO}/invoices/{DUE_NOW}/pay"


def _pay(api: Api, request_id: str) -> None:
    with UnitOfWork(api.engine, write=False) as uow:
        card = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
    due = api.invoice(DUE_NOW).amount_due.to_decimal()
    body = f'{{"paymentMethodId": "/providers/Microsoft.Billing/paymentMethods/{card}", '
    body += f'"amount": {{"currency": "EUR", "value": {due}}}}}'
    headers = api.headers(ADMIN, **{"Idempotency-Key": "ops-1", "X-Request-Id": request_id})
    headers["Content-Type"] = "application/json"
    answer = api.client.post(PAY, params={"api-version": API_VERSION}, content=body.encode(), headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Request-Id"] == request_id


def test_every_answer_carries_the_callers_request_id_or_a_new_one(api: Api) -> None:
    given = api.client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.2"})
    made = api.client.get("/healthz")
    refused = api.client.get("/healthz", headers={"X-Request-Id": "no spaces <or> quotes"})

    assert given.headers["X-Request-Id"] == "lb-7f3a.2"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-Id"])


def test_the_audit_events_of_a_payment_carry_its_request_id(api: Api) -> None:
    _pay(api, "req-pay-1")

    with UnitOfWork(api.engine, write=False) as uow:
        events = uow.audit.list(resource=f"invoices/{DUE_NOW}")
    assert {event.action for event in events} >= {"payment.started", "payment.succeeded"}
    assert {(event.details or {}).get("request_id") for event in events} == {"req-pay-1"}


def test_metrics_count_requests_by_route_template_payments_and_processor_time(api: Api) -> None:
    _pay(api, "req-metrics")
    api.get(f"{CONTOSO}/invoices/G000100020")

    api.app.state.settings = replace(api.app.state.settings, metrics_token="scraper-token-0123456789")
    text = api.client.get("/metrics", headers={"Authorization": "Bearer scraper-token-0123456789"}).text

    route = "/providers/Microsoft.Billing/billingAccounts/{billingAccountName}/invoices/{invoiceName}"
    assert f'settle_http_requests_total{{method="GET",route="{route}",status="200"}}' in text
    assert f'settle_http_requests_total{{method="POST",route="{route}/pay",status="200"}}' in text
    assert f'settle_http_request_duration_seconds_bucket{{le="0.5",method="POST",route="{route}/pay"}}' in text
    assert re.search(r'settle_payments_total\{outcome="succeeded"\} [1-9]', text)
    assert re.search(r'settle_processor_request_duration_seconds_count\{operation="charge",result="ok"\} [1-9]', text)
    assert "settle_payments_in_flight 0.0" in text
    assert re.search(r"settle_outbox_pending [1-9]", text)  # the receipt, at least


def test_readyz_answers_503_when_the_database_is_not_at_the_newest_migration(api: Api) -> None:
    with api.engine.begin() as connection:
        head = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        answer = api.client.get("/readyz")
        alive = api.client.get("/healthz")
    finally:
        with api.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})

    assert answer.status_code == 503
    assert answer.json()["migrations"] == f"at 0001, not {head}"
    assert alive.status_code == 200  # liveness does not depend on the database


def test_log_lines_are_json_with_the_request_id_and_the_extra_fields() -> None:
    record = logging.LogRecord("settle.request", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.status = 200
    token = set_request_id("req-log")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        reset_request_id(token)

    assert line["message"] == "GET /x" and line["level"] == "info" and line["logger"] == "settle.request"
    assert (line["request_id"], line["status"]) == ("req-log", 200)
