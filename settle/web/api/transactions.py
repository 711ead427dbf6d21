"""The transactions of an invoice: its charge lines, in Azure's Transaction shape (kind Other, billed), a page
at a time. Lines never change once an invoice is issued, so a page is a plain slice (top, skip)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from settle.access.model import Scope
from settle.invoices.service import InvoiceCharges, invoice_charges_at
from settle.web.api import schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller
from settle.web.api.errors import ERROR_RESPONSES, SUPPORTED_API_VERSION, AzureRoute, InvalidParameter
from settle.web.api.params import ACCOUNT, AccountName, InvoiceName
from settle.web.api.serialise import AzureJSON
from settle.web.urls import this_path_url

MAX_PAGE = 50
router = APIRouter(route_class=AzureRoute, tags=["Invoices"], responses=ERROR_RESPONSES)

Top = Annotated[int, Query(alias="top", ge=1, le=MAX_PAGE, description="Transactions per page")]
Skip = Annotated[int, Query(alias="skip", ge=0, le=1_000_000, description="Transactions to pass over")]


@router.get(
    f"{ACCOUNT}/invoices/{{invoiceName}}/transactions",
    response_model=schemas.TransactionList,
    operation_id="Transactions_ListByInvoice",
)
def list_invoice_transactions(
    request: Request,
    caller: ApiCaller,
    account: AccountName,
    number: InvoiceName,
    top: Top = MAX_PAGE,
    skip: Skip = 0,
    filter_text: Annotated[str | None, Query(alias="filter", max_length=500, description="Not supported")] = None,
    search: Annotated[str | None, Query(alias="search", max_length=500, description="Not supported")] = None,
) -> AzureJSON:
    """The charge lines of an invoice, in the order it lists them."""
    for name, given in (("filter", filter_text), ("search", search)):
        if given:
            raise InvalidParameter(name=name)
    with caller.reading() as uow:
        charges = invoice_charges_at(uow, caller.user.id, Scope(account), number)
    lines = charges.invoice.lines
    value = [_transaction(charges, position) for position in range(skip, min(skip + top, len(lines)))]
    next_link = None
    if skip + top < len(lines):
        params: dict[str, str | int] = {"api-version": SUPPORTED_API_VERSION, "top": top, "skip": skip + top}
        next_link = this_path_url(request, params)
    return AzureJSON(schemas.TransactionList(value=value, next_link=next_link))


def _transaction(charges: InvoiceCharges, position: int) -> schemas.Transaction:
    invoice, line = charges.invoice, charges.invoice.lines[position]
    account, profile = invoice.billing_account_id, invoice.billing_profile_id
    invoice_id = shape.invoice_id(account, invoice.id)
    name = f"{invoice.id}-{position + 1}"
    return schemas.Transaction(
        id=f"{invoice_id}/transactions/{name}",
        name=name,
        type=f"{shape.ACCOUNT_TYPE}/transactions",
        properties=schemas.TransactionProperties(
            kind="Other",
            transaction_type="Billed",
            date=shape.midnight(invoice.invoice_date),
            invoice=invoice.id,
            invoice_id=invoice_id,
            billing_profile_id=shape.profile_id(account, profile),
            billing_profile_display_name=charges.profile_name,
            invoice_section_id=shape.scope_id(Scope(account, profile, line.invoice_section_id)),
            invoice_section_display_name=charges.section_names.get(line.invoice_section_id, line.invoice_section_id),
            product_description=line.description,
            quantity=line.quantity,
            service_period_start_date=shape.midnight(invoice.period_start),
            service_period_end_date=shape.midnight(invoice.period_end),
            billing_currency=invoice.currency,
            pricing_currency=invoice.currency,
            transaction_amount=shape.amount(line.amount),
        ),
    )
