"""Demo data: Contoso and Fabrikam, their people, 24 months of invoices and a saved card that pays
Contoso Billing's invoices automatically from the day the demo is loaded.

Deterministic (the same amounts every time, dated relative to today) and idempotent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.model import Address
from settle.accounts.service import add_billing_profile, add_invoice_section, add_user, create_billing_account
from settle.clock import Clock, today
from settle.db import metadata
from settle.invoices.model import Invoice, InvoiceLine
from settle.invoices.service import void_invoice
from settle.money import Money
from settle.notify.store import outbox_messages
from settle.payments.autopay import set_autopay
from settle.payments.service import make_default_payment_method, record_bank_transfer, save_card
from settle.processor.interface import Tokenizer
from settle.uow import UnitOfWork

PASSWORD = "settle-demo-password"
CONTOSO = "6f1d2c3b-5a4e-4c0d-9b8a-c0e7050c0001"
FABRIKAM = "9e8d7c6b-5a4f-4e3d-8c2b-fab41ca70002"
CONTOSO_BILLING = "CNTS-BILL-EUR-001"
CONTOSO_RND = "CNTS-RAND-DKK-002"
FABRIKAM_BILLING = "FBKM-BILL-USD-001"
PAYMENT_TERMS_DAYS = 30
VISA = "4242424242424242"  # the public test card that always succeeds
SERVICES = ("Virtual Machines", "Storage", "Azure SQL Database", "Bandwidth", "Azure Monitor", "App Service")


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str


USERS = (
    DemoUser("admin@contoso.example", "Contoso Admin", "billing account owner of Contoso Ltd"),
    DemoUser("reader@contoso.example", "Contoso Reader", "billing account reader of Contoso Ltd"),
    DemoUser("invoices@contoso.example", "Contoso Invoices", "invoice manager on Contoso Billing"),
    DemoUser("admin@fabrikam.example", "Fabrikam Admin", "billing account owner of Fabrikam Inc"),
)


def is_loaded(uow: UnitOfWork) -> bool:
    return uow.accounts.find(CONTOSO) is not None


def reset(uow: UnitOfWork) -> None:
    """Delete every row of Settle's tables (the schema and its migrations stay)."""
    for table in reversed(metadata.sorted_tables):
        uow.connection.execute(sa.delete(table))


def load(uow: UnitOfWork, clock: Clock, processor: Tokenizer) -> None:
    """Create the demo data in the caller's transaction; the saved card is tokenised at `processor`."""
    people = {
        user.email: add_user(uow, clock, email=user.email, display_name=user.name, password=PASSWORD, verified=True)
        for user in USERS
    }
    admin, fabrikam_admin = people["admin@contoso.example"], people["admin@fabrikam.example"]
    contoso_address = Address("Contoso Ltd", "Keizersgracht 100", "", "Amsterdam", "1015 AA", "", "NL")
    create_billing_account(
        uow, clock, display_name="Contoso Ltd", administrator_id=admin.id, sold_to=contoso_address, account_id=CONTOSO
    )
    add_billing_profile(
        uow,
        clock,
        billing_account_id=CONTOSO,
        display_name="Contoso Billing",
        currency="EUR",
        profile_id=CONTOSO_BILLING,
        invoice_email="ap@contoso.example",
        invoice_language="nl",
    )
    add_billing_profile(
        uow,
        clock,
        billing_account_id=CONTOSO,
        display_name="Contoso R&D",
        currency="DKK",
        profile_id=CONTOSO_RND,
        bill_to=Address("Contoso R&D ApS", "Strandvejen 60", "", "Hellerup", "2900", "", "DK"),
        invoice_email="rnd@contoso.example",
        invoice_language="da",
    )
    fabrikam_address = Address("Fabrikam Inc", "1 Microsoft Way", "", "Redmond", "98052", "WA", "US")
    create_billing_account(
        uow,
        clock,
        display_name="Fabrikam Inc",
        administrator_id=fabrikam_admin.id,
        sold_to=fabrikam_address,
        account_id=FABRIKAM,
    )
    add_billing_profile(
        uow,
        clock,
        billing_account_id=FABRIKAM,
        display_name="Fabrikam Billing",
        currency="USD",
        profile_id=FABRIKAM_BILLING,
        invoice_email="ap@fabrikam.example",
    )
    sections = {
        CONTOSO_BILLING: [("CNTS-ENGR-SEC-001", "Engineering"), ("CNTS-MKTG-SEC-002", "Marketing")],
        CONTOSO_RND: [("CNTS-LABS-SEC-003", "Research labs"), ("CNTS-PLAT-SEC-004", "Platform")],
        FABRIKAM_BILLING: [("FBKM-OPSX-SEC-001", "Operations"), ("FBKM-WEBX-SEC-002", "Web shop")],
    }
    for profile_id, named in sections.items():
        for section_id, name in named:
            add_invoice_section(uow, clock, billing_profile_id=profile_id, display_name=name, section_id=section_id)
    grant_role(
        uow,
        clock,
        actor_id=admin.id,
        user_id=people["reader@contoso.example"].id,
        role=Role.BILLING_ACCOUNT_READER,
        scope=Scope(CONTOSO),
    )
    grant_role(
        uow,
        clock,
        actor_id=admin.id,
        user_id=people["invoices@contoso.example"].id,
        role=Role.INVOICE_MANAGER,
        scope=Scope(CONTOSO, CONTOSO_BILLING),
    )
    _issue_invoices(uow, clock, sections)
    # The processor holds the card; Settle keeps its token, brand, last 4, expiry and holder.
    made = processor.tokenize(VISA, 12, today(clock).year + 3, "123", "Contoso Admin")
    token = processor.attach_token(made.token, owner=admin.id)
    card = save_card(uow, clock, owner_id=admin.id, token=token, linked_to=[CONTOSO_BILLING, CONTOSO_RND])
    make_default_payment_method(uow, clock, actor_id=admin.id, profile_id=CONTOSO_BILLING, method_id=card.id)
    # Contoso Billing pays automatically from today: its invoices due from now on are charged to the
    # card on their due date; the past due and partially paid ones stay for Pay now.
    set_autopay(uow, clock, actor_id=admin.id, profile_id=CONTOSO_BILLING, enabled=True)
    uow.connection.execute(sa.delete(outbox_messages))  # two years of history are not news: no e-mails about them


