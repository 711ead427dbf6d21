"""Documents as the stores would give them, built through the same rules; a test changes what matters to it."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from settle.accounts.model import Address, AgreementType, BillingAccount, BillingProfile, User
from settle.documents.model import (
    Card,
    InvoiceDocument,
    ReceiptDocument,
    build_invoice_document,
    build_receipt_document,
    instructions_for,
)
from settle.payments.model import PaymentMethodFamily, PaymentStatus
from tests.unit.factories import ACCOUNT_ID, NOW, PROFILE_ID, SECTION_ID, card, invoice, line, payment

OTHER_SECTION = "QRST-5678-GH9-IJ0"
SECTIONS = {SECTION_ID: "Engineering", OTHER_SECTION: "Søndre afdeling"}
CURRENCY = {"en": "USD", "nl": "EUR", "da": "DKK"}
SNAPSHOTS = Path("test-results/documents")


def account(agreement: AgreementType = AgreementType.MICROSOFT_CUSTOMER_AGREEMENT) -> BillingAccount:
    return BillingAccount(ACCOUNT_ID, "Contoso Ltd", agreement, NOW)


def profile(locale: str = "nl", **overrides: Any) -> BillingProfile:
    fields: dict[str, Any] = {
        "id": PROFILE_ID,
        "billing_account_id": ACCOUNT_ID,
        "display_name": "Contoso Billing",
        "currency": CURRENCY[locale],
        "created_at": NOW,
        "bill_to": Address("Contoso Ltd", "Keizersgracht 100", "", "Amsterdam", "1015 AA", "", "NL"),
        "invoice_email": "ap@contoso.example",
        "invoice_language": locale,
    }
    fields.update(overrides)
    return BillingProfile(**fields)


def invoice_document(locale: str = "nl", *, paid_on: date | None = None, **overrides: Any) -> InvoiceDocument:
    """An invoice of 1,000.00 + 20.30 in two sections, 21% tax: a total of 1,234.56 in the locale's
    currency (nl EUR, da DKK, en USD), to be paid by card in the portal unless it is paid."""
    currency = CURRENCY[locale]
    issued = invoice(
        currency=currency,
        tax_rate="0.21",
        lines=[line("1000.00", currency), replace(line("20.30", currency, OTHER_SECTION), description="Lagerplads")],
    )
    if paid_on is not None:
        issued = issued.with_payment(issued.amount_due)
    built = build_invoice_document(
        issued,
        account(),
        profile(locale),
        SECTIONS,
        instructions=instructions_for(issued, account(), card()),
        paid=paid_on,
    )
    return replace(built, **overrides)


def receipt_document(locale: str = "nl", *, by_card: bool = True) -> ReceiptDocument:
    currency = CURRENCY[locale]
    made = payment(
        amount=invoice_document(locale).total,
        status=PaymentStatus.SUCCEEDED,
        receipt_number="G000000001-R1",
        completed_at=datetime(2026, 1, 20, 13, 45, tzinfo=UTC),
        processor_reference="ch_3PqXyZ" if by_card else None,
        family=PaymentMethodFamily.CREDIT_CARD if by_card else PaymentMethodFamily.BANK_TRANSFER,
        payer_id="user-1" if by_card else None,
        reference=None if by_card else "G000000001",
    )
    assert made.amount.currency == currency
    payer = User("user-1", "soren@contoso.example", "Søren Ærø", "hash", NOW) if by_card else None
    return build_receipt_document(
        made, profile(locale), Card("visa", "4242") if by_card else None, payer, tz="Europe/Copenhagen"
    )


def text_of(pdf: bytes) -> str:
    """Every page's text, as a person copying it out of a viewer gets it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pages_of(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def snapshot(pdf: bytes, name: str) -> Path | None:
    """Keep the PDF and a PNG of its first page under test-results/ (a CI artifact to look at);
    None when poppler's pdftoppm is not installed (the text tests run regardless)."""
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    source = SNAPSHOTS / f"{name}.pdf"
    source.write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, SNAPSHOTS / name], check=True
    )
    return SNAPSHOTS / f"{name}.png"
