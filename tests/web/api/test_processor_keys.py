"""The built-in processor at /processor, attacked as the internet can reach it: without Settle's secret key
nothing moves money or shows a charge; the browser's publishable key makes card tokens and nothing else;
a 3-D Secure challenge opens only through the link its payer was given, and sends them back only into
Settle; a card token is claimed once, by the browser's own user, soon after it was made."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from settle import demo
from settle.invoices.model import InvoiceStatus
from settle.processor.interface import ChargeStatus
from settle.uow import UnitOfWork
from tests.web.api.conftest import ADMIN, CONTOSO, DUE_NOW, FABRIKAM_ADMIN, READER, Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PUBLISHABLE = re.compile(r'data-publishable-key="([^"]+)"')
CARD = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2031, "cvc": "123", "holder": "Jane Doe"}


def _paid_by_card(api: Api) -> str:
    """Pay this month's invoice with the demo's saved card: the charge's reference, as receipts print it."""
    with UnitOfWork(api.engine, write=False) as uow:
        card = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
    body = {
        "paymentMethodId": f"/providers/Microsoft.Billing/paymentMethods/{card}",
        "amount": {"currency": "EUR", "value": float(api.invoice(DUE_NOW).amount_due.to_decimal())},
    }
    paid = api.post(f"{CONTOSO}/invoices/{DUE_NOW}/pay", body, headers={"Idempotency-Key": "pay-1"})
    assert paid.status_code == 200, paid.text
    (charge,) = api.processor.charges()
    return charge.reference


def _as(user: str | None, api: Api) -> dict[str, str]:
    """What an attacker can send: nothing, or a Settle API token of their own (which is not the processor's key)."""
    return api.headers(user) if user else {}


@pytest.mark.parametrize("attacker", [None, READER, FABRIKAM_ADMIN])
def test_nobody_without_the_secret_key_refunds_charges_or_looks_up(api: Api, attacker: str | None) -> None:
    reference = _paid_by_card(api)
    headers = {**_as(attacker, api), "Idempotency-Key": "steal-1"}
    with UnitOfWork(api.engine, write=False) as uow:
        token = uow.payment_methods.get(
            uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
        ).processor_token  # type: ignore[arg-type]
        (payment,) = uow.payments.list_for_invoice(DUE_NOW)
    refund = {"charge_reference": reference, "amount_minor": 100, "currency": "EUR"}
    charge = {"token": token, "amount_minor": 5000, "currency": "EUR"}
    attempts = [
        api.client.post("/processor/v1/refunds", json=refund, headers=headers),
        api.client.post("/processor/v1/charges", json=charge, headers=headers),
        api.client.get(f"/processor/v1/charges/{payment.id}", headers=headers),
        api.client.get(f"/processor/v1/tokens/{token}", headers=headers),
        api.client.post(f"/processor/v1/tokens/{token}/attach", json={"owner": "thief"}, headers=headers),
    ]
    for answer in attempts:
        assert answer.status_code == 401, (answer.request.url, answer.text)
        assert answer.headers["WWW-Authenticate"] == "Bearer" and answer.json()["error"]["code"] == "Unauthenticated"
        assert reference not in answer.text and token not in answer.text
    assert api.processor.refunds() == [] and len(api.processor.charges()) == 1
    assert api.invoice(DUE_NOW).status(api.clock.now().date()) is InvoiceStatus.PAID


def test_the_publishable_key_makes_tokens_and_nothing_else(api: Api) -> None:
    reference = _paid_by_card(api)
    browser = _signed_in(api, ADMIN)
    page = browser.get("/billing/payment-methods")
    publishable = PUBLISHABLE.search(page.text)
    assert publishable, "the card form carries the publishable key for the browser"
    key = {"Authorization": f"Bearer {publishable.group(1)}"}
    assert api.client.post("/processor/v1/tokens", json=CARD).status_code == 401  # no key: no token either
    made = api.client.post("/processor/v1/tokens", json=CARD, headers=key)
    assert made.status_code == 200 and made.json()["last4"] == "4242"
    refund = {"charge_reference": reference, "amount_minor": 100, "currency": "EUR"}
    assert (
        api.client.post("/processor/v1/refunds", json=refund, headers={**key, "Idempotency-Key": "r"}).status_code
        == 401
    )
    assert api.client.get(f"/processor/v1/tokens/{made.json()['token']}", headers=key).status_code == 401
    assert api.processor.refunds() == []
    secret = {"Authorization": f"Bearer {api.app.state.settings.processor_secret_key}", "Idempotency-Key": "r"}
    assert api.client.post("/processor/v1/refunds", json=refund, headers=secret).status_code == 200  # Settle's own key


