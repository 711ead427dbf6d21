"""Inputs at the edges that once answered 500: a payment-history cursor without an offset, invoice-date
filters past the last or before the first day; and the plain CSV export, guarded against formulas."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from settle import demo
from settle.uow import UnitOfWork
from tests.web.api.conftest import ADMIN, CONTOSO_BILLING, Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(api: Api) -> TestClient:
    browser = TestClient(api.app, raise_server_exceptions=False)
    csrf = CSRF.search(browser.get("/signin").text)
    assert csrf
    form = {"email": ADMIN, "password": demo.PASSWORD, "next": "/", "csrf_token": csrf.group(1)}
    assert browser.post("/signin", data=form, follow_redirects=False).status_code == 303
    return browser


def test_a_payment_history_cursor_without_an_offset_is_a_clear_400(api: Api) -> None:
    browser = _signed_in(api)
    for cursor in ("2026-01-01T00:00:00~abc", "2026-01-01~abc"):
        answer = browser.get("/billing/payments", params={"before": cursor})
        assert answer.status_code == 400 and "is not a valid filter value" in answer.text
    assert browser.get("/billing/payments", params={"before": "2026-01-01T00:00:00+00:00~abc"}).status_code == 200


def test_invoice_date_filters_beyond_the_calendar_find_nothing_rather_than_fail(api: Api) -> None:
    client = TestClient(api.app, raise_server_exceptions=False)
    for clause in ("invoiceDate gt '9999-12-31'", "invoiceDate lt '0001-01-01'"):
        answer = client.get(
            f"{CONTOSO_BILLING}/invoices",
            params={"api-version": "2024-04-01", "filter": clause},
            headers=api.headers(ADMIN),
        )
        assert answer.status_code == 200 and answer.json()["value"] == [], (clause, answer.text)
    for clause in ("invoiceDate ge '9999-12-31'", "invoiceDate le '0001-01-01'"):  # the edges themselves still work
        answer = api.get(f"{CONTOSO_BILLING}/invoices", filter=clause)
        assert answer.status_code == 200 and answer.json()["value"] == []


def test_the_plain_csv_export_writes_a_formula_looking_name_as_text(api: Api) -> None:
    with UnitOfWork(api.engine) as uow:
        uow.connection.execute(
            sa.text("UPDATE billing_profiles SET display_name = :name WHERE id = :id"),
            {"name": '=HYPERLINK("https://evil.example","Pay here")', "id": demo.CONTOSO_BILLING},
        )
    browser = _signed_in(api)
    exported = browser.get("/billing/invoices/export", params={"format": "csv"})
    assert exported.status_code == 200
    names = {row[1] for row in list(csv.reader(io.StringIO(exported.text)))[1:]}
    assert '\'=HYPERLINK("https://evil.example","Pay here")' in names
    assert not any(name.startswith("=") for name in names)
