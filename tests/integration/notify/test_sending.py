"""The sender against a real SMTP server on 127.0.0.1 (aiosmtpd): each kind of e-mail arrives in its
recipient's language, as text and HTML, with its PDF; failures wait and are tried again."""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.notify.model import MessageKind, OutboxStatus, Recipient
from settle.notify.sender import send_due
from settle.notify.service import (
    enqueue,
    enqueue_invoice_issued,
    enqueue_past_due,
    enqueue_payment_outcome,
    list_outbox,
)
from settle.uow import UnitOfWork
from tests.integration.documents.billing import DECLINED, Billing, make_billing
from tests.integration.notify.smtp_server import PASSWORD, USER, Inbox, free_port, self_signed, smtp_server
from tests.unit.documents.samples import text_of

BASE = "https://billing.example"
SENDER = "Settle Billing <billing@settle.example>"
AP = "ap@contoso.example"


@pytest.fixture
def billing(engine: Engine, clock: FixedClock, tmp_path: Path) -> Billing:
    return make_billing(engine, clock, tmp_path, language="nl", payer_locale="da")


@pytest.fixture
def server() -> Iterator[tuple[Inbox, str]]:
    with smtp_server() as (inbox, port):
        yield inbox, f"smtp://127.0.0.1:{port}"


def send(billing: Billing, smtp_url: str, **options: object) -> object:
    return send_due(billing.engine, billing.clock, smtp_url, sender=SENDER, base_url=BASE, **options)  # type: ignore[arg-type]


def statuses(billing: Billing) -> list[OutboxStatus]:
    with UnitOfWork(billing.engine, write=False) as uow:
        return [message.status for message in list_outbox(uow)]


def parts(message: EmailMessage) -> tuple[str, str, list[EmailMessage]]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None, "every e-mail has a text and an HTML part"
    return str(plain.get_content()), str(html.get_content()), list(message.iter_attachments())  # type: ignore[arg-type]


def pdf_text(attachment: EmailMessage) -> str:
    assert attachment.get_content_type() == "application/pdf"
    return text_of(attachment.get_content())


def test_an_issued_invoice_reaches_the_invoice_email_in_the_profiles_language_with_the_pdf(
    billing: Billing, server: tuple[Inbox, str]
) -> None:
    inbox, url = server
    invoice = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
    send(billing, url)
    [message] = inbox.received
    assert message["To"] == AP and message["From"] == SENDER
    assert message["Subject"] == f"Uw factuur {invoice.id} staat klaar"
    assert message["Content-Language"] == "nl"
    text, html, [attachment] = parts(message)
    assert "U vindt de factuur als pdf in de bijlage" in text and "U vindt de factuur als pdf in de bijlage" in html
    assert f"{BASE}/billing/invoices/{invoice.id}/pay" in text
    assert attachment.get_filename() == f"{invoice.id}.pdf"
    assert "Factuur" in pdf_text(attachment) and invoice.id in pdf_text(attachment)
    assert statuses(billing) == [OutboxStatus.SENT]
    assert inbox.envelopes == [("billing@settle.example", [AP])]


def test_a_past_due_notice_and_its_reminder_arrive_once_each(billing: Billing, server: tuple[Inbox, str]) -> None:
    inbox, url = server
    invoice = billing.invoice(due_in_days=0)
    for days in (1, 7, 1):
        billing.clock.advance(timedelta(days=days))
        with UnitOfWork(billing.engine) as uow:
            enqueue_past_due(uow, billing.clock, reminder_after_days=7)
        send(billing, url)
    assert [m["Subject"] for m in inbox.received] == [
        f"Factuur {invoice.id} is achterstallig",
        f"Herinnering: factuur {invoice.id} is nog steeds achterstallig",
    ]
    assert all(parts(message)[2] for message in inbox.received)


def test_a_card_payment_sends_each_recipient_the_receipt_in_their_language(
    billing: Billing, server: tuple[Inbox, str]
) -> None:
    inbox, url = server
    invoice = billing.invoice()
    payment = billing.pay_by_card(invoice)
    with UnitOfWork(billing.engine) as uow:
        enqueue_payment_outcome(uow, billing.clock, payment)
    send(billing, url)
    [to_payer], [to_ap] = inbox.to(billing.payer.email), inbox.to(AP)
    assert to_payer["Subject"] == f"Betaling modtaget for faktura {invoice.id}"
    assert to_ap["Subject"] == f"Betaling ontvangen voor factuur {invoice.id}"
    text, _, [receipt] = parts(to_payer)
    assert "Din kvittering er vedhæftet" in text and "Visa, der ender på 4242" in text
    assert receipt.get_filename() == f"{payment.receipt_number}.pdf"
    assert "Ontvangstbewijs" in pdf_text(receipt)  # the document itself is in the invoice language
    assert payment.receipt_number is not None and payment.receipt_number in pdf_text(receipt)


def test_a_declined_payment_tells_the_payer_why_in_their_language_with_a_link_to_pay_now(
    billing: Billing, server: tuple[Inbox, str]
) -> None:
    inbox, url = server
    invoice = billing.invoice()
    payment = billing.pay_by_card(invoice, number=DECLINED)
    with UnitOfWork(billing.engine) as uow:
        enqueue_payment_outcome(uow, billing.clock, payment)
    send(billing, url)
    [message] = inbox.received
    assert message["To"] == billing.payer.email
    assert message["Subject"] == f"Din betaling af faktura {invoice.id} mislykkedes"
    text, html, attachments = parts(message)
    assert "Årsag: Kortet blev afvist. Brug et andet kort, eller kontakt din bank." in text
    assert f"{BASE}/billing/invoices/{invoice.id}/pay" in text
    assert f'href="{BASE}/billing/invoices/{invoice.id}/pay"' in html and ">Betal nu</a>" in html
    assert attachments == []


