"""The receipt PDF of a succeeded payment: number, invoice, amount, how it was paid, when and by whom."""

from __future__ import annotations

import pytest

from settle.documents.receipt_pdf import render_receipt_pdf
from tests.unit.documents.samples import receipt_document, snapshot, text_of

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", ["Receipt", "Receipt number", "Amount paid", "Visa ending in 4242", "Paid by", "January 20, 2026"]),
        (
            "nl",
            ["Ontvangstbewijs", "Nummer ontvangstbewijs", "Betaald bedrag", "Visa eindigend op 4242", "Betaald door"],
        ),
        ("da", ["Kvittering", "Kvitteringsnummer", "Betalt beløb", "Visa, der ender på 4242", "Betalt af"]),
    ],
)
def test_a_card_receipt_names_number_invoice_amount_card_time_and_payer(locale: str, words: list[str]) -> None:
    pdf = render_receipt_pdf(receipt_document(locale))
    text = text_of(pdf)
    assert "G000000001-R1" in text and "G000000001" in text
    assert {"en": "$1,234.56", "nl": f"€{NBSP}1.234,56", "da": f"1.234,56{NBSP}kr."}[locale] in text
    assert "Søren Ærø <soren@contoso.example>" in text
    assert "ch_3PqXyZ" in text
    assert "(Europe/Copenhagen)" in text
    for word in words:
        assert word in text, f"{word!r} is not in the {locale} receipt"
    snapshot(pdf, f"receipt-{locale}")


def test_the_time_is_shown_in_the_time_zone_asked_for() -> None:
    text = text_of(render_receipt_pdf(receipt_document("da")))
    assert "20. januar 2026 14.45" in text  # 13:45 UTC is 14:45 in Copenhagen in winter


def test_a_bank_transfer_receipt_gives_the_transfer_reference_and_the_customer_as_payer() -> None:
    text = text_of(render_receipt_pdf(receipt_document("nl", by_card=False)))
    assert "Bankoverschrijving" in text
    assert "Referentie G000000001" in text
    assert "Betaald door Contoso Ltd" in text
    assert "eindigend op" not in text


def test_the_same_receipt_gives_the_same_bytes() -> None:
    assert render_receipt_pdf(receipt_document("da")) == render_receipt_pdf(receipt_document("da"))
    assert receipt_document("da").cache_key() == receipt_document("da").cache_key()
