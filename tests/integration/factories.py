"""Build a small valid world through the services, in one line per thing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy.engine import Engine

from settle.accounts.model import BillingAccount, BillingProfile, InvoiceSection, User
from settle.accounts.service import add_billing_profile, add_invoice_section, add_user, create_billing_account
from settle.clock import Clock
from settle.invoices.model import Invoice, InvoiceLine
from settle.money import Money
from settle.uow import UnitOfWork

PASSWORD = "correct horse battery"
_numbers = count(1)


@dataclass
class World:
    owner: User
    account: BillingAccount
    profile: BillingProfile
    sections: list[InvoiceSection]


def make_world(engine: Engine, clock: Clock, *, name: str = "Contoso", currency: str = "EUR") -> World:
    """An account with its owner, one billing profile and two invoice sections."""
    with UnitOfWork(engine) as uow:
        owner = add_user(
            uow,
            clock,
            verified=True,
            email=f"owner-{next(_numbers)}@{name.lower()}.example",
            display_name="Owner",
            password=PASSWORD,
        )
        account = create_billing_account(uow, clock, display_name=name, administrator_id=owner.id)
        profile = add_billing_profile(
            uow, clock, billing_account_id=account.id, display_name=f"{name} Billing", currency=currency
        )
        sections = [
            add_invoice_section(uow, clock, billing_profile_id=profile.id, display_name=n)
            for n in ("Engineering", "Sales")
        ]
    return World(owner, account, profile, sections)


def make_invoice(
    world: World,
    clock: Clock,
    *,
    number: str | None = None,
    invoice_date: date | None = None,
    due_in_days: int = 30,
    amounts: tuple[int, ...] = (10_000, 2_550),
    tax_rate: str = "0.21",
) -> Invoice:
    invoice_date = invoice_date or clock.now().date()
    period_end = invoice_date.replace(day=1) - timedelta(days=1)
    currency = world.profile.currency
    lines = [
        InvoiceLine(world.sections[position % 2].id, f"Service {position}", Money(amount, currency))
        for position, amount in enumerate(amounts)
    ]
    return Invoice.issue(
        number=number or f"G{next(_numbers):09d}",
        billing_account_id=world.account.id,
        billing_profile_id=world.profile.id,
        currency=currency,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=due_in_days),
        period_start=period_end.replace(day=1),
        period_end=period_end,
        lines=lines,
        created_at=clock.now(),
        tax_rate=Decimal(tax_rate),
    )


def add_invoices(engine: Engine, invoices: list[Invoice]) -> None:
    with UnitOfWork(engine) as uow:
        uow.invoices.add_many(invoices)
