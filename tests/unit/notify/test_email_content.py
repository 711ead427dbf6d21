"""What each e-mail says, in the recipient's language, as plain text and as HTML."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from settle.money import Money
from settle.notify import content
from settle.notify.render import Attachment, build_message, html_body, text_body
from settle.payments.model import DeclineCode
from tests.unit.documents.samples import invoice_document, receipt_document

BASE = "https://billing.example"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("locale", "subject", "words"),
    [
        ("en", "Your invoice G000000001 is ready", ["is ready", "Please pay", "Pay now"]),
        ("nl", "Uw factuur G000000001 staat klaar", ["U vindt de factuur als pdf in de bijlage", "Nu betalen"]),
        ("da", "Din faktura G000000001 er klar", ["Du finder den vedhæftet som PDF", "Betal nu"]),
    ],
)
def test_invoice_issued_is_in_the_recipients_language(locale: str, subject: str, words: list[str]) -> None:
    words_of = content.invoice_issued(invoice_document("nl"), locale, BASE)
    assert words_of.subject == subject
    text = text_body(words_of)
    for word in words:
        assert word in text
    assert f"{BASE}/billing/invoices/G000000001/pay" in text


def test_past_due_and_its_reminder_say_which_they_are() -> None:
    document = invoice_document("da")
    notice = content.invoice_past_due(document, "da", BASE, reminder=False)
    reminder = content.invoice_past_due(document, "da", BASE, reminder=True)
    assert notice.subject == "Faktura G000000001 er forfalden"
    assert reminder.subject == "Påmindelse: faktura G000000001 er stadig forfalden"
    assert "forfaldt den 4. februar 2026" in text_body(notice)
    assert "Betal med Betal nu i portalen" in text_body(notice)


def test_an_account_without_pay_now_is_asked_only_for_a_bank_transfer() -> None:
    document = replace(invoice_document("nl"), pay_now_offered=False)
    words = content.invoice_past_due(document, "nl", BASE, reminder=False)
    assert "Betaal per bankoverschrijving met betalingskenmerk G000000001." in words.paragraphs
    assert words.action == ("Ga naar Facturen", f"{BASE}/billing/invoices")


def test_payment_succeeded_names_the_receipt_amount_and_card() -> None:
    words = content.payment_succeeded(receipt_document("da"), "Contoso Billing", "nl", BASE)
    text = text_body(words)
    assert words.subject == "Betaling ontvangen voor factuur G000000001"
    assert "G000000001-R1" in text and "Visa eindigend op 4242" in text
    assert f"1.234,56{NBSP}kr." not in text and f"DKK{NBSP}1.234,56" in text  # Dutch formatting of DKK


@pytest.mark.parametrize(
    ("locale", "reason"),
    [
        ("en", "The card has insufficient funds."),
        ("nl", "Reden: Het saldo op de kaart is onvoldoende."),
        ("da", "Årsag: Der er ikke dækning på kortet."),
    ],
)
def test_payment_failed_gives_the_localised_reason_and_a_link_to_pay_now(locale: str, reason: str) -> None:
    failed = content.FailedPayment(
        "G000000001", "Contoso Billing", Money(123456, "EUR"), DeclineCode.INSUFFICIENT_FUNDS
    )
    words = content.payment_failed(failed, "Settle Billing B.V.", locale, BASE)
    assert reason in text_body(words)
    assert words.action is not None and words.action[1] == f"{BASE}/billing/invoices/G000000001/pay"
    assert words.action[0] == {"en": "Pay now", "nl": "Nu betalen", "da": "Betal nu"}[locale]


def test_the_html_part_escapes_every_value() -> None:
    document = replace(invoice_document("en"), billing_profile='<script>alert("x")</script>')
    html = html_body(content.invoice_issued(document, "en", BASE))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.startswith("<!DOCTYPE html>") and 'lang="en"' in html


def test_a_message_has_text_and_html_parts_the_attachment_and_a_fixed_message_id_and_date() -> None:
    words = content.invoice_issued(invoice_document("nl"), "nl", BASE)
    written = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    built = build_message(
        words,
        sender="Settle Billing <billing@settle.example>",
        recipient="ap@contoso.example",
        message_id="<abc.outbox@settle.example>",
        written_at=written,
        attachments=(Attachment("G000000001.pdf", b"%PDF-1.4 test"),),
    )
    parsed = message_from_bytes(built.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Uw factuur G000000001 staat klaar"
    assert parsed["Message-ID"] == "<abc.outbox@settle.example>"
    assert parsed["Date"].datetime == written
    assert parsed["Content-Language"] == "nl"
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert "Beste klant," in plain.get_content() and "Beste klant," in html.get_content()
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "G000000001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_the_same_message_built_again_is_the_same_bytes() -> None:
    def built() -> bytes:
        words = content.invoice_issued(invoice_document("da"), "da", BASE)
        return build_message(
            words,
            sender="billing@settle.example",
            recipient="ap@contoso.example",
            message_id="<abc.outbox@settle.example>",
            written_at=datetime(2026, 3, 15, 12, 0, tzinfo=UTC),
            attachments=(Attachment("G000000001.pdf", b"%PDF-1.4 test"),),
        ).as_bytes()

    assert built() == built()
    assert b"=_settle_abcoutboxsettleexample_0" in built()


@pytest.mark.parametrize(
    ("locale", "subject", "next_step"),
    [
        ("en", "Answer to your support request 260315-12345678", "write to us on the request's page"),
        ("nl", "Antwoord op uw ondersteuningsaanvraag 260315-12345678", "Schrijf ons dan op de pagina"),
        ("da", "Svar på din supportanmodning 260315-12345678", "skriv til os på anmodningens side"),
    ],
)
def test_a_support_answer_is_in_the_request_s_language_with_its_paragraphs_as_written(
    locale: str, subject: str, next_step: str
) -> None:
    answer = content.SupportAnswer("260315-12345678", "Card declined", "Use another card.\n\nRegards,\nSupport", False)
    words = content.support_replied(answer, "Contoso Cloud", locale, "https://portal.example")
    assert words.subject == subject and words.locale == locale
    assert words.paragraphs[2:4] == ("Use another card.", "Regards,\nSupport")
    assert next_step in words.paragraphs[-1]
    assert words.action is not None and words.action[1] == "https://portal.example/help/requests/260315-12345678"
    assert "Card declined" in dict(words.facts).values()
    html = html_body(words)
    assert "Use another card." in html and "Regards,\nSupport" in text_body(words)


def test_a_support_answer_that_closes_the_request_says_so_and_escapes_the_answer() -> None:
    answer = content.SupportAnswer("260315-12345678", "x", "<b>Done</b> & dusted", True)
    words = content.support_replied(answer, "Contoso Cloud", "en", "https://portal.example")
    assert words.paragraphs[-1].startswith("We have closed the request.")
    assert "&lt;b&gt;Done&lt;/b&gt; &amp; dusted" in html_body(words) and "<b>Done</b>" not in html_body(words)
