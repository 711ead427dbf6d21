"""POST …/invoices/{invoice}/pay: the amount due charged exactly once per Idempotency-Key, every outcome
with its status (200, 202, 402, 409, 422, 403, 404), checked against the database and the processor."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from settle import demo
from settle.clock import today
from settle.payments.model import PaymentStatus
from settle.processor.interface import ChargeStatus
from settle.uow import UnitOfWork
from tests.web.api.conftest import (
    ADMIN,
    API_VERSION,
    CONTOSO,
    CONTOSO_BILLING,
    DUE_NOW,
    FABRIKAM_ADMIN,
    INVOICES,
    READER,
    Api,
)

PAY = f"{CONTOSO}/invoices/{DUE_NOW}/pay"


def _card_id(api: Api) -> str:
    with UnitOfWork(api.engine, write=False) as uow:
        method_id = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
    return f"/providers/Microsoft.Billing/paymentMethods/{method_id}"


def _pay(api: Api, body: dict[str, Any] | bytes, key: str | None = "key-1", user: str = ADMIN) -> httpx.Response:
    headers = api.headers(user, **({"Idempotency-Key": key} if key else {}))
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers["Content-Type"] = "application/json"
    return api.client.post(PAY, params={"api-version": API_VERSION}, content=content, headers=headers)


def _raw_body(api: Api, value: str, card_id: str | None = None) -> bytes:
    """The body with the amount written as the JSON number literal `value`, as a careful client sends it."""
    card = card_id or _card_id(api)
    return f'{{"paymentMethodId": "{card}", "amount": {{"currency": "EUR", "value": {value}}}}}'.encode()


def _due_literal(api: Api) -> str:
    return str(api.invoice(DUE_NOW).amount_due.to_decimal())


def _succeeded_charges(api: Api) -> int:
    return len(api.processor.charges(status=ChargeStatus.SUCCEEDED))


def test_paying_the_amount_due_answers_200_with_the_payment_and_the_invoice_is_paid(api: Api) -> None:
    due = api.invoice(DUE_NOW).amount_due
    response = _pay(api, _raw_body(api, _due_literal(api)))
    assert response.status_code == 200, response.text
    body = json.loads(response.text, parse_float=Decimal)
    with UnitOfWork(api.engine, write=False) as uow:
        (payment,) = uow.payments.list_for_invoice(DUE_NOW)
    assert payment.status is PaymentStatus.SUCCEEDED and payment.amount == due
    assert body["id"] == f"{CONTOSO}/invoices/{DUE_NOW}/payments/{payment.id}"
    assert body["properties"]["status"] == "Succeeded"
    assert body["properties"]["amount"] == {"currency": "EUR", "value": due.to_decimal()}
    assert body["properties"]["receiptNumber"] == payment.receipt_number == f"{DUE_NOW}-R1"
    assert body["properties"]["paymentMethodId"] == _card_id(api)
    assert api.invoice(DUE_NOW).amount_due.is_zero() and _succeeded_charges(api) == 1
    shown = api.get(f"{CONTOSO}/invoices/{DUE_NOW}").json()["properties"]
    assert shown["status"] == "Paid" and shown["payments"][0]["paymentMethodType"] == "visa"


def test_the_same_key_and_body_again_returns_the_first_answer_without_a_second_charge(api: Api) -> None:
    body = _raw_body(api, _due_literal(api))
    first, again = _pay(api, body), _pay(api, body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert _succeeded_charges(api) == 1
    with UnitOfWork(api.engine, write=False) as uow:
        assert len(uow.payments.list_for_invoice(DUE_NOW)) == 1


def test_the_same_key_with_another_body_is_422(api: Api) -> None:
    assert _pay(api, _raw_body(api, _due_literal(api))).status_code == 200
    other = _pay(api, _raw_body(api, "1.00"))
    assert (other.status_code, other.json()["error"]["code"]) == (422, "IdempotencyKeyReused")
    assert _succeeded_charges(api) == 1


def test_a_new_key_on_a_paid_invoice_is_409_already_paid(api: Api) -> None:
    assert _pay(api, _raw_body(api, _due_literal(api))).status_code == 200
    again = _pay(api, _raw_body(api, "0.01"), key="key-2")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "AlreadyPaid")
    assert _succeeded_charges(api) == 1


def test_an_amount_other_than_the_amount_due_is_409_amount_changed(api: Api) -> None:
    response = _pay(api, _raw_body(api, "1.00"))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "AmountChanged")
    assert _succeeded_charges(api) == 0 and api.invoice(DUE_NOW).amount_due.is_positive()


@pytest.mark.parametrize(("value", "code"), [("12.345", "InvalidAmount"), ('"12.34"', "InvalidParameter")])
def test_an_amount_that_is_not_an_exact_number_of_cents_is_400(api: Api, value: str, code: str) -> None:
    response = _pay(api, _raw_body(api, value))
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)


def test_a_request_without_idempotency_key_is_400(api: Api) -> None:
    response = _pay(api, _raw_body(api, _due_literal(api)), key=None)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "MissingIdempotencyKey")
    assert _succeeded_charges(api) == 0


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"paymentMethodId": "x"}', b"NaN"])
def test_a_malformed_body_is_400(api: Api, body: bytes) -> None:
    response = _pay(api, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"InvalidRequestContent", "InvalidParameter"}


def test_a_billing_account_reader_lists_invoices_but_gets_403_on_pay(api: Api) -> None:
    assert api.get(f"{CONTOSO_BILLING}/invoices", user=READER).status_code == 200
    response = _pay(api, _raw_body(api, _due_literal(api)), user=READER)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "AuthorizationFailed")
    assert "pay_invoices" in response.json()["error"]["message"]
    assert _succeeded_charges(api) == 0 and api.invoice(DUE_NOW).amount_due.is_positive()


def test_another_customers_admin_gets_404_on_paying_a_contoso_invoice(api: Api) -> None:
    response = _pay(api, _raw_body(api, _due_literal(api)), user=FABRIKAM_ADMIN)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "InvoiceNotFound")
    assert _succeeded_charges(api) == 0


def test_an_invoice_manager_pays_with_a_card_of_the_profile(api: Api) -> None:
    response = _pay(api, _raw_body(api, _due_literal(api)), user=INVOICES)
    assert response.status_code == 200 and api.invoice(DUE_NOW).amount_due.is_zero()


def test_a_declined_card_is_402_with_the_decline_code_and_the_invoice_stays_payable(api: Api) -> None:
    card = api.add_card("4000000000009995")
    response = _pay(api, _raw_body(api, _due_literal(api), f"/providers/Microsoft.Billing/paymentMethods/{card.id}"))
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "PaymentDeclined" and "insufficient funds" in error["message"]
    assert error["additionalInfo"][0]["info"]["declineCode"] == "insufficient_funds"
    assert api.invoice(DUE_NOW).is_payable(today(api.clock)) and _succeeded_charges(api) == 0
    failed = api.get(f"{CONTOSO}/invoices/{DUE_NOW}").json()["properties"]["failedPayments"]
    assert [entry["failedPaymentReason"] for entry in failed] == ["BankDeclined"]


def test_a_3d_secure_card_is_202_with_the_challenge_url(api: Api) -> None:
    card = api.add_card("4000002500003155")
    response = _pay(api, _raw_body(api, _due_literal(api), f"/providers/Microsoft.Billing/paymentMethods/{card.id}"))
    assert response.status_code == 202
    properties = response.json()["properties"]
    with UnitOfWork(api.engine, write=False) as uow:
        (payment,) = uow.payments.list_for_invoice(DUE_NOW)
    assert payment.status is PaymentStatus.REQUIRES_ACTION
    assert properties["status"] == "RequiresAction" and properties["challengeUrl"] == payment.challenge_url
    other_key = _pay(api, _raw_body(api, _due_literal(api)), key="key-2")
    assert (other_key.status_code, other_key.json()["error"]["code"]) == (409, "PaymentInProgress")


def test_a_payment_method_of_another_profile_is_404(api: Api) -> None:
    card = api.add_card("4242424242424242", profile=demo.FABRIKAM_BILLING, owner=FABRIKAM_ADMIN)
    body = _raw_body(api, _due_literal(api), f"/providers/Microsoft.Billing/paymentMethods/{card.id}")
    response = _pay(api, body)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "PaymentMethodNotFound")
    assert _succeeded_charges(api) == 0


def test_payment_method_links_of_a_profile_list_its_cards_default_first(api: Api) -> None:
    extra = api.add_card("5555555555554444")
    body = api.get(f"{CONTOSO_BILLING}/paymentMethodLinks", user=INVOICES).json()
    with UnitOfWork(api.engine, write=False) as uow:
        default = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
        card = uow.payment_methods.get(default)  # type: ignore[arg-type]
    assert [item["name"] for item in body["value"]] == [card.id, extra.id]
    first = body["value"][0]
    assert first["id"] == f"{CONTOSO_BILLING}/paymentMethodLinks/{card.id}"
    assert first["type"] == "Microsoft.Billing/billingAccounts/billingProfiles/paymentMethodLinks"
    assert first["properties"] == {
        "paymentMethodId": f"/providers/Microsoft.Billing/paymentMethods/{card.id}",
        "accountHolderName": card.holder,
        "displayName": card.display_name,
        "expiration": f"{card.expiry_month}/{card.expiry_year}",
        "family": "CreditCard",
        "lastFourDigits": "4242",
        "paymentMethodType": "visa",
        "status": "active",
    }
    one = api.get(f"{CONTOSO_BILLING}/paymentMethodLinks/{extra.id}").json()
    assert one["properties"]["lastFourDigits"] == "4444"


def test_payment_methods_of_an_account_are_each_card_once(api: Api) -> None:
    body = api.get(f"{CONTOSO}/paymentMethods").json()
    with UnitOfWork(api.engine, write=False) as uow:
        cards = {
            m.id for p in (demo.CONTOSO_BILLING, demo.CONTOSO_RND) for m in uow.payment_methods.list_for_profile(p)
        }
    assert [item["name"] for item in body["value"]] == sorted(cards) and len(cards) == 1
    assert body["value"][0]["id"] == f"{CONTOSO}/paymentMethods/{body['value'][0]['name']}"
    assert api.get(f"{CONTOSO}/paymentMethods", user=FABRIKAM_ADMIN).status_code == 404
    assert api.get(f"{CONTOSO}/paymentMethods/nope").json()["error"]["code"] == "PaymentMethodNotFound"
