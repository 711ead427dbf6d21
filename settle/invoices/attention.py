"""What needs the user's attention, for the portal's home page: across every billing profile whose
invoices they may see (in every billing account), what is owed and the invoices past their due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from settle.access.model import Permission, Scope, can
from settle.accounts.model import BillingAccount, BillingProfile
from settle.clock import Clock, today
from settle.invoices.model import Invoice, InvoiceQuery, InvoiceStatus, OpenBalance
from settle.invoices.service import profiles_with_invoices_for
from settle.uow import UnitOfWork

PAST_DUE_SHOWN = 5  # the home page is a summary: the Invoices grid lists the rest


@dataclass(frozen=True)
class Owed:
    """A billing profile that owes something, and where it belongs."""

    account: BillingAccount
    profile: BillingProfile
    balance: OpenBalance

    @property
    def scope_key(self) -> str:
        return f"{self.account.id}/{self.profile.id}"


@dataclass(frozen=True)
class PastDueInvoice:
    invoice: Invoice
    owed: Owed
    may_pay: bool  # the user may press Pay now on it, now (not while a payment of it is in flight)


@dataclass(frozen=True)
class Attention:
    sees_invoices: bool  # False: the user may see no billing profile's invoices at all
    owed: list[Owed]  # the profiles with open invoices, those with past-due ones first
    past_due: list[PastDueInvoice]  # the longest overdue first, at most PAST_DUE_SHOWN
    more_past_due: int  # past-due invoices not in `past_due`


def needs_attention(uow: UnitOfWork, clock: Clock, user_id: str) -> Attention:
    """The amounts due and the past-due invoices of everything the user may see."""
    profile_ids = profiles_with_invoices_for(uow, user_id)
    day = today(clock)
    balances = uow.invoices.open_balances(profile_ids, day)
    accounts: dict[str, BillingAccount] = {}
    owed = []
    for profile_id, balance in balances.items():
        profile = uow.profiles.get(profile_id)
        if profile.billing_account_id not in accounts:
            accounts[profile.billing_account_id] = uow.accounts.get(profile.billing_account_id)
        owed.append(Owed(accounts[profile.billing_account_id], profile, balance))
    owed.sort(key=lambda o: (-o.balance.past_due_invoices, o.account.display_name, o.profile.display_name))
    return Attention(bool(profile_ids), owed, *_past_due(uow, user_id, owed, day))


def _past_due(uow: UnitOfWork, user_id: str, owed: list[Owed], day: date) -> tuple[list[PastDueInvoice], int]:
    late = {o.profile.id: o for o in owed if o.balance.past_due_invoices}
    # Past its due date and still open: Past due, or Partially paid (the status a part payment shows), as the
    # balances count them.
    open_statuses = frozenset({InvoiceStatus.PAST_DUE, InvoiceStatus.PARTIALLY_PAID})
    query = InvoiceQuery(
        frozenset(late),
        statuses=open_statuses,
        due_date_to=day - timedelta(days=1),
        limit=PAST_DUE_SHOWN,
        oldest_first=True,
    )
    invoices = sorted(uow.invoices.page(query, day), key=lambda invoice: (invoice.due_date, invoice.id))
    held = uow.roles.for_user(user_id)
    in_flight = uow.payments.in_flight_invoices(invoice.id for invoice in invoices)
    shown = []
    for invoice in invoices:
        where = late[invoice.billing_profile_id]
        payer = can(held, Permission.PAY_INVOICES, Scope(where.account.id, where.profile.id))
        may_pay = payer and where.account.pays_in_portal and invoice.id not in in_flight
        shown.append(PastDueInvoice(invoice, where, may_pay))
    total = sum(o.balance.past_due_invoices for o in late.values())
    return shown, total - len(shown)
