"""Use cases of documents: a signed-in user's invoice or receipt PDF, a short-lived download link to an
invoice's PDF (the API's download operation), and the PDF such a link stands for.

Each document shows the invoice as it stands now, in the billing profile's invoice language; `tz` is the
provider's time zone (the day a payment was made) and `base_url` the portal's address printed on it. Pass
the same settings everywhere, so that one invoice has one document and one cache key."""

from __future__ import annotations

from settle.access.model import Scope
from settle.clock import Clock
from settle.documents.files import PdfFile, invoice_file, receipt_file
from settle.documents.links import DocumentChanged, SignedLink, check_invoice_link, sign_invoice_link
from settle.documents.model import PROVIDER, Provider
from settle.documents.sources import ReceiptNotFound, invoice_document, receipt_document, receipt_payment
from settle.invoices.model import InvoiceNotFound
from settle.invoices.service import get_invoice_at, get_invoice_for
from settle.uow import UnitOfWork


def invoice_pdf_for(
    uow: UnitOfWork, user_id: str, number: str, *, tz: str, base_url: str, provider: Provider = PROVIDER
) -> PdfFile:
    """The invoice's PDF, if the user may see the invoice (InvoiceNotFound otherwise, as if it did not exist)."""
    get_invoice_for(uow, user_id, number)
    return invoice_file(invoice_document(uow, number, tz=tz, base_url=base_url, provider=provider))


def receipt_pdf_for(
    uow: UnitOfWork, user_id: str, receipt_number: str, *, tz: str, provider: Provider = PROVIDER
) -> PdfFile:
    """A receipt's PDF, if the user may see the invoice it was paid on (ReceiptNotFound otherwise)."""
    payment = receipt_payment(uow, receipt_number)
    try:
        get_invoice_for(uow, user_id, payment.invoice_id)
    except InvoiceNotFound:
        raise ReceiptNotFound(id=receipt_number) from None
    return receipt_file(receipt_document(uow, receipt_number, tz=tz, provider=provider))


def invoice_download_link(
    uow: UnitOfWork,
    clock: Clock,
    user_id: str,
    scope: Scope,
    number: str,
    *,
    secret: str,
    tz: str,
    base_url: str,
    provider: Provider = PROVIDER,
) -> SignedLink:
    """A link to the invoice's PDF as it is now, valid for an hour, for a user who may see the invoice at
    `scope` (a billing account or one of its profiles): InvoiceNotFound otherwise."""
    get_invoice_at(uow, user_id, scope, number)
    document = invoice_document(uow, number, tz=tz, base_url=base_url, provider=provider)
    return sign_invoice_link(secret, number, document.cache_key(), clock.now())


def signed_invoice_pdf(
    uow: UnitOfWork,
    clock: Clock,
    number: str,
    *,
    key: str,
    expires: str,
    signature: str,
    secret: str,
    tz: str,
    base_url: str,
    provider: Provider = PROVIDER,
) -> PdfFile:
    """The PDF a download link stands for, to whoever holds the link: InvalidDownloadLink for one Settle did
    not sign, DownloadLinkExpired after its hour, DocumentChanged once the invoice is no longer as it was."""
    check_invoice_link(secret, number, key, expires, signature, clock.now())
    document = invoice_document(uow, number, tz=tz, base_url=base_url, provider=provider)
    if document.cache_key() != key:
        raise DocumentChanged(id=number)
    return invoice_file(document)
