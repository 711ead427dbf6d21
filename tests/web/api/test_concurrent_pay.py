"""Fifty clients press Pay at the same moment, each with its own Idempotency-Key, against a real server:
the invoice is charged once; every other answer is 409."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from settle import demo
from settle.payments.model import PaymentStatus
from settle.processor.interface import ChargeStatus
from settle.uow import UnitOfWork
from tests.web.api.conftest import ADMIN, API_VERSION, CONTOSO, DUE_NOW, Api

CALLERS = 50


def test_fifty_concurrent_pay_calls_with_distinct_keys_charge_once(api: Api, server: str) -> None:
    due = api.invoice(DUE_NOW).amount_due
    with UnitOfWork(api.engine, write=False) as uow:
        card = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
    body = (
        f'{{"paymentMethodId": "/providers/Microsoft.Billing/paymentMethods/{card}", '
        f'"amount": {{"currency": "EUR", "value": {due.to_decimal()}}}}}'
    ).encode()
    start = threading.Barrier(CALLERS)

    def press_pay(caller: int) -> tuple[int, str]:
        headers = {**api.headers(ADMIN), "Idempotency-Key": f"press-{caller}", "Content-Type": "application/json"}
        with httpx.Client(base_url=server, timeout=120) as client:
            start.wait()
            response = client.post(
                f"{CONTOSO}/invoices/{DUE_NOW}/pay", params={"api-version": API_VERSION}, content=body, headers=headers
            )
        code = response.json()["error"]["code"] if response.status_code >= 400 else response.json()["name"]
        return response.status_code, code

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        answers = list(pool.map(press_pay, range(CALLERS)))

    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: 1, 409: CALLERS - 1}, answers
    assert {code for status, code in answers if status == 409} <= {"PaymentInProgress", "AlreadyPaid"}
    assert len(api.processor.charges(status=ChargeStatus.SUCCEEDED)) == 1
    assert api.processor.total_charged("EUR") == due
    with UnitOfWork(api.engine, write=False) as uow:
        payments = uow.payments.list_for_invoice(DUE_NOW)
    assert [(p.status, p.amount) for p in payments] == [(PaymentStatus.SUCCEEDED, due)]
    assert [payments[0].id] == [code for status, code in answers if status == 200]
    assert api.invoice(DUE_NOW).amount_due.is_zero()
