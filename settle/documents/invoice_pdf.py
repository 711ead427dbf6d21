"""The invoice as a PDF, in the billing profile's invoice language: addresses, dates, the lines by
invoice section, the totals, how to pay, and a Paid (or Void) mark."""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from settle.documents.layout import (
    GREEN,
    MARGIN,
    MUTED,
    RED,
    SHADE,
    WIDTH,
    DocumentPdf,
    long_date,
    money,
    quantity,
    rate,
)
from settle.documents.model import Instructions, InvoiceDocument, SectionBlock
from settle.documents.sources import invoice_document
from settle.errors import N_
from settle.i18n import gettext
from settle.uow import UnitOfWork

INVOICE = N_("Invoice")
INVOICE_NUMBER = N_("Invoice number")
INVOICE_DATE = N_("Invoice date")
DUE_DATE = N_("Due date")
BILLING_PERIOD = N_("Billing period")
BILLING_ACCOUNT = N_("Billing account")
BILLING_PROFILE = N_("Billing profile")
BILL_TO = N_("Bill to")
DESCRIPTION = N_("Description")
QUANTITY = N_("Quantity")
AMOUNT = N_("Amount")
SECTION_TOTAL = N_("Total for {section}")
SUBTOTAL = N_("Subtotal")
CREDITS = N_("Credits applied")
TAX = N_("Tax ({rate})")
TOTAL = N_("Total")
PAYMENTS = N_("Payments received")
AMOUNT_DUE = N_("Amount due")
PAYMENT_INSTRUCTIONS = N_("Payment instructions")
PAY_IN_PORTAL = N_("Pay now in the portal")
PAY_IN_PORTAL_HOW = N_("Sign in to the portal, open Invoices and choose Pay now next to this invoice.")
PORTAL = N_("Portal")
BANK_TRANSFER = N_("Pay by bank transfer")
OR_BANK_TRANSFER = N_("Or pay by bank transfer")
ACCOUNT_HOLDER = N_("Account holder")
BANK = N_("Bank")
IBAN = N_("IBAN")
BIC = N_("BIC")
PAYMENT_REFERENCE = N_("Payment reference")
REFERENCE_NOTE = N_("State the payment reference {reference} with your transfer so that we can match your payment.")
PAID = N_("Paid")
PAID_ON = N_("Paid on {date}")
VOID = N_("Void")
VOID_NOTE = N_("This invoice is void: nothing is to be paid on it.")
THANKS = N_("Thank you for your payment.")

COLUMNS = (WIDTH * 0.60, WIDTH * 0.15, WIDTH * 0.25)


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    """The PDF of an invoice: the same document always gives the same bytes."""
    pdf = DocumentPdf(
        locale=document.locale,
        title=f"{gettext(document.locale, INVOICE)} {document.number}",
        provider=document.provider,
        created=document.invoice_date,
    )
    pdf.heading(pdf.t(INVOICE), document.number)
    _parties(pdf, document)
    _lines(pdf, document)
    _totals(pdf, document)
    _instructions(pdf, document)
    return pdf.to_bytes()


def _parties(pdf: DocumentPdf, document: InvoiceDocument) -> None:
    top = pdf.get_y()
    left = pdf.address(MARGIN, top, WIDTH * 0.48, pdf.t(BILL_TO), document.bill_to)
    locale = document.locale
    facts = [
        (pdf.t(INVOICE_NUMBER), document.number),
        (pdf.t(INVOICE_DATE), long_date(document.invoice_date, locale)),
        (pdf.t(DUE_DATE), long_date(document.due_date, locale)),
        (
            pdf.t(BILLING_PERIOD),
            f"{long_date(document.period_start, locale)} – {long_date(document.period_end, locale)}",
        ),
        (pdf.t(BILLING_ACCOUNT), document.billing_account),
        (pdf.t(BILLING_PROFILE), document.billing_profile),
    ]
    right = pdf.facts(MARGIN + WIDTH * 0.38, top, WIDTH * 0.62, facts)
    pdf.set_y(max(left, right) + 8)


def _mark(pdf: DocumentPdf, document: InvoiceDocument, top: float) -> None:
    """Paid or Void, as a stamp beside the totals."""
    if document.voided:
        pdf.stamp(top, pdf.t(VOID), "", RED)
    elif document.paid_on is not None:
        paid_on = pdf.t(PAID_ON).format(date=long_date(document.paid_on, document.locale))
        pdf.stamp(top, pdf.t(PAID), paid_on, GREEN)


