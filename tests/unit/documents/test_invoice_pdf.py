"""The invoice PDF: real, searchable text in the billing profile's language, amounts as the locale
writes them, fonts embedded, and the same bytes for the same invoice."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from settle.documents.invoice_pdf import render_invoice_pdf
from settle.documents.model import DocumentLine, Instructions, SectionBlock
from settle.money import Money
from tests.unit.documents.samples import invoice_document, pages_of, snapshot, text_of

NBSP = "\u00a0"

# The total of the sample invoice as format_money writes it in each language (Babel, with a
# no-break space where the locale puts one), and words of the document in that language.
TOTALS = {"en": "$1,234.56", "nl": f"€{NBSP}1.234,56", "da": f"1.234,56{NBSP}kr."}
WORDS = {
    "en": [
        "Invoice",
        "Invoice date",
        "Due date",
        "Billing period",
        "Amount due",
        "Pay now in the portal",
        "Or pay by bank transfer",
        "IBAN",
    ],
    "nl": [
        "Factuur",
        "Factuurdatum",
        "Vervaldatum",
        "Factureringsperiode",
        "Te betalen bedrag",
        "Btw (21%)",
        "Nu betalen in de portal",
        "Of betaal per bankoverschrijving",
        "Meld u aan bij de portal, open Facturen en kies Nu betalen",
        "januari 2026",
    ],
    "da": [
        "Faktura",
        "Fakturadato",
        "Forfaldsdato",
        "Faktureringsperiode",
        "Skyldigt beløb",
        f"Moms (21{NBSP}%)",
        "Betal nu i portalen",
        "Eller betal via bankoverførsel",
        "åbn Fakturaer, og vælg Betal nu",
        "januar 2026",
    ],
}


@pytest.mark.parametrize("locale", ["en", "nl", "da"])
def test_text_holds_the_number_the_total_for_the_locale_and_the_words_of_its_language(locale: str) -> None:
    text = text_of(render_invoice_pdf(invoice_document(locale)))
    assert "G000000001" in text
    assert TOTALS[locale] in text
    for word in WORDS[locale]:
        assert word in text, f"{word!r} is not in the {locale} invoice"


@pytest.mark.parametrize("locale", ["en", "nl", "da"])
def test_page_one_of_each_language_is_kept_as_an_image(locale: str) -> None:
    image = snapshot(render_invoice_pdf(invoice_document(locale)), f"invoice-{locale}")
    if image is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: no image, the text tests still ran")
    assert image.stat().st_size > 10_000


def test_lines_are_grouped_under_their_invoice_sections_display_names() -> None:
    text = text_of(render_invoice_pdf(invoice_document("da")))
    assert text.index("Engineering") < text.index("Virtual machines") < text.index("I alt for Engineering")
    assert text.index("I alt for Engineering") < text.index("Søndre afdeling") < text.index("Lagerplads")


def test_bill_to_address_and_provider_are_on_it() -> None:
    text = text_of(render_invoice_pdf(invoice_document("nl")))
    assert "FACTUURADRES" in text
    assert "Keizersgracht 100" in text and "1015 AA Amsterdam" in text
    assert "Settle Billing B.V." in text and "Btw-nummer" in text


def test_subtotal_credits_tax_and_amount_due_are_shown() -> None:
    document = invoice_document("nl", credits=Money(500, "EUR"))
    text = text_of(render_invoice_pdf(document))
    assert f"Subtotaal €{NBSP}1.020,30" in text
    assert f"Toegepast tegoed €{NBSP}-5,00" in text
    assert f"Btw (21%) €{NBSP}214,26" in text
    assert f"Te betalen bedrag €{NBSP}1.234,56" in text


def test_bank_transfer_instructions_give_the_invoice_number_as_reference() -> None:
    text = text_of(render_invoice_pdf(invoice_document("nl", instructions=Instructions.BANK_TRANSFER)))
    assert "Betalen per bankoverschrijving" in text
    assert "Betalingskenmerk G000000001" in text
    assert "IBAN NL91 ABNA 0417 1643 00" in text
    assert "Nu betalen in de portal" not in text


@pytest.mark.parametrize(
    ("locale", "mark"),
    [("en", "Paid on January 20, 2026"), ("nl", "Betaald op 20 januari 2026"), ("da", "Betalt den 20. januar 2026")],
)
def test_a_paid_invoice_carries_the_paid_mark_with_the_date(locale: str, mark: str) -> None:
    document = invoice_document(locale, paid_on=date(2026, 1, 20))
    pdf = render_invoice_pdf(document)
    text = text_of(pdf)
    assert mark in text
    assert {"en": "PAID", "nl": "BETAALD", "da": "BETALT"}[locale] in text
    snapshot(pdf, f"invoice-{locale}-paid")


def test_a_void_invoice_says_so_and_asks_for_nothing() -> None:
    text = text_of(render_invoice_pdf(invoice_document("da", voided=True, instructions=Instructions.NOTHING_DUE)))
    assert "ANNULLERET" in text
    assert "der skal ikke betales noget" in text


def test_the_same_invoice_gives_the_same_bytes_and_the_same_cache_key() -> None:
    first, second = invoice_document("nl"), invoice_document("nl")
    assert render_invoice_pdf(first) == render_invoice_pdf(second)
    assert first.cache_key() == second.cache_key()


def test_a_changed_invoice_gives_other_bytes_and_another_cache_key() -> None:
    document = invoice_document("nl")
    changed = replace(document, amount_due=Money(0, "EUR"), paid_on=date(2026, 1, 20))
    assert render_invoice_pdf(changed) != render_invoice_pdf(document)
    assert changed.cache_key() != document.cache_key()


def test_the_creation_date_is_the_invoice_date_and_the_language_is_set() -> None:
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice_document("da"))))
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"].startswith("D:20260105")
    assert reader.metadata.title == "Faktura G000000001"
    assert reader.trailer["/Root"]["/Lang"] == "da"


def test_fonts_are_embedded_dejavu_so_every_letter_renders() -> None:
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice_document("da"))))
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        assert "DejaVuSans" in font["/BaseFont"]
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
    text = text_of(render_invoice_pdf(invoice_document("da")))
    assert "Søndre afdeling" in text and "Skyldigt beløb" in text


def test_a_long_invoice_runs_over_pages_with_the_headings_again_and_page_numbers() -> None:
    lines = tuple(DocumentLine(f"Virtual machine {n}", Decimal(720), Money(10_000, "EUR")) for n in range(70))
    block = SectionBlock("Engineering", lines, Money(700_000, "EUR"))
    pdf = render_invoice_pdf(invoice_document("nl", sections=(block,)))
    pages = pages_of(pdf)
    assert pages >= 2
    text = text_of(pdf)
    assert text.count("OMSCHRIJVING") == pages
    assert f"Pagina 1 van {pages}" in text and f"Pagina {pages} van {pages}" in text
    assert "Virtual machine 69" in text
