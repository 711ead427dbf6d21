"""While the database does not answer, the API and the portal say so with 503 and Retry-After, never a
500 (a defect the database-fault test of tests/faults found: the driver's OperationalError was a 500)."""

from __future__ import annotations

import re

from settle import db, demo
from tests.web.api.conftest import ADMIN, CONTOSO, DUE_NOW, Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:9/settle?connect_timeout=2"


def _sign_in(api: Api) -> None:
    token = CSRF.search(api.client.get("/signin").text)
    assert token is not None
    form = {"email": ADMIN, "password": demo.PASSWORD, "next": "/", "csrf_token": token.group(1)}
    assert api.client.post("/signin", data=form, follow_redirects=False).status_code == 303


def _database_goes_away(api: Api) -> None:
    api.app.state.engine = db.create_engine(NOBODY_LISTENS)


def test_api_answers_503_with_retry_after_in_azure_envelope_when_the_database_is_down(api: Api) -> None:
    _database_goes_away(api)

    listed = api.get(f"{CONTOSO}/invoices", periodStartDate="2025-01-01", periodEndDate="2026-12-31")
    paid = api.post(
        f"{CONTOSO}/invoices/{DUE_NOW}/pay",
        {"paymentMethodId": "/providers/Microsoft.Billing/paymentMethods/x", "amount": {"currency": "EUR", "value": 1}},
        headers={"Idempotency-Key": "outage-1"},
    )

    for answer in (listed, paid):
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == str(db.RETRY_AFTER_SECONDS)
        assert answer.json()["error"]["code"] == "DatabaseUnavailable"
        assert "Try again" in answer.json()["error"]["message"]


def test_portal_answers_503_page_with_retry_after_when_the_database_is_down(api: Api) -> None:
    _sign_in(api)
    _database_goes_away(api)

    page = api.client.get("/billing/invoices", headers={"Accept-Language": "nl"})
    signing_in = api.client.post("/signin", data={"email": ADMIN, "password": "x", "csrf_token": "x"})

    for answer in (page, signing_in):
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == str(db.RETRY_AFTER_SECONDS)
        assert "text/html" in answer.headers["content-type"]
    assert "De database antwoordt niet" in page.text
