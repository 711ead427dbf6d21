"""Invoice and receipt PDFs made from what the stores hold, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.documents.invoice_pdf import invoice_pdf
from settle.documents.receipt_pdf import receipt_pdf
from settle.documents.sources import ReceiptNotFound, invoice_document
from settle.invoices.model import InvoiceNotFound
from settle.payments.service import remove_payment_method
from settle.uow import UnitOfWork
from tests.integration.documents.billing import Billing, make_billing
from tests.unit.documents.samples import text_of

NBSP = "\u00a0"


@pytest.fixture
def billing(engine: Engine, clock: FixedClock, tmp_path: Path) -> Billing:
    return make_billing(engine, clock, tmp_path, language="da")


def test_an_invoice_pdf_is_in_the_profiles_language_with_its_sections_and_pay_now(billing: Billing) -> None:
    invoice = billing.invoice(amounts=(100_000, 2_550))
    with UnitOfWork(billing.engine, write=False) as uow:
        text = text_of(invoice_pdf(uow, invoice.id, base_url="https://billing.example"))
    assert "Faktura" in text and invoice.id in text
    assert "Engineering" in text and "Sales" in text
    assert f"Skyldigt beløb 1.240,86{NBSP}kr." in text  # (1,000.00 + 25.50) + 21% tax
    assert "Betal nu i portalen" in text and "https://billing.example" in text
    # The help article promises the bank details on every invoice: a payer without the card at hand pays too.
    assert "Eller betal via bankoverførsel" in text and f"Betalingsreference {invoice.id}" in text
    assert "IBAN NL" in text


def test_a_profile_without_a_card_is_asked_for_a_bank_transfer(billing: Billing) -> None:
    with UnitOfWork(billing.engine) as uow:
        profile = uow.profiles.get(billing.profile_id)
        uow.profiles.update(replace(profile, default_payment_method_id=None))
    invoice = billing.invoice()
    with UnitOfWork(billing.engine, write=False) as uow:
        text = text_of(invoice_pdf(uow, invoice.id))
    assert "Betal via bankoverførsel" in text and f"Betalingsreference {invoice.id}" in text


def test_an_invoice_paid_in_two_transfers_is_marked_paid_on_the_day_of_the_last(billing: Billing) -> None:
    invoice = billing.invoice()
    half = replace(invoice.amount_due, minor=invoice.amount_due.minor // 2)
    billing.pay_by_transfer(invoice, half)
    billing.clock.advance(timedelta(days=3))
    billing.pay_by_transfer(invoice, invoice.amount_due - half)
    with UnitOfWork(billing.engine, write=False) as uow:
        document = invoice_document(uow, invoice.id)
        text = text_of(invoice_pdf(uow, invoice.id))
    assert document.paid_on == billing.clock.now().date()
    assert "BETALT" in text and "Betalt den 18. marts 2026" in text
    assert "Modtagne betalinger" in text


def test_a_card_receipt_keeps_the_card_after_the_card_is_removed(billing: Billing) -> None:
    invoice = billing.invoice()
    payment = billing.pay_by_card(invoice)
    assert payment.receipt_number is not None
    replacement = billing.add_card("5555555555554444")
    with UnitOfWork(billing.engine) as uow:
        profile = uow.profiles.get(billing.profile_id)
        uow.profiles.update(replace(profile, default_payment_method_id=replacement.id))
        remove_payment_method(
            uow, billing.clock, actor_id=billing.payer.id, profile_id=billing.profile_id, method_id=billing.card.id
        )
    with UnitOfWork(billing.engine, write=False) as uow:
        text = text_of(receipt_pdf(uow, payment.receipt_number))
    assert "Kvittering" in text and payment.receipt_number in text and invoice.id in text
    assert "Visa, der ender på 4242" in text
    assert "Søren Ærø" in text


def test_a_bank_transfer_receipt_names_the_transfer(billing: Billing) -> None:
    invoice = billing.invoice()
    payment = billing.pay_by_transfer(invoice)
    assert payment.receipt_number is not None
    with UnitOfWork(billing.engine, write=False) as uow:
        text = text_of(receipt_pdf(uow, payment.receipt_number))
    assert "Bankoverførsel" in text and f"Reference {invoice.id}" in text


def test_unknown_invoices_and_receipts_are_not_found(billing: Billing) -> None:
    invoice = billing.invoice()
    declined = billing.pay_by_card(invoice, number="4000000000000002")
    with UnitOfWork(billing.engine, write=False) as uow:
        with pytest.raises(InvoiceNotFound):
            invoice_pdf(uow, "G999999999")
        for number in ("G999999999-R1", f"{invoice.id}-R1", "nonsense"):
            with pytest.raises(ReceiptNotFound):
                receipt_pdf(uow, number)
    assert declined.receipt_number is None
