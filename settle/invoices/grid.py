"""Use cases behind the portal's Invoices page and overview: a page of a scope's invoices with what
the viewer may do on each row, the balance due per billing profile, and invoice numbers for the
search box."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from settle.access.model import Permission, Scope, can
from settle.accounts.model import BillingProfile
from settle.accounts.scopes import assignments_seeing
from settle.clock import Clock, today
from settle.invoices.model import PAYABLE, Invoice, InvoiceQuery, InvoiceStatus, OpenBalance
from settle.invoices.service import invoice_profiles_at, profiles_with_invoices_for
from settle.money import Money
from settle.uow import UnitOfWork


@dataclass(frozen=True)
class GridRow:
    invoice: Invoice
    status: InvoiceStatus
    billing_profile: BillingProfile
    may_pay: bool  # the viewer may press Pay now on this row, now


@dataclass(frozen=True)
class InvoiceGrid:
    rows: list[GridRow]
    next_after: tuple[date | int | str, str] | None  # the keyset of the next page; None on the last page
    profiles: list[BillingProfile]  # the billing profiles whose invoices are listed
    totals_due: list[Money] = field(default_factory=list)  # of every page the filter lists, per currency


def invoice_grid(uow: UnitOfWork, clock: Clock, user_id: str, scope: Scope, query: InvoiceQuery) -> InvoiceGrid:
    """A page of the invoices of `scope` that the user may see (the query's own profile set is
    replaced by them), each marked with whether the user may pay it."""
    held = assignments_seeing(uow, user_id, scope)
    if scope.invoice_section_id is not None:  # invoices belong to billing profiles, not to sections
        return InvoiceGrid([], None, [])
    profile_ids = invoice_profiles_at(uow, user_id, scope)
    profiles = {profile_id: uow.profiles.get(profile_id) for profile_id in profile_ids}
    account = uow.accounts.get(scope.billing_account_id)
    payers = {
        profile_id
        for profile_id in profile_ids
        if account.pays_in_portal and can(held, Permission.PAY_INVOICES, Scope(account.id, profile_id))
    }
    day = today(clock)
    page_query = replace(query, billing_profile_ids=frozenset(profile_ids), limit=query.limit + 1)
    invoices = uow.invoices.page(page_query, day)
    more = len(invoices) > query.limit
    invoices = invoices[: query.limit]
    in_flight = uow.payments.in_flight_invoices(invoice.id for invoice in invoices)
    rows = []
    for invoice in invoices:
        status = invoice.display_status(day, invoice.id in in_flight)
        may_pay = status in PAYABLE and invoice.billing_profile_id in payers
        rows.append(GridRow(invoice, status, profiles[invoice.billing_profile_id], may_pay))
    last = invoices[-1] if more else None
    return InvoiceGrid(
        rows,
        query.order.key_of(last) if last else None,
        sorted(profiles.values(), key=lambda profile: profile.display_name),
        uow.invoices.totals_due(page_query, day),
    )


@dataclass(frozen=True)
class ProfileBalance:
    billing_profile: BillingProfile
    balance: OpenBalance | None  # None: nothing is owed


def balances_due(uow: UnitOfWork, clock: Clock, user_id: str, scope: Scope) -> list[ProfileBalance]:
    """The balance due of every billing profile of `scope` whose invoices the user may see."""
    if scope.invoice_section_id is not None:
        return []
    profile_ids = invoice_profiles_at(uow, user_id, scope)
    balances = uow.invoices.open_balances(profile_ids, today(clock))
    profiles = sorted((uow.profiles.get(profile_id) for profile_id in profile_ids), key=lambda p: p.display_name)
    return [ProfileBalance(profile, balances.get(profile.id)) for profile in profiles]


def find_invoice_numbers(uow: UnitOfWork, user_id: str, text: str, limit: int = 5) -> list[str]:
    """Numbers of invoices the user may see that begin with `text` (letters compared in capitals)."""
    prefix = text.strip().upper()
    if len(prefix) < 2:
        return []
    return uow.invoices.numbers_starting_with(profiles_with_invoices_for(uow, user_id), prefix, limit)
