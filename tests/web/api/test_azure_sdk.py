"""Microsoft's own client, azure-mgmt-billing, pointed at a Settle server: only its base URL changes.
Every value it reads back is checked against Settle's database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.billing import BillingManagementClient

from settle import demo
from settle.access.model import Scope, allowed_actions
from settle.invoices.model import Invoice, InvoiceQuery
from settle.invoices.service import list_invoices
from settle.money import Money
from settle.uow import UnitOfWork
from tests.web.api.conftest import ADMIN, DUE_NOW, PARTLY_PAID, Api
from tests.web.api.sdk import client_for, sdk_client


def _client(api: Api, server: str, user: str = ADMIN) -> BillingManagementClient:
    return client_for(api, server, user)


def _exact(value: float | None) -> Decimal:
    """The SDK reads amounts as floats; their shortest repr is the decimal Settle wrote."""
    return Decimal(repr(value))


def _same(amount: Any, money: Money) -> bool:
    return bool(amount.currency == money.currency and _exact(amount.value) == money.to_decimal())


def _invoices(api: Api, profiles: set[str], **query: Any) -> list[Invoice]:
    with UnitOfWork(api.engine, write=False) as uow:
        rows = list_invoices(uow, api.clock, InvoiceQuery(frozenset(profiles), limit=10_000, **query))
    return [row.invoice for row in rows]


def test_the_sdk_lists_billing_accounts_and_profiles(api: Api, server: str) -> None:
    client = _client(api, server)
    accounts = list(client.billing_accounts.list())
    with UnitOfWork(api.engine, write=False) as uow:
        contoso = uow.accounts.get(demo.CONTOSO)
        profiles = uow.profiles.list_for_account(demo.CONTOSO)
    assert [(a.name, a.properties.display_name, a.properties.agreement_type) for a in accounts] == [
        (contoso.id, contoso.display_name, "MicrosoftCustomerAgreement")
    ]
    assert accounts[0].properties.sold_to.address_line1 == contoso.sold_to.line1
    listed = list(client.billing_profiles.list_by_billing_account(demo.CONTOSO))
    assert [(p.name, p.properties.display_name, p.properties.currency) for p in listed] == [
        (p.id, p.display_name, p.currency) for p in profiles
    ]


def test_the_sdk_lists_a_profiles_invoices_for_a_period_and_gets_one(api: Api, server: str) -> None:
    client = _client(api, server)
    start, end = date(2025, 10, 1), date(2026, 3, 31)
    listed = list(
        client.invoices.list_by_billing_profile(
            demo.CONTOSO, demo.CONTOSO_BILLING, period_start_date=start, period_end_date=end
        )
    )
    expected = _invoices(api, {demo.CONTOSO_BILLING}, invoice_date_from=start, invoice_date_to=end)
    assert [invoice.name for invoice in listed] == [invoice.id for invoice in expected] and len(expected) == 7
    for got, invoice in zip(listed, expected, strict=True):
        assert _same(got.properties.amount_due, invoice.amount_due)
        assert _same(got.properties.total_amount, invoice.total)
        assert got.properties.invoice_date.date() == invoice.invoice_date
        assert got.properties.due_date.date() == invoice.due_date
    statuses = {invoice.name: invoice.properties.status for invoice in listed}
    assert (statuses[DUE_NOW], statuses[PARTLY_PAID]) == ("Due", "OverDue")
    one = client.invoices.get_by_billing_account(demo.CONTOSO, PARTLY_PAID)
    partly = api.invoice(PARTLY_PAID)
    assert _same(one.properties.amount_due, partly.amount_due) and _same(one.properties.sub_total, partly.subtotal)
    assert one.properties.invoice_period_start_date.date() == partly.period_start
    assert [_exact(p.amount.value) for p in one.properties.payments] == [partly.amount_paid.to_decimal()]


def test_the_sdk_pages_through_more_invoices_than_one_page_holds(api: Api, server: str) -> None:
    client = _client(api, server)
    pages = [list(page) for page in client.invoices.list_by_billing_account(demo.CONTOSO, top=4).by_page()]
    expected = _invoices(api, {demo.CONTOSO_BILLING, demo.CONTOSO_RND})
    assert len(expected) == 49 and [len(page) for page in pages] == [4] * 12 + [1]
    assert [invoice.name for page in pages for invoice in page] == [invoice.id for invoice in expected]
    due = list(client.invoices.list_by_billing_profile(demo.CONTOSO, demo.CONTOSO_BILLING, filter="status eq 'Due'"))
    assert [invoice.name for invoice in due] == ["G000100500", DUE_NOW]


def test_the_sdk_lists_payment_method_links_and_billing_permissions(api: Api, server: str) -> None:
    client = _client(api, server)
    links = list(client.payment_methods.list_by_billing_profile(demo.CONTOSO, demo.CONTOSO_BILLING))
    with UnitOfWork(api.engine, write=False) as uow:
        (card,) = uow.payment_methods.list_for_profile(demo.CONTOSO_BILLING)
        held = uow.roles.for_user(uow.users.get_by_email(ADMIN).id)
    assert [(link.name, link.properties.last_four_digits, link.properties.family) for link in links] == [
        (card.id, card.last4, "CreditCard")
    ]
    assert links[0].properties.payment_method_id == f"/providers/Microsoft.Billing/paymentMethods/{card.id}"
    permissions = list(client.billing_permissions.list_by_billing_profile(demo.CONTOSO, demo.CONTOSO_BILLING))
    assert [p.actions for p in permissions] == [allowed_actions(held, Scope(demo.CONTOSO, demo.CONTOSO_BILLING))]
    decisions = client.billing_permissions.check_access_by_billing_profile(
        demo.CONTOSO, demo.CONTOSO_BILLING, {"actions": ["Microsoft.Billing/billingAccounts/billingProfiles/read"]}
    )
    assert [(d.action, d.access_decision) for d in decisions] == [
        ("Microsoft.Billing/billingAccounts/billingProfiles/read", "Allowed")
    ]


def test_the_sdk_raises_its_own_errors_from_settle_s_envelope(api: Api, server: str) -> None:
    client = _client(api, server)
    with pytest.raises(ResourceNotFoundError) as missing:
        client.invoices.get_by_billing_account(demo.FABRIKAM, "G000300011")
    assert missing.value.error is not None and missing.value.error.code == "InvoiceNotFound"
    stranger = sdk_client(server, "stl_" + "A" * 40)
    with pytest.raises(HttpResponseError) as refused:
        list(stranger.billing_accounts.list())
    assert refused.value.status_code == 401
