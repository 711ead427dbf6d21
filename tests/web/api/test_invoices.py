"""Invoices in Microsoft.Billing's shape: exact amounts, Azure's statuses, filters, order and keyset
paging through nextLink; each checked against the database."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from settle import demo
from settle.clock import today
from settle.invoices.model import Invoice, InvoiceQuery
from settle.invoices.service import list_invoices
from settle.money import Money
from settle.uow import UnitOfWork
from tests.integration.factories import add_invoices
from tests.web.api.conftest import (
    ADMIN,
    CONTOSO,
    CONTOSO_BILLING,
    DUE_NOW,
    FABRIKAM_ADMIN,
    PARTLY_PAID,
    READER,
    VOIDED,
    Api,
)


def _exact(response: Any) -> Any:
    """The body with every JSON number read as the exact Decimal it is written as."""
    return json.loads(response.text, parse_float=Decimal, parse_int=Decimal)


def _all_pages(api: Api, path: str, user: str = ADMIN, **params: Any) -> tuple[list[dict[str, Any]], int]:
    response = api.get(path, user=user, **params)
    items, pages = [], 0
    while True:
        assert response.status_code == 200, response.text
        body = _exact(response)
        items += body["value"]
        pages += 1
        if not body.get("nextLink"):
            return items, pages
        response = api.client.get(body["nextLink"], headers=api.headers(user))


def _in_database(api: Api, profiles: set[str], **query: Any) -> list[Invoice]:
    with UnitOfWork(api.engine, write=False) as uow:
        rows = list_invoices(uow, api.clock, InvoiceQuery(frozenset(profiles), limit=10_000, **query))
    return [row.invoice for row in rows]


def _amount(money: Money) -> dict[str, Any]:
    return {"currency": money.currency, "value": money.to_decimal()}


def test_a_reader_pages_through_every_invoice_of_a_profile_newest_first(api: Api) -> None:
    items, pages = _all_pages(api, f"{CONTOSO_BILLING}/invoices", user=READER, top=7)
    expected = _in_database(api, {demo.CONTOSO_BILLING})
    assert [item["name"] for item in items] == [invoice.id for invoice in expected]
    assert pages == -(-len(expected) // 7) and len(expected) == 25


def test_every_amount_is_written_from_the_exact_decimal(api: Api) -> None:
    items, _ = _all_pages(api, f"{CONTOSO}/invoices")
    invoices = {invoice.id: invoice for invoice in _in_database(api, {demo.CONTOSO_BILLING, demo.CONTOSO_RND})}
    assert {item["name"] for item in items} == set(invoices)
    for item in items:
        invoice, properties = invoices[item["name"]], item["properties"]
        assert properties["amountDue"] == _amount(invoice.amount_due)
        assert properties["totalAmount"] == _amount(invoice.total)
        assert properties["subTotal"] == _amount(invoice.subtotal)
        assert properties["taxAmount"] == _amount(invoice.tax)
        assert properties["creditAmount"] == _amount(invoice.credits)
        assert properties["billedAmount"] == _amount(invoice.subtotal + invoice.tax)
    due = api.invoice(DUE_NOW).amount_due
    assert (
        f'"amountDue":{{"currency":"EUR","value":{due.to_decimal()}}}' in api.get(f"{CONTOSO}/invoices/{DUE_NOW}").text
    )


def test_an_invoice_has_azure_s_id_dates_and_profile(api: Api) -> None:
    body = api.get(f"{CONTOSO}/invoices/{DUE_NOW}").json()
    invoice = api.invoice(DUE_NOW)
    assert body["id"] == f"{CONTOSO}/invoices/{DUE_NOW}"
    assert (body["name"], body["type"]) == (DUE_NOW, "Microsoft.Billing/billingAccounts/invoices")
    properties = body["properties"]
    assert properties["invoiceDate"] == f"{invoice.invoice_date.isoformat()}T00:00:00Z"
    assert properties["dueDate"] == f"{invoice.due_date.isoformat()}T00:00:00Z"
    assert properties["invoicePeriodStartDate"] == f"{invoice.period_start.isoformat()}T00:00:00Z"
    assert properties["invoicePeriodEndDate"] == f"{invoice.period_end.isoformat()}T00:00:00Z"
    assert properties["billingProfileId"] == CONTOSO_BILLING
    assert properties["billingProfileDisplayName"] == "Contoso Billing"
    assert (properties["status"], properties["payments"], properties["failedPayments"]) == ("Due", [], [])
    assert properties["documents"] == [{"kind": "Invoice", "name": DUE_NOW}]


def test_a_partially_paid_invoice_is_overdue_with_less_due_than_its_total_and_its_payment_listed(api: Api) -> None:
    body = _exact(api.get(f"{CONTOSO_BILLING}/invoices/{PARTLY_PAID}"))
    invoice = api.invoice(PARTLY_PAID)
    properties = body["properties"]
    assert properties["status"] == "OverDue"
    assert properties["amountDue"]["value"] == invoice.amount_due.to_decimal() < invoice.total.to_decimal()
    with UnitOfWork(api.engine, write=False) as uow:
        (payment,) = uow.payments.list_for_invoice(PARTLY_PAID)
    assert properties["payments"] == [
        {
            "amount": _amount(payment.amount),
            "date": payment.completed_at.isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
            "paymentMethodFamily": "CheckWire",
            "paymentType": "debited",
        }
    ]


def test_the_status_filter_uses_azure_s_four_statuses(api: Api) -> None:
    day = today(api.clock)
    invoices = _in_database(api, {demo.CONTOSO_BILLING})
    expected = {
        "Due": [i.id for i in invoices if i.is_payable(day) and not i.is_overdue(day)],
        "OverDue": [i.id for i in invoices if i.is_overdue(day)],
        "Paid": [i.id for i in invoices if i.amount_due.is_zero() and i.voided_at is None],
        "Void": [VOIDED],
    }
    assert expected["Due"] == ["G000100500", DUE_NOW] and PARTLY_PAID in expected["OverDue"]
    for status, numbers in expected.items():
        items, _ = _all_pages(api, f"{CONTOSO_BILLING}/invoices", filter=f"status eq '{status}'")
        assert [item["name"] for item in items] == numbers
        assert {item["properties"]["status"] for item in items} == {status}


def test_invoice_date_filters_and_the_period_narrow_the_list(api: Api) -> None:
    start, end = date(2025, 6, 1), date(2025, 9, 30)
    expected = [i.id for i in _in_database(api, {demo.CONTOSO_BILLING}, invoice_date_from=start, invoice_date_to=end)]
    assert len(expected) == 4
    by_period, _ = _all_pages(
        api, f"{CONTOSO_BILLING}/invoices", periodStartDate="2025-06-01", periodEndDate="2025-09-30"
    )
    by_filter, _ = _all_pages(
        api, f"{CONTOSO_BILLING}/invoices", filter="invoiceDate ge 2025-06-01 and invoiceDate lt '2025-10-01'"
    )
    assert [item["name"] for item in by_period] == [item["name"] for item in by_filter] == expected


def test_order_by_invoice_date_ascending_pages_oldest_first(api: Api) -> None:
    items, pages = _all_pages(api, f"{CONTOSO}/invoices", orderBy="invoiceDate asc", top=10)
    expected = _in_database(api, {demo.CONTOSO_BILLING, demo.CONTOSO_RND}, oldest_first=True)
    assert [item["name"] for item in items] == [invoice.id for invoice in expected]
    assert pages == 5


def test_the_next_page_goes_on_after_the_last_row_even_when_invoices_arrive_meanwhile(api: Api) -> None:
    first = api.get(f"{CONTOSO_BILLING}/invoices", top=5).json()
    newest = api.invoice(DUE_NOW)
    arrived = Invoice.issue(
        number="G000900001",
        billing_account_id=demo.CONTOSO,
        billing_profile_id=demo.CONTOSO_BILLING,
        currency="EUR",
        invoice_date=newest.invoice_date + timedelta(days=1),
        due_date=newest.invoice_date + timedelta(days=31),
        period_start=newest.period_start,
        period_end=newest.period_end,
        lines=list(newest.lines),
        created_at=api.clock.now(),
    )
    add_invoices(api.engine, [arrived])
    second = api.client.get(first["nextLink"], headers=api.headers(ADMIN)).json()
    names = [item["name"] for item in first["value"] + second["value"]]
    assert len(names) == len(set(names)) == 10 and "G000900001" not in names
    expected = [i.id for i in _in_database(api, {demo.CONTOSO_BILLING}) if i.id != "G000900001"][:10]
    assert names == expected
    assert "skipToken=" in first["nextLink"] and "top" not in first["nextLink"]


def test_a_continuation_token_is_refused_at_another_scope(api: Api) -> None:
    link = api.get(f"{CONTOSO_BILLING}/invoices", top=2).json()["nextLink"]
    token = link.split("skipToken=")[1]
    response = api.get(f"{CONTOSO}/invoices", skipToken=token)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "InvalidParameter")


def test_another_customers_admin_gets_404_on_a_contoso_invoice(api: Api) -> None:
    for path in (f"{CONTOSO}/invoices/{DUE_NOW}", f"{CONTOSO_BILLING}/invoices/{DUE_NOW}"):
        response = api.get(path, user=FABRIKAM_ADMIN)
        assert response.status_code == 404
        assert response.json()["error"]["code"] in {"InvoiceNotFound", "BillingAccountNotFound"}
    response = api.get(f"{CONTOSO}/invoices/{DUE_NOW}", user=FABRIKAM_ADMIN)
    assert response.json()["error"]["code"] == "InvoiceNotFound"


def test_an_invoice_is_404_under_an_account_or_profile_it_is_not_in(api: Api) -> None:
    fabrikam_invoice = f"{CONTOSO}/invoices/G000300011"
    assert api.get(fabrikam_invoice, user=FABRIKAM_ADMIN).json()["error"]["code"] == "InvoiceNotFound"
    rnd_invoice = f"{CONTOSO_BILLING}/invoices/G000200023"
    assert api.get(rnd_invoice).json()["error"]["code"] == "InvoiceNotFound"
    assert api.get(f"{CONTOSO}/billingProfiles/{demo.CONTOSO_RND}/invoices/G000200023").status_code == 200