def test_without_an_smtp_server_messages_stay_in_the_outbox(billing: Billing) -> None:
    invoice = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
    assert send(billing, "").sent == 0  # type: ignore[attr-defined]
    assert statuses(billing) == [OutboxStatus.PENDING]


def test_an_unreachable_server_is_tried_again_later_and_the_message_then_arrives(billing: Billing) -> None:
    invoice = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
    port = free_port()  # nobody listens here yet
    report = send(billing, f"smtp://127.0.0.1:{port}?timeout=2")
    assert report.retrying == 1  # type: ignore[attr-defined]
    with UnitOfWork(billing.engine, write=False) as uow:
        [waiting] = list_outbox(uow)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    assert waiting.next_attempt_at == billing.clock.now() + timedelta(minutes=1)
    assert waiting.last_error and "Connection" in waiting.last_error
    with smtp_server() as (inbox, live_port):
        live = f"smtp://127.0.0.1:{live_port}"
        assert send(billing, live).sent == 0  # type: ignore[attr-defined]  # not yet: it waits its minute
        billing.clock.advance(timedelta(minutes=1))
        assert send(billing, live).sent == 1  # type: ignore[attr-defined]
    assert [m["Subject"] for m in inbox.received] == [f"Uw factuur {invoice.id} staat klaar"]


def test_a_refused_recipient_is_given_up_while_the_others_are_sent(billing: Billing) -> None:
    invoice = billing.invoice()
    payment = billing.pay_by_card(invoice)
    with UnitOfWork(billing.engine) as uow:
        enqueue_payment_outcome(uow, billing.clock, payment)
    with smtp_server() as (inbox, port):
        inbox.refuse.add(AP)
        send(billing, f"smtp://127.0.0.1:{port}")
    assert [m["To"] for m in inbox.received] == [billing.payer.email]
    with UnitOfWork(billing.engine, write=False) as uow:
        failed = list_outbox(uow, OutboxStatus.FAILED)
    assert [(m.recipient, m.kind) for m in failed] == [(AP, MessageKind.PAYMENT_SUCCEEDED)]
    assert failed[0].last_error and "550" in failed[0].last_error


def test_a_past_due_notice_for_an_invoice_paid_before_its_turn_is_not_sent(
    billing: Billing, server: tuple[Inbox, str]
) -> None:
    inbox, url = server
    invoice = billing.invoice(due_in_days=0)
    billing.clock.advance(timedelta(days=1))
    with UnitOfWork(billing.engine) as uow:
        enqueue_past_due(uow, billing.clock)
    billing.pay_by_transfer(invoice)  # its receipt is queued after the notice, and sent
    send(billing, url)
    with UnitOfWork(billing.engine, write=False) as uow:
        outcome = {(message.kind, message.status) for message in list_outbox(uow)}
    assert outcome == {
        (MessageKind.INVOICE_PAST_DUE, OutboxStatus.SKIPPED),
        (MessageKind.PAYMENT_SUCCEEDED, OutboxStatus.SENT),
    }
    assert len(inbox.received) == 1


NEEDS_OPENSSL = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")


@NEEDS_OPENSSL
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS: see smtp_server
@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_tls_and_a_login_are_used_when_the_url_asks_for_them(billing: Billing, tmp_path: Path, implicit: bool) -> None:
    context, certificate = self_signed(tmp_path)
    invoice = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
    trust = ssl.create_default_context(cafile=str(certificate))
    with smtp_server(tls=context, implicit=implicit) as (inbox, port):
        url = (
            f"smtps://{USER}:s3cret%2Fpass@127.0.0.1:{port}"
            if implicit
            else (f"smtp://{USER}:s3cret%2Fpass@127.0.0.1:{port}?starttls=1")
        )
        assert PASSWORD == "s3cret/pass"
        assert send(billing, url, tls=trust).sent == 1  # type: ignore[attr-defined]
    assert len(inbox.received) == 1


@NEEDS_OPENSSL
def test_a_wrong_password_is_tried_again_later_not_given_up(billing: Billing, tmp_path: Path) -> None:
    context, certificate = self_signed(tmp_path)
    invoice = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue_invoice_issued(uow, billing.clock, invoice)
    with smtp_server(tls=context) as (inbox, port):
        url = f"smtp://{USER}:wrong@127.0.0.1:{port}?starttls=1"
        send(billing, url, tls=ssl.create_default_context(cafile=str(certificate)))
    assert inbox.received == [] and statuses(billing) == [OutboxStatus.PENDING]
    with UnitOfWork(billing.engine, write=False) as uow:
        [waiting] = list_outbox(uow)
    assert waiting.last_error and "SMTPAuthenticationError" in waiting.last_error and "535" in waiting.last_error


def test_a_message_about_something_that_is_gone_is_given_up_without_holding_up_the_others(
    billing: Billing, server: tuple[Inbox, str]
) -> None:
    inbox, url = server
    invoice = billing.invoice()
    with UnitOfWork(billing.engine) as uow:
        enqueue(uow, billing.clock, MessageKind.PAYMENT_SUCCEEDED, "no-such-payment", [Recipient(AP, "nl")])
        billing.clock.advance(timedelta(seconds=1))
        enqueue_invoice_issued(uow, billing.clock, invoice)
    report = send(billing, url)
    assert (report.sent, report.failed) == (1, 1)  # type: ignore[attr-defined]
    assert [m["Subject"] for m in inbox.received] == [f"Uw factuur {invoice.id} staat klaar"]
    with UnitOfWork(billing.engine, write=False) as uow:
        [gone] = list_outbox(uow, OutboxStatus.FAILED)
    assert gone.reference == "no-such-payment" and gone.last_error == "Payment 'no-such-payment' was not found."
