"""The documents a signed-in user asks for (the portal's PDF links) and the signed links of the API: each
shown only to whoever may see its invoice, each rendered once for the same content."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import Scope
from settle.accounts.service import add_user
from settle.clock import FixedClock
from settle.documents.links import DocumentChanged, DownloadLinkExpired, InvalidDownloadLink
from settle.documents.service import invoice_download_link, invoice_pdf_for, receipt_pdf_for, signed_invoice_pdf
from settle.documents.sources import ReceiptNotFound, invoice_document
from settle.invoices.model import InvoiceNotFound
from settle.uow import UnitOfWork
from tests.integration.documents.billing import Billing, make_billing
from tests.integration.factories import PASSWORD
from tests.unit.documents.samples import text_of

SECRET = "a secret for the tests"
PLACE = {"tz": "Europe/Copenhagen", "base_url": "https://billing.example"}


@pytest.fixture
def billing(engine: Engine, clock: FixedClock, tmp_path: Path) -> Billing:
    return make_billing(engine, clock, tmp_path, language="da")


def _stranger(billing: Billing) -> str:
    with UnitOfWork(billing.engine) as uow:
        return add_user(
            uow, billing.clock, verified=True, email="eve@example.com", display_name="Eve", password=PASSWORD
        ).id


def test_an_invoice_pdf_is_for_those_who_see_the_invoice_and_is_rendered_once(billing: Billing) -> None:
    invoice = billing.invoice()
    with UnitOfWork(billing.engine, write=False) as uow:
        first = invoice_pdf_for(uow, billing.payer.id, invoice.id, **PLACE)
        again = invoice_pdf_for(uow, billing.payer.id, invoice.id, **PLACE)
        key = invoice_document(uow, invoice.id, **PLACE).cache_key()
        with pytest.raises(InvoiceNotFound):
            invoice_pdf_for(uow, _stranger(billing), invoice.id, **PLACE)
    assert (first.filename, first.key, first.etag) == (f"{invoice.id}.pdf", key, f'"{key}"')
    assert again.content is first.content and "Faktura" in text_of(first.content)
    assert first.matches(f'W/"{key}", "other"') and not first.matches('"other"') and not first.matches(None)


def test_a_receipt_pdf_is_for_those_who_see_its_invoice(billing: Billing) -> None:
    payment = billing.pay_by_card(billing.invoice())
    assert payment.receipt_number is not None
    with UnitOfWork(billing.engine, write=False) as uow:
        receipt = receipt_pdf_for(uow, billing.payer.id, payment.receipt_number, tz="Europe/Copenhagen")
        with pytest.raises(ReceiptNotFound):
            receipt_pdf_for(uow, _stranger(billing), payment.receipt_number, tz="UTC")
    assert receipt.filename == f"{payment.receipt_number}.pdf" and payment.receipt_number in text_of(receipt.content)


def test_a_signed_link_serves_its_document_until_it_expires_or_the_invoice_changes(billing: Billing) -> None:
    invoice, clock = billing.invoice(), billing.clock
    account = Scope(billing.world.account.id)
    with UnitOfWork(billing.engine, write=False) as uow:
        with pytest.raises(InvoiceNotFound):
            invoice_download_link(uow, clock, _stranger(billing), account, invoice.id, secret=SECRET, **PLACE)
        link = invoice_download_link(uow, clock, billing.payer.id, account, invoice.id, secret=SECRET, **PLACE)
    query = link.query()
    assert link.expires == clock.now() + timedelta(hours=1)

    def fetch(secret: str = SECRET, **changed: str) -> bytes:
        parts = {**query, **changed}
        with UnitOfWork(billing.engine, write=False) as uow:
            return signed_invoice_pdf(uow, clock, invoice.id, secret=secret, **parts, **PLACE).content

    assert invoice.id in text_of(fetch())
    for tampered in ({"secret": "another"}, {"key": "0" * 64}, {"expires": "99999999999"}, {"expires": "-1"}):
        with pytest.raises(InvalidDownloadLink):
            fetch(**tampered)
    billing.pay_by_transfer(invoice)
    with pytest.raises(DocumentChanged):
        fetch()
    clock.advance(timedelta(hours=1))
    with pytest.raises(DownloadLinkExpired):
        fetch()


def test_the_provider_the_operator_configures_is_printed_on_the_invoice(billing: Billing) -> None:
    from settle.config import Settings
    from settle.documents.model import PROVIDER, configured_provider

    environ = {"SETTLE_PROVIDER_NAME": "Northwind Cloud ApS", "SETTLE_PROVIDER_IBAN": "DK50 0040 0440 1162 43"}
    provider = configured_provider(Settings.from_env(environ))
    assert provider.bic == PROVIDER.bic  # what is not configured stays as it was
    assert configured_provider(Settings.from_env({})) == PROVIDER
    invoice = billing.invoice()
    with UnitOfWork(billing.engine, write=False) as uow:
        pdf = invoice_pdf_for(uow, billing.payer.id, invoice.id, **PLACE, provider=provider)
    text = text_of(pdf.content)
    assert "Northwind Cloud ApS" in text and PROVIDER.name not in text
