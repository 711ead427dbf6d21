"""The API's face of automatic payment and refunds: a billing profile's autoPay, an invoice's
failedPayments[] after a failed automatic charge, and the operators' refund extension with the
refund listed in the invoice's payments[]."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from settle import demo
from settle.access.api_tokens import create_api_token
from settle.access.operators import grant_operator
from settle.accounts.service import add_user
from settle.clock import today
from settle.payments.autopay import run_autopay
from settle.payments.service import make_default_payment_method
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD
from tests.web.api.conftest import ADMIN, API_VERSION, CONTOSO, CONTOSO_BILLING, DUE_NOW, FABRIKAM_ADMIN, Api

OPERATOR = "ops@settle.example"
INVOICE = f"{CONTOSO_BILLING}/invoices/{DUE_NOW}"


def test_a_billing_profile_shows_whether_it_pays_automatically(api: Api) -> None:
    billing = api.get(CONTOSO_BILLING).json()["properties"]
    rnd = api.get(f"{CONTOSO}/billingProfiles/{demo.CONTOSO_RND}").json()["properties"]
    assert (billing["autoPay"], billing["autoPaySince"]) == ("On", f"{today(api.clock)}T00:00:00Z")
    assert rnd["autoPay"] == "Off" and "autoPaySince" not in rnd


def test_a_failed_automatic_charge_is_listed_in_failed_payments_with_its_reason(api: Api) -> None:
    declining = api.add_card("4000000000009995")
    with UnitOfWork(api.engine) as uow:
        owner = uow.users.get_by_email(ADMIN).id
        make_default_payment_method(
            uow, api.clock, actor_id=owner, profile_id=demo.CONTOSO_BILLING, method_id=declining.id
        )
    api.clock.advance(timedelta(days=(api.invoice(DUE_NOW).due_date - today(api.clock)).days))
    report = run_autopay(api.engine, api.processor, api.clock)
    assert report.declined >= 1
    properties = api.get(f"{CONTOSO}/invoices/{DUE_NOW}").json()["properties"]
    assert properties["failedPayments"] == [
        {"date": properties["failedPayments"][0]["date"], "failedPaymentReason": "BankDeclined"}
    ]
    assert properties["payments"] == [] and properties["status"] == "Due"


@pytest.fixture
def operator(api: Api) -> str:
    """A provider operator (granted explicitly) with an API token; returns the token's user key."""
    with UnitOfWork(api.engine) as uow:
        user = add_user(uow, api.clock, verified=True, email=OPERATOR, display_name="Operator", password=PASSWORD)
        api.tokens[OPERATOR], _ = create_api_token(uow, api.clock, user.id, "tests")
        grant_operator(uow, api.clock, OPERATOR)
    return OPERATOR


def _paid(api: Api) -> str:
    """Pay the invoice due now with the demo card; the payment's id."""
    with UnitOfWork(api.engine, write=False) as uow:
        card = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
    due = api.invoice(DUE_NOW).amount_due.to_decimal()
    method = f"/providers/Microsoft.Billing/paymentMethods/{card}"
    content = f'{{"paymentMethodId": "{method}", "amount": {{"currency": "EUR", "value": {due}}}}}'.encode()
    headers = api.headers(ADMIN, **{"Idempotency-Key": "pay-1", "Content-Type": "application/json"})
    response = api.client.post(
        f"{CONTOSO}/invoices/{DUE_NOW}/pay", params={"api-version": API_VERSION}, content=content, headers=headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["name"])


def _refund(
    api: Api, payment: str, body: Any, user: str, key: str | None = "refund-1", path: str = INVOICE
) -> httpx.Response:
    headers = api.headers(user, **({"Idempotency-Key": key} if key else {}), **{"Content-Type": "application/json"})
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = f"{path}/payments/{payment}/refund"
    return api.client.post(url, params={"api-version": API_VERSION}, content=content, headers=headers)


def test_an_operator_refunds_part_of_a_payment_and_the_invoice_lists_it_as_credited(api: Api, operator: str) -> None:
    payment = _paid(api)
    total = api.invoice(DUE_NOW).total
    response = _refund(api, payment, b'{"amount": {"currency": "EUR", "value": 10.05}}', operator)
    assert response.status_code == 200, response.text
    body = json.loads(response.text, parse_float=Decimal)
    assert body["id"].startswith(f"{INVOICE}/payments/{payment}/refunds/")
    assert body["properties"]["status"] == "Succeeded"
    assert body["properties"]["amount"] == {"currency": "EUR", "value": Decimal("10.05")}
    assert body["properties"]["amountDue"] == {"currency": "EUR", "value": Decimal("10.05")}
    assert body["properties"]["receiptNumber"] == f"{DUE_NOW}-RF1"
    again = _refund(api, payment, b'{"amount": {"currency": "EUR", "value": 10.05}}', operator)
    assert again.json() == response.json()  # the same key: the same refund, once
    shown = json.loads(api.get(f"{CONTOSO}/invoices/{DUE_NOW}").text, parse_float=Decimal)["properties"]
    assert [(p["paymentType"], p["amount"]["value"]) for p in shown["payments"]] == [
        ("debited", total.to_decimal()),
        ("credited", Decimal("-10.05")),
    ]
    assert shown["status"] == "Due" and shown["amountDue"]["value"] == Decimal("10.05")
    assert len(api.processor.refunds()) == 1


def test_refunding_more_than_is_left_is_400_and_the_rest_in_full_is_200(api: Api, operator: str) -> None:
    payment = _paid(api)
    due = api.invoice(DUE_NOW).total.to_decimal()
    too_much = _refund(api, payment, {"amount": {"currency": "EUR", "value": 0}}, operator, key="k0")
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (400, "RefundNotPositive")
    over = _refund(
        api,
        payment,
        f'{{"amount": {{"currency": "EUR", "value": {due + Decimal("0.01")}}}}}'.encode(),
        operator,
        key="k1",
    )
    assert (over.status_code, over.json()["error"]["code"]) == (400, "RefundExceedsRefundable")
    assert f"At most {due} EUR" in over.json()["error"]["message"]
    full = _refund(api, payment, b"", operator, key="k2")
    assert full.status_code == 200
    assert json.loads(full.text, parse_float=Decimal)["properties"]["amountDue"]["value"] == due
    nothing = _refund(api, payment, b"", operator, key="k3")
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (409, "NothingLeftToRefund")


def test_customers_cannot_refund_and_others_do_not_learn_of_the_payment(api: Api, operator: str) -> None:
    payment = _paid(api)
    own = _refund(api, payment, b"", ADMIN)
    assert (own.status_code, own.json()["error"]["code"]) == (403, "AuthorizationFailed")
    elsewhere = _refund(api, payment, b"", FABRIKAM_ADMIN)
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (404, "PaymentNotFound")
    wrong_path = _refund(api, payment, b"", operator, path=f"{CONTOSO_BILLING}/invoices/G000100022")
    assert (wrong_path.status_code, wrong_path.json()["error"]["code"]) == (404, "PaymentNotFound")
    no_key = _refund(api, payment, b"", operator, key=None)
    assert no_key.status_code == 400
    assert api.processor.refunds() == [] and api.invoice(DUE_NOW).amount_due.is_zero()
