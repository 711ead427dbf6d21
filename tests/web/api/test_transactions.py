"""An invoice's transactions are its charge lines, read through the Azure SDK and checked against the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from azure.core.exceptions import ResourceNotFoundError

from settle import demo
from settle.uow import UnitOfWork
from tests.web.api.conftest import CONTOSO, DUE_NOW, FABRIKAM_ADMIN, FABRIKAM_DUE, READER, Api
from tests.web.api.sdk import client_for


def _section_names(api: Api) -> dict[str, str]:
    with UnitOfWork(api.engine, write=False) as uow:
        return {section.id: section.display_name for section in uow.sections.list_for_profile(demo.CONTOSO_BILLING)}


def test_the_sdk_lists_an_invoices_charge_lines_as_transactions(api: Api, server: str) -> None:
    invoice = api.invoice(DUE_NOW)
    listed = list(client_for(api, server, READER).transactions.list_by_invoice(demo.CONTOSO, DUE_NOW))
    names = _section_names(api)
    assert len(listed) == len(invoice.lines) >= 2
    for position, (got, line) in enumerate(zip(listed, invoice.lines, strict=True), start=1):
        assert got.name == f"{DUE_NOW}-{position}"
        assert got.id == f"{CONTOSO}/invoices/{DUE_NOW}/transactions/{got.name}"
        facts = got.properties
        assert facts.product_description == line.description
        assert facts.transaction_amount.currency == line.amount.currency
        assert Decimal(repr(facts.transaction_amount.value)) == line.amount.to_decimal()
        assert Decimal(str(facts.quantity)) == line.quantity
        assert facts.invoice_section_id.endswith(f"/invoiceSections/{line.invoice_section_id}")
        assert facts.invoice_section_display_name == names[line.invoice_section_id]
        assert (facts.invoice, facts.kind, facts.transaction_type) == (DUE_NOW, "Other", "Billed")
        assert facts.service_period_start_date.date() == invoice.period_start
    assert sum(Decimal(repr(t.properties.transaction_amount.value)) for t in listed) == invoice.subtotal.to_decimal()


def test_the_sdk_pages_through_transactions_a_few_at_a_time(api: Api, server: str) -> None:
    invoice = api.invoice(DUE_NOW)
    pages = [
        [t.name for t in page]
        for page in client_for(api, server).transactions.list_by_invoice(demo.CONTOSO, DUE_NOW, top=1).by_page()
    ]
    assert pages == [[f"{DUE_NOW}-{n}"] for n in range(1, len(invoice.lines) + 1)]


def test_another_customers_invoice_has_no_transactions_to_show(api: Api, server: str) -> None:
    with pytest.raises(ResourceNotFoundError):
        list(client_for(api, server, FABRIKAM_ADMIN).transactions.list_by_invoice(demo.CONTOSO, DUE_NOW))
    assert api.get(f"{CONTOSO}/invoices/{FABRIKAM_DUE}/transactions").status_code == 404
    unsupported = api.get(f"{CONTOSO}/invoices/{DUE_NOW}/transactions", filter="kind eq 'Other'")
    assert (unsupported.status_code, unsupported.json()["error"]["code"]) == (400, "InvalidParameter")