def _column_headings(pdf: DocumentPdf) -> None:
    pdf.font(8, bold=True, color=MUTED)
    for width, label, align in zip(COLUMNS, (DESCRIPTION, QUANTITY, AMOUNT), "LRR", strict=True):
        pdf.cell(width, 7, pdf.t(label).upper(), align=align)
    pdf.ln(7)
    pdf.rule(strong=True)


def _lines(pdf: DocumentPdf, document: InvoiceDocument) -> None:
    _column_headings(pdf)
    for section in document.sections:
        _section(pdf, document, section)


def _section(pdf: DocumentPdf, document: InvoiceDocument, section: SectionBlock) -> None:
    locale = document.locale
    _make_room(pdf, 20)
    pdf.set_fill_color(*SHADE)
    pdf.font(9.5, bold=True)
    pdf.cell(WIDTH, 7, section.name, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in section.lines:
        _make_room(pdf, 7)
        pdf.font(9.5)
        top = pdf.get_y()
        height = pdf.wrapped(COLUMNS[0], 6, line.description)
        pdf.cell(COLUMNS[1], 6, quantity(line.quantity, locale), align="R")
        pdf.cell(COLUMNS[2], 6, money(line.amount, locale), align="R")
        pdf.set_y(top + max(height, 6))
    pdf.rule()
    pdf.font(9, color=MUTED)
    pdf.cell(COLUMNS[0] + COLUMNS[1], 6.5, pdf.t(SECTION_TOTAL).format(section=section.name), align="R")
    pdf.font(9.5, bold=True)
    pdf.cell(COLUMNS[2], 6.5, money(section.subtotal, locale), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _make_room(pdf: DocumentPdf, height: float) -> None:
    """Start a new page, with the column headings again, rather than split a row."""
    if pdf.get_y() + height > pdf.h - 26:
        pdf.add_page()
        _column_headings(pdf)


def _totals(pdf: DocumentPdf, document: InvoiceDocument) -> None:
    locale = document.locale
    _make_room(pdf, 50)
    pdf.ln(2)
    _mark(pdf, document, pdf.get_y() + 4)
    pdf.total_row(pdf.t(SUBTOTAL), money(document.subtotal, locale))
    pdf.total_row(pdf.t(CREDITS), money(-document.credits, locale))
    pdf.total_row(pdf.t(TAX).format(rate=rate(document.tax_rate, locale)), money(document.tax, locale))
    pdf.total_row(pdf.t(TOTAL), money(document.total, locale), bold=True, size=10.5)
    if not document.amount_paid.is_zero():
        pdf.total_row(pdf.t(PAYMENTS), money(-document.amount_paid, locale))
    pdf.rule(start=MARGIN + WIDTH * 0.45)
    pdf.total_row(pdf.t(AMOUNT_DUE), money(document.amount_due, locale), bold=True, size=12)
    pdf.ln(6)


def _instructions(pdf: DocumentPdf, document: InvoiceDocument) -> None:
    if document.voided:
        pdf.panel(pdf.t(PAYMENT_INSTRUCTIONS), [], [pdf.t(VOID_NOTE)])
    elif document.instructions is Instructions.NOTHING_DUE:
        pdf.panel(pdf.t(PAYMENT_INSTRUCTIONS), [], [pdf.t(THANKS)])
    elif document.instructions is Instructions.PAY_IN_PORTAL:
        rows = [(pdf.t(PORTAL), document.portal_url)] if document.portal_url else []
        pdf.panel(pdf.t(PAY_IN_PORTAL), rows, [pdf.t(PAY_IN_PORTAL_HOW)])
        _bank_transfer(pdf, document, pdf.t(OR_BANK_TRANSFER))  # a payer without the card at hand can still pay
    else:
        _bank_transfer(pdf, document, pdf.t(BANK_TRANSFER))


def _bank_transfer(pdf: DocumentPdf, document: InvoiceDocument, title: str) -> None:
    provider = document.provider
    rows = [
        (pdf.t(ACCOUNT_HOLDER), provider.name),
        (pdf.t(BANK), provider.bank_name),
        (pdf.t(IBAN), provider.iban),
        (pdf.t(BIC), provider.bic),
        (pdf.t(PAYMENT_REFERENCE), document.number),
        (pdf.t(AMOUNT_DUE), money(document.amount_due, document.locale)),
    ]
    pdf.panel(title, rows, [pdf.t(REFERENCE_NOTE).format(reference=document.number)])


def invoice_pdf(uow: UnitOfWork, number: str, *, tz: str = "UTC", base_url: str = "") -> bytes:
    """The PDF of invoice `number` as it stands now (the caller has checked the user may see it)."""
    return render_invoice_pdf(invoice_document(uow, number, tz=tz, base_url=base_url))
