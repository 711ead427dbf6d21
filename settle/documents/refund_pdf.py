"""The receipt of a refund as a PDF, in the billing profile's invoice language: the receipt's variant
for money given back."""

from __future__ import annotations

from settle.documents.layout import ACCENT, MARGIN, WIDTH, DocumentPdf, date_and_time, long_date, money
from settle.documents.model import RefundReceiptDocument
from settle.documents.receipt_pdf import CARD_ENDING, INVOICE, PAYMENT_METHOD, RECEIPT_NUMBER, TRANSACTION, brand_name
from settle.documents.sources import refund_receipt_document
from settle.errors import N_
from settle.i18n import gettext
from settle.uow import UnitOfWork

REFUND_RECEIPT = N_("Refund receipt")
REFUNDED_TO = N_("Refunded to")
REFUND_DATE = N_("Refund date")
AMOUNT_REFUNDED = N_("Amount refunded")
REFUNDED = N_("Refunded")
REFUND_DETAILS = N_("Refund details")
PAYMENT_RECEIPT = N_("Receipt of the payment")
CARD = N_("Card")
GIVEN_BACK = N_(
    "We refunded {amount} of your payment for invoice {invoice}. "
    "Your bank may take a few days to show it on your statement."
)


def refund_method_shown(document: RefundReceiptDocument, locale: str) -> str:
    """`Visa ending in 4242` (the card the money goes back to), in `locale`."""
    if document.card is None:
        return gettext(locale, CARD)
    return gettext(locale, CARD_ENDING).format(brand=brand_name(document.card.brand), last4=document.card.last4)


def render_refund_receipt_pdf(document: RefundReceiptDocument) -> bytes:
    """The PDF of a refund receipt: the same document always gives the same bytes."""
    locale = document.locale
    pdf = DocumentPdf(
        locale=locale,
        title=f"{gettext(locale, REFUND_RECEIPT)} {document.receipt_number}",
        provider=document.provider,
        created=document.refunded_at.date(),
    )
    pdf.heading(pdf.t(REFUND_RECEIPT), document.receipt_number)
    top = pdf.get_y()
    left = pdf.address(MARGIN, top, WIDTH * 0.48, pdf.t(REFUNDED_TO), document.bill_to)
    facts = [
        (pdf.t(RECEIPT_NUMBER), document.receipt_number),
        (pdf.t(INVOICE), document.invoice_number),
        (pdf.t(REFUND_DATE), date_and_time(document.refunded_at, locale, document.timezone)),
    ]
    right = pdf.facts(MARGIN + WIDTH * 0.40, top, WIDTH * 0.60, facts)
    band = max(left, right) + 10
    pdf.stamp(band, pdf.t(REFUNDED), long_date(document.refunded_at.date(), locale), ACCENT)
    pdf.set_y(band + 5)
    pdf.total_row(pdf.t(AMOUNT_REFUNDED), money(document.amount, locale), bold=True, size=13)
    pdf.set_y(band + 28)
    rows = [(pdf.t(PAYMENT_METHOD), refund_method_shown(document, locale))]
    if document.payment_receipt_number:
        rows.append((pdf.t(PAYMENT_RECEIPT), document.payment_receipt_number))
    if document.processor_reference:
        rows.append((pdf.t(TRANSACTION), document.processor_reference))
    note = pdf.t(GIVEN_BACK).format(amount=money(document.amount, locale), invoice=document.invoice_number)
    pdf.panel(pdf.t(REFUND_DETAILS), rows, [note])
    return pdf.to_bytes()


def refund_receipt_pdf(uow: UnitOfWork, receipt_number: str, *, tz: str = "UTC") -> bytes:
    """The PDF of refund receipt `receipt_number` (the caller has checked the user may see its invoice)."""
    return render_refund_receipt_pdf(refund_receipt_document(uow, receipt_number, tz=tz))