def test_the_3d_secure_challenge_opens_only_by_its_link_and_returns_only_into_settle(api: Api) -> None:
    card = api.add_card("4000002500003155")
    body = {
        "paymentMethodId": f"/providers/Microsoft.Billing/paymentMethods/{card.id}",
        "amount": {"currency": "EUR", "value": float(api.invoice(DUE_NOW).amount_due.to_decimal())},
    }
    answer = api.post(f"{CONTOSO}/invoices/{DUE_NOW}/pay", body, headers={"Idempotency-Key": "3ds"})
    assert answer.status_code == 202
    link = urlsplit(answer.json()["properties"]["challengeUrl"]).path
    (charge,) = api.processor.charges()
    by_reference = f"/processor/challenge/{charge.reference}"  # what a receipt or a look-up would give away
    assert api.client.get(by_reference).status_code == 404
    assert api.client.post(by_reference, data={"action": "complete"}).status_code == 404
    assert api.processor.charges()[0].status is ChargeStatus.REQUIRES_ACTION
    base = api.app.state.settings.base_url
    netloc = urlsplit(base).netloc
    elsewhere = [
        f"{base}.evil.example/",
        "https://evil.example/",
        f"{base}/../x",
        "/billing",
        f"//{netloc}@evil.example/",
    ]
    for return_url in elsewhere:
        shown = api.client.get(link, params={"return_url": return_url})
        assert shown.status_code == 200 and "Complete" in shown.text
    back = f"{base}/billing/invoices/{DUE_NOW}/pay/confirm?payment=x"
    done = api.client.post(
        link, data={"action": "complete", "return_url": "https://evil.example/"}, follow_redirects=False
    )
    assert done.status_code == 200 and "evil" not in done.text  # completed, but sent nowhere
    assert api.processor.charges()[0].status is ChargeStatus.SUCCEEDED
    again = api.client.get(link, params={"return_url": back}, follow_redirects=False)
    assert again.status_code == 200 and f'href="{back.replace("&", "&amp;")}"' in again.text


def _signed_in(api: Api, email: str) -> TestClient:
    """A browser of its own (its own cookies) on the same app, signed in through the form."""
    browser = TestClient(api.app)
    csrf = CSRF.search(browser.get("/signin").text)
    assert csrf
    form = {"email": email, "password": demo.PASSWORD, "next": "/", "csrf_token": csrf.group(1)}
    assert browser.post("/signin", data=form, follow_redirects=False).status_code == 303
    return browser


def _add_card(browser: TestClient, profile: str, token: str) -> httpx.Response:
    csrf = CSRF.search(browser.get("/billing/payment-methods").text)
    assert csrf
    form = {"csrf_token": csrf.group(1), "profile_id": profile, "card_token": token}
    return browser.post("/billing/payment-methods/add", data=form)


def _saved_cards(api: Api, profile: str) -> int:
    with UnitOfWork(api.engine, write=False) as uow:
        return len(uow.payment_methods.list_for_profile(profile))


def test_a_card_token_is_claimed_once_by_its_own_user_and_soon(api: Api) -> None:
    contoso, fabrikam = _signed_in(api, ADMIN), _signed_in(api, FABRIKAM_ADMIN)
    token = api.processor.tokenize("5555555555554444", 12, 2031, "123", "Ann Owner").token  # Contoso's browser
    added = _add_card(contoso, demo.CONTOSO_BILLING, token)
    assert added.status_code == 200 and "The card was added." in added.text
    before = _saved_cards(api, demo.FABRIKAM_BILLING), _saved_cards(api, demo.CONTOSO_BILLING)
    stolen = _add_card(fabrikam, demo.FABRIKAM_BILLING, token)  # seen in a log, a screenshot, a shared machine
    assert stolen.status_code == 400 and "already used or has expired" in stolen.text
    twice = _add_card(contoso, demo.CONTOSO_BILLING, token)
    assert twice.status_code == 400 and "already used or has expired" in twice.text
    assert (_saved_cards(api, demo.FABRIKAM_BILLING), _saved_cards(api, demo.CONTOSO_BILLING)) == before
    stale = api.processor.tokenize("4000056655665556", 12, 2031, "123", "Ann Owner").token
    api.clock.advance(timedelta(minutes=31))
    late = _add_card(_signed_in(api, ADMIN), demo.CONTOSO_BILLING, stale)  # signed in again: the session idled out
    assert late.status_code == 400 and "already used or has expired" in late.text
    assert _saved_cards(api, demo.CONTOSO_BILLING) == before[1]
