"""What an invoice or a receipt document shows: plain data built from the stores, and the rules for
what goes on it. Rendering (documents/*_pdf.py) formats this data and nothing else, so the same data
always gives the same bytes, and `cache_key` names those bytes before they are made."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from settle.accounts.model import Address, BillingAccount, BillingProfile, User
from settle.config import Settings
from settle.invoices.model import Invoice
from settle.money import Money, total
from settle.payments.model import Payment, PaymentMethod, PaymentMethodFamily, PaymentStatus

# Bumped whenever the layout changes, so that cached documents are made anew.
LAYOUT_VERSION = "2"  # 2: the bank details on every invoice that is due


@dataclass(frozen=True)
class Provider:
    """Who issues the invoices and where bank transfers go."""

    name: str
    address: Address
    vat_number: str
    email: str
    bank_name: str
    iban: str
    bic: str


# The provider of a self-hosted Settle until its operator configures their own (passed to the
# document builders, never read from settings here).
PROVIDER = Provider(
    name="Settle Billing B.V.",
    address=Address("Settle Billing B.V.", "Herengracht 100", "", "Amsterdam", "1015 BS", "", "NL"),
    vat_number="NL001234567B01",
    email="billing@settle.example",
    bank_name="ABN AMRO Bank N.V.",
    iban="NL91 ABNA 0417 1643 00",
    bic="ABNANL2A",
)


def configured_provider(settings: Settings) -> Provider:
    """The provider the operator configured (SETTLE_PROVIDER_*), part by part over the sample one."""
    given = dict(settings.provider)
    address = PROVIDER.address
    name = given.get("name", PROVIDER.name)
    return Provider(
        name=name,
        address=Address(
            name,
            given.get("street", address.line1),
            "",
            given.get("city", address.city),
            given.get("postal_code", address.postal_code),
            given.get("region", address.region),
            given.get("country", address.country),
        ),
        vat_number=given.get("vat_number", PROVIDER.vat_number),
        email=given.get("email", PROVIDER.email),
        bank_name=given.get("bank", PROVIDER.bank_name),
        iban=given.get("iban", PROVIDER.iban),
        bic=given.get("bic", PROVIDER.bic),
    )


class Instructions(StrEnum):
    """How the customer pays what is due."""

    PAY_IN_PORTAL = "pay_in_portal"
    BANK_TRANSFER = "bank_transfer"
    NOTHING_DUE = "nothing_due"


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: Decimal
    amount: Money


@dataclass(frozen=True)
class SectionBlock:
    """The lines of one invoice section, under its display name."""

    name: str
    lines: tuple[DocumentLine, ...]
    subtotal: Money


@dataclass(frozen=True)
class InvoiceDocument:
    locale: str
    number: str
    provider: Provider
    bill_to: tuple[str, ...]
    billing_account: str
    billing_profile: str
    invoice_date: date
    due_date: date
    period_start: date
    period_end: date
    sections: tuple[SectionBlock, ...]
    subtotal: Money
    credits: Money
    tax_rate: Decimal
    tax: Money
    total: Money
    amount_paid: Money
    amount_due: Money
    instructions: Instructions
    pay_now_offered: bool = False  # something is due and the account pays with Pay now
    paid_on: date | None = None  # set once the amount due is zero
    voided: bool = False
    portal_url: str = ""

    def cache_key(self) -> str:
        return _key("invoice", self)


@dataclass(frozen=True)
class Card:
    """A card as a receipt names it."""

    brand: str
    last4: str


@dataclass(frozen=True)
class ReceiptDocument:
    locale: str
    receipt_number: str
    invoice_number: str
    provider: Provider
    bill_to: tuple[str, ...]
    amount: Money
    paid_at: datetime
    timezone: str
    payer: str
    card: Card | None = None  # a card payment
    bank_reference: str | None = None  # a bank transfer: the reference it came with
    processor_reference: str | None = None

    def cache_key(self) -> str:
        return _key("receipt", self)


@dataclass(frozen=True)
class RefundReceiptDocument:
    """The receipt of money given back from a card payment."""

    locale: str
    receipt_number: str
    invoice_number: str
    payment_receipt_number: str | None  # the receipt of the payment refunded
    provider: Provider
    bill_to: tuple[str, ...]
    amount: Money
    refunded_at: datetime
    timezone: str
    card: Card | None = None
    processor_reference: str | None = None

    def cache_key(self) -> str:
        return _key("refund", self)


def _key(kind: str, document: object) -> str:
    """A name for the rendered bytes: the same content always has the same key (dataclass reprs of
    strings, Decimals, dates and Money are exact and stable)."""
    return hashlib.sha256(f"{kind}:{LAYOUT_VERSION}:{document!r}".encode()).hexdigest()


def instructions_for(invoice: Invoice, account: BillingAccount, default_method: PaymentMethod | None) -> Instructions:
    """A card on file in an account that pays with Pay now: the portal; otherwise a bank transfer."""
    if invoice.voided_at is not None or invoice.amount_due.is_zero():
        return Instructions.NOTHING_DUE
    has_card = default_method is not None and default_method.family is PaymentMethodFamily.CREDIT_CARD
    return Instructions.PAY_IN_PORTAL if has_card and account.pays_in_portal else Instructions.BANK_TRANSFER


def paid_on(invoice: Invoice, payments: Iterable[Payment], tz: str = "UTC") -> date | None:
    """The day of the last succeeded payment, once nothing is due any more."""
    if not invoice.amount_due.is_zero() or invoice.voided_at is not None:
        return None
    moments = [p.completed_at for p in payments if p.status is PaymentStatus.SUCCEEDED and p.completed_at]
    return max(moments).astimezone(ZoneInfo(tz)).date() if moments else None


def section_blocks(invoice: Invoice, section_names: Mapping[str, str]) -> tuple[SectionBlock, ...]:
    """The lines grouped by invoice section, sections in the order they first appear."""
    grouped: dict[str, list[DocumentLine]] = {}
    for line in invoice.lines:
        grouped.setdefault(line.invoice_section_id, []).append(
            DocumentLine(line.description, line.quantity, line.amount)
        )
    blocks = []
    for section_id, lines in grouped.items():
        subtotal = total([shown.amount for shown in lines], invoice.currency)
        blocks.append(SectionBlock(section_names.get(section_id, section_id), tuple(lines), subtotal))
    return tuple(blocks)


def build_invoice_document(
    invoice: Invoice,
    account: BillingAccount,
    profile: BillingProfile,
    section_names: Mapping[str, str],
    *,
    instructions: Instructions,
    paid: date | None,
    provider: Provider = PROVIDER,
    portal_url: str = "",
) -> InvoiceDocument:
    return InvoiceDocument(
        locale=profile.invoice_language,
        number=invoice.id,
        provider=provider,
        bill_to=tuple(profile.bill_to.lines()),
        billing_account=account.display_name,
        billing_profile=profile.display_name,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        sections=section_blocks(invoice, section_names),
        subtotal=invoice.subtotal,
        credits=invoice.credits,
        tax_rate=invoice.tax_rate,
        tax=invoice.tax,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_due=invoice.amount_due,
        instructions=instructions,
        pay_now_offered=account.pays_in_portal and invoice.voided_at is None and invoice.amount_due.is_positive(),
        paid_on=paid,
        voided=invoice.voided_at is not None,
        portal_url=portal_url,
    )


def build_receipt_document(
    payment: Payment,
    profile: BillingProfile,
    card: Card | None,
    payer: User | None,
    *,
    tz: str = "UTC",
    provider: Provider = PROVIDER,
) -> ReceiptDocument:
    """A succeeded payment's receipt. Its payer is the person who paid by card, else the customer
    named on the bill (a bank transfer an operator recorded)."""
    if payment.status is not PaymentStatus.SUCCEEDED or payment.receipt_number is None:
        raise ValueError(f"payment {payment.id} has no receipt: it did not succeed")
    bill_to = tuple(profile.bill_to.lines())
    is_card = payment.family is PaymentMethodFamily.CREDIT_CARD
    return ReceiptDocument(
        locale=profile.invoice_language,
        receipt_number=payment.receipt_number,
        invoice_number=payment.invoice_id,
        provider=provider,
        bill_to=bill_to,
        amount=payment.amount,
        paid_at=payment.completed_at or payment.created_at,
        timezone=tz,
        payer=f"{payer.display_name} <{payer.email}>" if payer else (bill_to[0] if bill_to else profile.display_name),
        card=card if is_card else None,
        bank_reference=None if is_card else (payment.reference or payment.invoice_id),
        processor_reference=payment.processor_reference,
    )
