"""The receipt of a succeeded payment as a PDF, in the billing profile's invoice language."""

from __future__ import annotations

from settle.documents.layout import GREEN, MARGIN, WIDTH, DocumentPdf, date_and_time, long_date, money
from settle.documents.model import ReceiptDocument
from settle.documents.sources import receipt_document
from settle.errors import N_
from settle.i18n import gettext
from settle.uow import UnitOfWork

RECEIPT = N_("Receipt")
RECEIPT_NUMBER = N_("Receipt number")
INVOICE = N_("Invoice")
PAYMENT_DATE = N_("Payment date")
AMOUNT_PAID = N_("Amount paid")
PAYMENT_METHOD = N_("Payment method")
PAYMENT_DETAILS = N_("Payment details")
CARD_ENDING = N_("{brand} ending in {last4}")
BANK_TRANSFER = N_("Bank transfer")
REFERENCE = N_("Reference")
TRANSACTION = N_("Transaction reference")
PAID_BY = N_("Paid by")
RECEIVED_FROM = N_("Received from")
PAID = N_("Paid")
RECEIVED = N_("We received your payment of {amount} for invoice {invoice}. Thank you.")

BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover"}


def brand_name(brand: str) -> str:
    return BRANDS.get(brand.lower(), brand.title())


def method_shown(document: ReceiptDocument, locale: str) -> str:
    """`Visa ending in 4242`, or `Bank transfer`, in `locale`."""
    if document.card is not None:
        text = gettext(locale, CARD_ENDING)
        return text.format(brand=brand_name(document.card.brand), last4=document.card.last4)
    return gettext(locale, BANK_TRANSFER)


def render_receipt_pdf(document: ReceiptDocument) -> bytes:
    """The PDF of a receipt: the same document always gives the same bytes."""
    locale = document.locale
    paid_at = date_and_time(document.paid_at, locale, document.timezone)
    pdf = DocumentPdf(
        locale=locale,
        title=f"{gettext(locale, RECEIPT)} {document.receipt_number}",
        provider=document.provider,
        created=document.paid_at.date(),
    )
    pdf.heading(pdf.t(RECEIPT), document.receipt_number)
    top = pdf.get_y()
    left = pdf.address(MARGIN, top, WIDTH * 0.48, pdf.t(RECEIVED_FROM), document.bill_to)
    facts = [
        (pdf.t(RECEIPT_NUMBER), document.receipt_number),
        (pdf.t(INVOICE), document.invoice_number),
        (pdf.t(PAYMENT_DATE), paid_at),
    ]
    right = pdf.facts(MARGIN + WIDTH * 0.40, top, WIDTH * 0.60, facts)
    band = max(left, right) + 10
    pdf.stamp(band, pdf.t(PAID), long_date(document.paid_at.date(), locale), GREEN)
    pdf.set_y(band + 5)
    pdf.total_row(pdf.t(AMOUNT_PAID), money(document.amount, locale), bold=True, size=13)
    pdf.set_y(band + 28)
    rows = [(pdf.t(PAYMENT_METHOD), method_shown(document, locale))]
    if document.bank_reference:
        rows.append((pdf.t(REFERENCE), document.bank_reference))
    if document.processor_reference:
        rows.append((pdf.t(TRANSACTION), document.processor_reference))
    rows.append((pdf.t(PAID_BY), document.payer))
    note = pdf.t(RECEIVED).format(amount=money(document.amount, locale), invoice=document.invoice_number)
    pdf.panel(pdf.t(PAYMENT_DETAILS), rows, [note])
    return pdf.to_bytes()


def receipt_pdf(uow: UnitOfWork, receipt_number: str, *, tz: str = "UTC") -> bytes:
    """The PDF of receipt `receipt_number` (the caller has checked the user may see its invoice)."""
    return render_receipt_pdf(receipt_document(uow, receipt_number, tz=tz))
