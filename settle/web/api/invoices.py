"""Invoices of a billing account or billing profile: lists a page at a time (nextLink), and one invoice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from settle.access.model import Scope
from settle.accounts.scopes import billing_profiles_for
from settle.invoices.model import InvoiceQuery
from settle.invoices.service import get_invoice_at, invoice_profiles_at, list_invoices
from settle.payments.lists import payments_of_invoices
from settle.uow import UnitOfWork
from settle.web.api import paging, schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller, Caller
from settle.web.api.errors import ERROR_RESPONSES, FORBIDDEN_RESPONSE, SUPPORTED_API_VERSION, AzureRoute
from settle.web.api.params import ACCOUNT, PROFILE, AccountName, InvoiceName, ProfileName
from settle.web.api.serialise import AzureJSON
from settle.web.urls import this_path_url

router = APIRouter(route_class=AzureRoute, tags=["Invoices"], responses=ERROR_RESPONSES)

PeriodStart = Annotated[
    date | None, Query(alias="periodStartDate", description="Invoices dated on or after this day (YYYY-MM-DD)")
]
PeriodEnd = Annotated[
    date | None, Query(alias="periodEndDate", description="Invoices dated on or before this day (YYYY-MM-DD)")
]
Filter = Annotated[
    str | None,
    Query(
        alias="filter",
        max_length=500,
        description="status eq 'Due' (or 'OverDue', 'Paid', 'Void') and invoiceDate comparisons, joined by and",
    ),
]
OrderBy = Annotated[
    str | None, Query(alias="orderBy", max_length=50, description="invoiceDate [asc|desc]; newest first by default")
]
Top = Annotated[int | None, Query(alias="top", ge=1, le=paging.MAX_PAGE, description="Invoices per page")]
SkipToken = Annotated[
    str | None, Query(alias="skipToken", max_length=1000, description="From the nextLink of the page before")
]


@router.get(f"{ACCOUNT}/invoices", response_model=schemas.InvoiceList, operation_id="Invoices_ListByBillingAccount")
def list_account_invoices(
    request: Request,
    caller: ApiCaller,
    account: AccountName,
    period_start: PeriodStart = None,
    period_end: PeriodEnd = None,
    filter_text: Filter = None,
    order_by: OrderBy = None,
    top: Top = None,
    skip_token: SkipToken = None,
) -> AzureJSON:
    """The invoices of every billing profile of the account whose invoices the caller may see."""
    scope = Scope(account)
    query = _query(caller, scope, skip_token, period_start, period_end, filter_text, order_by, top)
    return _invoice_page(request, caller, scope, query)


@router.get(
    f"{PROFILE}/invoices",
    response_model=schemas.InvoiceList,
    responses=FORBIDDEN_RESPONSE,
    operation_id="Invoices_ListByBillingProfile",
)
def list_profile_invoices(
    request: Request,
    caller: ApiCaller,
    account: AccountName,
    profile: ProfileName,
    period_start: PeriodStart = None,
    period_end: PeriodEnd = None,
    filter_text: Filter = None,
    order_by: OrderBy = None,
    top: Top = None,
    skip_token: SkipToken = None,
) -> AzureJSON:
    """The invoices of one billing profile."""
    scope = Scope(account, profile)
    query = _query(caller, scope, skip_token, period_start, period_end, filter_text, order_by, top)
    return _invoice_page(request, caller, scope, query)


@router.get(
    f"{ACCOUNT}/invoices/{{invoiceName}}", response_model=schemas.Invoice, operation_id="Invoices_GetByBillingAccount"
)
def get_account_invoice(caller: ApiCaller, account: AccountName, number: InvoiceName) -> AzureJSON:
    return _one_invoice(caller, Scope(account), number)


@router.get(
    f"{PROFILE}/invoices/{{invoiceName}}", response_model=schemas.Invoice, operation_id="Invoices_GetByBillingProfile"
)
def get_profile_invoice(
    caller: ApiCaller, account: AccountName, profile: ProfileName, number: InvoiceName
) -> AzureJSON:
    return _one_invoice(caller, Scope(account, profile), number)


def _one_invoice(caller: Caller, scope: Scope, number: str) -> AzureJSON:
    with caller.reading() as uow:
        invoice = get_invoice_at(uow, caller.user.id, scope, number)
        payments = payments_of_invoices(uow, [invoice.id])
        names = _profile_names(uow, caller, invoice.billing_account_id)
    today = caller.today()
    return AzureJSON(shape.invoice(invoice, today, payments.get(invoice.id, []), names.get(invoice.billing_profile_id)))


def _query(
    caller: Caller,
    scope: Scope,
    skip_token: str | None,
    period_start: date | None,
    period_end: date | None,
    filter_text: str | None,
    order_by: str | None,
    top: int | None,
) -> InvoiceQuery:
    """The query of the page asked for: the first page's from the parameters, a later one's from its token."""
    if skip_token:
        return paging.resume(skip_token, shape.scope_id(scope), caller.settings.secret_key)
    return paging.invoice_query(
        period_start=period_start,
        period_end=period_end,
        filter_text=filter_text,
        order_by=order_by,
        top=top,
        today=caller.today(),
    )


def _invoice_page(request: Request, caller: Caller, scope: Scope, query: InvoiceQuery) -> AzureJSON:
    today = caller.today()
    with caller.reading() as uow:
        profiles = invoice_profiles_at(uow, caller.user.id, scope)
        # One row more than the page holds says whether there is a next page.
        rows = list_invoices(
            uow,
            caller.clock,
            replace(query, billing_profile_ids=profiles, limit=query.limit + 1),
            caller.settings.timezone,
        )
        page = [row.invoice for row in rows[: query.limit]]
        payments = payments_of_invoices(uow, [invoice.id for invoice in page])
        # The listed invoices' profiles are among those just found listable: their names need no second check.
        names = {
            p.id: p.display_name for p in uow.profiles.list_for_account(scope.billing_account_id) if p.id in profiles
        }
    next_link = None
    if len(rows) > query.limit:
        last = (page[-1].invoice_date, page[-1].id)
        token = paging.continuation(query, last, shape.scope_id(scope), caller.settings.secret_key)
        params = {"api-version": SUPPORTED_API_VERSION, "skipToken": token}
        next_link = this_path_url(request, params)
    value = [shape.invoice(bill, today, payments.get(bill.id, []), names.get(bill.billing_profile_id)) for bill in page]
    return AzureJSON(schemas.InvoiceList(value=value, next_link=next_link))


def _profile_names(uow: UnitOfWork, caller: Caller, account: str) -> dict[str, str]:
    return {profile.id: profile.display_name for profile in billing_profiles_for(uow, caller.user.id, account)}
