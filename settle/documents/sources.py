"""The data of a document, read from the stores in the caller's unit of work.

No permission checks here: callers show a document only to whoever may see its invoice
(`settle.invoices.service.get_invoice_for`), or send it to the billing profile's own addresses."""

from __future__ import annotations

import sqlalchemy as sa

from settle.documents.model import (
    PROVIDER,
    Card,
    InvoiceDocument,
    Provider,
    ReceiptDocument,
    RefundReceiptDocument,
    build_invoice_document,
    build_receipt_document,
    instructions_for,
    paid_on,
)
from settle.errors import N_, NotFound
from settle.payments.model import Payment, PaymentStatus
from settle.payments.refund_model import RefundStatus
from settle.payments.store import payment_methods
from settle.uow import UnitOfWork


class ReceiptNotFound(NotFound):
    code = "ReceiptNotFound"
    message = N_("Receipt '{id}' was not found.")


def invoice_document(
    uow: UnitOfWork, number: str, *, tz: str = "UTC", provider: Provider = PROVIDER, base_url: str = ""
) -> InvoiceDocument:
    """Everything the invoice's PDF shows (InvoiceNotFound if there is no such invoice)."""
    invoice = uow.invoices.get(number)
    profile = uow.profiles.get(invoice.billing_profile_id)
    account = uow.accounts.get(invoice.billing_account_id)
    names = {section.id: section.display_name for section in uow.sections.list_for_profile(profile.id)}
    default = uow.payment_methods.find(profile.default_payment_method_id) if profile.default_payment_method_id else None
    return build_invoice_document(
        invoice,
        account,
        profile,
        names,
        instructions=instructions_for(invoice, account, default),
        paid=paid_on(invoice, uow.payments.list_for_invoice(invoice.id), tz),
        provider=provider,
        portal_url=base_url,
    )


def receipt_payment(uow: UnitOfWork, receipt_number: str) -> Payment:
    """The succeeded payment a receipt number stands for (receipts are numbered `<invoice>-R<n>`)."""
    invoice_id, separator, _ = receipt_number.rpartition("-R")
    if separator:
        for payment in uow.payments.list_for_invoice(invoice_id):
            if payment.receipt_number == receipt_number and payment.status is PaymentStatus.SUCCEEDED:
                return payment
    raise ReceiptNotFound(id=receipt_number)


def receipt_document(
    uow: UnitOfWork, receipt_number: str, *, tz: str = "UTC", provider: Provider = PROVIDER
) -> ReceiptDocument:
    """Everything a receipt's PDF shows (ReceiptNotFound if no succeeded payment has this number)."""
    payment = receipt_payment(uow, receipt_number)
    profile = uow.profiles.get(payment.billing_profile_id)
    card = _card_used(uow, payment.payment_method_id) if payment.payment_method_id else None
    payer = uow.users.find(payment.payer_id) if payment.payer_id else None
    return build_receipt_document(payment, profile, card, payer, tz=tz, provider=provider)


def refund_receipt_document(
    uow: UnitOfWork, receipt_number: str, *, tz: str = "UTC", provider: Provider = PROVIDER
) -> RefundReceiptDocument:
    """Everything a refund receipt shows (ReceiptNotFound if no succeeded refund has this number)."""
    refund = uow.refunds.find_by_receipt(receipt_number)
    if refund is None or refund.status is not RefundStatus.SUCCEEDED:
        raise ReceiptNotFound(id=receipt_number)
    payment = uow.payments.get(refund.payment_id)
    profile = uow.profiles.get(refund.billing_profile_id)
    return RefundReceiptDocument(
        locale=profile.invoice_language,
        receipt_number=receipt_number,
        invoice_number=refund.invoice_id,
        payment_receipt_number=payment.receipt_number,
        provider=provider,
        bill_to=tuple(profile.bill_to.lines()),
        amount=refund.amount,
        refunded_at=refund.completed_at or refund.created_at,
        timezone=tz,
        card=_card_used(uow, payment.payment_method_id) if payment.payment_method_id else None,
        processor_reference=refund.processor_reference,
    )


def _card_used(uow: UnitOfWork, method_id: str) -> Card | None:
    """The card a payment was made with, even if it was removed since: a receipt keeps its brand and
    last 4 (PaymentMethodStore.find hides removed methods, as every list of methods must)."""
    c = payment_methods.c
    row = uow.connection.execute(sa.select(c.brand, c.last4).where(c.id == method_id)).first()
    return Card(row.brand, row.last4) if row and row.brand and row.last4 else None