def _issue_invoices(uow: UnitOfWork, clock: Clock, sections: dict[str, list[tuple[str, str]]]) -> None:
    day = today(clock)
    plans = [
        (CONTOSO_BILLING, CONTOSO, "EUR", Decimal("0.21"), 24, 100_000),
        (CONTOSO_RND, CONTOSO, "DKK", Decimal("0.25"), 24, 200_000),
        (FABRIKAM_BILLING, FABRIKAM, "USD", Decimal("0.07"), 12, 300_000),
    ]
    for profile_id, account_id, currency, rate, months, first_number in plans:
        rng = random.Random(profile_id)  # the same amounts every time
        section_ids = [section_id for section_id, _ in sections[profile_id]]
        invoice_dates = monthly_invoice_dates(day, months)
        for index, invoice_date in enumerate(invoice_dates):
            age = months - 1 - index  # 0: this month's invoice
            invoice = _invoice(
                rng,
                f"G{first_number + index:09d}",
                account_id,
                profile_id,
                currency,
                rate,
                invoice_date,
                section_ids,
                clock,
            )
            uow.invoices.add(invoice)
            _settle_by_age(uow, clock, invoice, age, profile_id == CONTOSO_BILLING)
        if profile_id == CONTOSO_BILLING:  # a reservation bought this month: a second Due invoice
            purchase = _invoice(
                rng,
                f"G{first_number + 500:09d}",
                account_id,
                profile_id,
                currency,
                rate,
                day - timedelta(days=3),
                section_ids[:1],
                clock,
                ("Reserved VM Instance, 1 year",),
            )
            uow.invoices.add(purchase)


def _settle_by_age(uow: UnitOfWork, clock: Clock, invoice: Invoice, age: int, main_profile: bool) -> None:
    """This month's invoice stays Due; on Contoso Billing last month's is Partially paid, the one
    before Past due (two months back it is past its 30 days whatever the month lengths), and the one
    before that Void; every other invoice was paid by bank transfer."""
    if age == 0 or (main_profile and age == 2):
        return
    if main_profile and age == 1:
        half = Money(invoice.amount_due.minor // 2, invoice.currency)
        record_bank_transfer(uow, clock, invoice_number=invoice.id, amount=half, reference=f"{invoice.id} part 1")
        return
    if main_profile and age == 3:
        void_invoice(uow, clock, invoice.id, reason="re-issued with corrected charges")
        return
    record_bank_transfer(uow, clock, invoice_number=invoice.id, amount=invoice.amount_due, reference=invoice.id)


def monthly_invoice_dates(day: date, months: int) -> list[date]:
    """Invoices are issued on the 5th for the month before; the newest is the latest 5th up to today."""
    year, month = (day.year, day.month) if day.day >= 5 else _previous(day.year, day.month)
    dates = []
    for _ in range(months):
        dates.append(date(year, month, 5))
        year, month = _previous(year, month)
    return list(reversed(dates))


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _invoice(
    rng: random.Random,
    number: str,
    account_id: str,
    profile_id: str,
    currency: str,
    rate: Decimal,
    invoice_date: date,
    section_ids: list[str],
    clock: Clock,
    services: tuple[str, ...] = SERVICES,
) -> Invoice:
    period_end = invoice_date.replace(day=1) - timedelta(days=1)
    lines = [
        InvoiceLine(section_id, service, Money(rng.randrange(5_000, 250_000), currency), Decimal(rng.randrange(1, 744)))
        for section_id in section_ids
        for service in rng.sample(services, k=min(len(services), rng.randrange(1, 4)))
    ]
    return Invoice.issue(
        number=number,
        billing_account_id=account_id,
        billing_profile_id=profile_id,
        currency=currency,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=PAYMENT_TERMS_DAYS),
        period_start=period_end.replace(day=1),
        period_end=period_end,
        lines=lines,
        created_at=clock.now(),
        tax_rate=rate,
    )
