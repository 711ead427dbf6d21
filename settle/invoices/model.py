"""Invoices, their lines and the status rules. Status is derived from the amounts and dates, never stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from settle.errors import N_, Conflict, Invalid, NotFound
from settle.money import Money, total

INVOICE_NUMBER = re.compile(r"^[A-Z][A-Z0-9]{5,19}$")


class InvoiceStatus(StrEnum):
    DUE = "Due"
    PAST_DUE = "PastDue"
    PARTIALLY_PAID = "PartiallyPaid"
    PAID = "Paid"
    VOID = "Void"
    PROCESSING = "Processing"  # display only: a payment is in flight


PAYABLE = frozenset({InvoiceStatus.DUE, InvoiceStatus.PAST_DUE, InvoiceStatus.PARTIALLY_PAID})

STATUS_LABELS = {
    InvoiceStatus.DUE: N_("Due"),
    InvoiceStatus.PAST_DUE: N_("Past due"),
    InvoiceStatus.PARTIALLY_PAID: N_("Partially paid"),
    InvoiceStatus.PAID: N_("Paid"),
    InvoiceStatus.VOID: N_("Void"),
    InvoiceStatus.PROCESSING: N_("Processing"),
}


class InvoiceNotFound(NotFound):
    code = "InvoiceNotFound"
    message = N_("Invoice '{id}' was not found.")


class InvalidInvoice(Invalid):
    code = "InvalidInvoice"
    message = N_("Invoice '{number}' is not valid: {reason}")


class InvoiceNumberTaken(Invalid):
    code = "InvoiceNumberTaken"
    message = N_("An invoice with the number '{number}' already exists.")


class InvoiceVoided(Conflict):
    code = "InvoiceVoided"
    message = N_("Invoice '{number}' is void.")


class InvoiceAlreadyPaid(Conflict):
    code = "AlreadyPaid"
    message = N_("Invoice '{number}' is already paid.")


class InvoiceHasPayments(Conflict):
    code = "InvoiceHasPayments"
    message = N_("Invoice '{number}' has payments; refund them before voiding it.")


class PaymentExceedsAmountDue(Invalid):
    code = "PaymentExceedsAmountDue"
    message = N_("{amount} is more than the amount due on invoice '{number}' ({due}).")


class NonPositivePayment(Invalid):
    code = "NonPositivePayment"
    message = N_("A payment must be more than zero.")


@dataclass(frozen=True)
class InvoiceLine:
    invoice_section_id: str
    description: str
    amount: Money
    quantity: Decimal = Decimal(1)


@dataclass(frozen=True)
class Invoice:
    """One bill of a billing profile. Amounts are fixed at issue; only amount_due moves."""

    id: str  # the invoice number, e.g. G000123456
    billing_account_id: str
    billing_profile_id: str
    invoice_date: date
    due_date: date
    period_start: date
    period_end: date
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Money
    credits: Money
    tax: Money
    total: Money
    amount_due: Money
    created_at: datetime
    tax_rate: Decimal = Decimal(0)
    voided_at: datetime | None = None

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise InvalidInvoice(number=self.id, reason="; ".join(problems))

    @classmethod
    def issue(
        cls,
        *,
        number: str,
        billing_account_id: str,
        billing_profile_id: str,
        currency: str,
        invoice_date: date,
        due_date: date,
        period_start: date,
        period_end: date,
        lines: list[InvoiceLine],
        created_at: datetime,
        tax_rate: Decimal = Decimal(0),
        credits: Money | None = None,
    ) -> Invoice:
        """A new invoice. Tax is computed once per document, on the subtotal less credits,
        rounded half-even: never per line, so no cent is lost or made up in the sum."""
        subtotal = total([line.amount for line in lines], currency)
        credits = credits if credits is not None else Money.zero(currency)
        taxable = subtotal - credits
        tax = taxable.times_rate(tax_rate)
        grand_total = taxable + tax
        return cls(
            id=number,
            billing_account_id=billing_account_id,
            billing_profile_id=billing_profile_id,
            invoice_date=invoice_date,
            due_date=due_date,
            period_start=period_start,
            period_end=period_end,
            currency=currency,
            lines=tuple(lines),
            subtotal=subtotal,
            credits=credits,
            tax=tax,
            total=grand_total,
            amount_due=grand_total,
            created_at=created_at,
            tax_rate=tax_rate,
        )

    @property
    def amount_paid(self) -> Money:
        return self.total - self.amount_due

    def status(self, today: date) -> InvoiceStatus:
        """DESIGN §2: Void, then Paid, then Partially paid, then Past due, else Due."""
        if self.voided_at is not None:
            return InvoiceStatus.VOID
        if self.amount_due.is_zero():
            return InvoiceStatus.PAID
        if self.amount_due < self.total:
            return InvoiceStatus.PARTIALLY_PAID
        if today > self.due_date:
            return InvoiceStatus.PAST_DUE
        return InvoiceStatus.DUE

    def display_status(self, today: date, payment_in_flight: bool) -> InvoiceStatus:
        """What a row shows: Processing while a payment is in flight on a payable invoice."""
        status = self.status(today)
        if payment_in_flight and status in PAYABLE:
            return InvoiceStatus.PROCESSING
        return status

    def is_payable(self, today: date) -> bool:
        return self.status(today) in PAYABLE

    def is_overdue(self, today: date) -> bool:
        """Unpaid (wholly or partly) after the due date."""
        return self.is_payable(today) and today > self.due_date

    def check_payable(self) -> None:
        if self.voided_at is not None:
            raise InvoiceVoided(number=self.id)
        if self.amount_due.is_zero():
            raise InvoiceAlreadyPaid(number=self.id)

    def with_payment(self, amount: Money) -> Invoice:
        """The invoice after receiving `amount` (at most the amount due)."""
        self.check_payable()
        if not amount.is_positive():
            raise NonPositivePayment()
        if amount > self.amount_due:
            raise PaymentExceedsAmountDue(amount=str(amount), number=self.id, due=str(self.amount_due))
        return replace(self, amount_due=self.amount_due - amount)

    def with_refund(self, amount: Money) -> Invoice:
        """The invoice after giving back `amount` of what was paid."""
        if not amount.is_positive() or amount > self.amount_paid:
            raise InvalidInvoice(number=self.id, reason=f"cannot refund {amount}")
        return replace(self, amount_due=self.amount_due + amount)

    def voided(self, at: datetime) -> Invoice:
        if self.voided_at is not None:
            raise InvoiceVoided(number=self.id)
        if self.amount_due != self.total:
            raise InvoiceHasPayments(number=self.id)
        return replace(self, voided_at=at)


def _problems(invoice: Invoice) -> list[str]:
    problems = []
    if not INVOICE_NUMBER.match(invoice.id):
        problems.append("the number must be 6 to 20 capital letters and digits, starting with a letter")
    if invoice.period_start > invoice.period_end:
        problems.append("the billing period ends before it starts")
    if invoice.due_date < invoice.invoice_date:
        problems.append("the due date is before the invoice date")
    currencies = {invoice.subtotal.currency, invoice.credits.currency, invoice.tax.currency, invoice.total.currency}
    currencies |= {invoice.amount_due.currency} | {line.amount.currency for line in invoice.lines}
    if currencies != {invoice.currency}:
        problems.append(f"every amount must be in {invoice.currency}")
        return problems
    # One currency throughout, so the sums are of minor units (no Money made per step: an import checks a
    # million invoices).
    subtotal, credits, tax = invoice.subtotal.minor, invoice.credits.minor, invoice.tax.minor
    grand_total, due = invoice.total.minor, invoice.amount_due.minor
    if not invoice.lines:
        problems.append("an invoice needs at least one line")
    if subtotal != sum(line.amount.minor for line in invoice.lines):
        problems.append("the subtotal is not the sum of the lines")
    if credits < 0:
        problems.append("credits cannot be negative")
    if grand_total != subtotal - credits + tax:
        problems.append("the total is not subtotal - credits + tax")
    if grand_total < 0:
        problems.append("the total cannot be negative")
    if due < 0 or due > grand_total:
        problems.append("the amount due must lie between zero and the total")
    return problems


@dataclass(frozen=True)
class OpenBalance:
    """What a billing profile owes on its open invoices (Due, Past due, Partially paid)."""

    amount_due: Money
    open_invoices: int
    next_due_date: date | None  # the earliest due date still ahead; None when all are past due
    past_due_invoices: int


class InvoiceOrder(StrEnum):
    """The column a list of invoices is sorted by (then by number, so the order is total)."""

    INVOICE_DATE = "invoice_date"
    DUE_DATE = "due_date"
    AMOUNT_DUE = "amount_due"
    NUMBER = "id"

    def key_of(self, invoice: Invoice) -> tuple[date | int | str, str]:
        """The invoice's place in this order: the keyset the next page starts after."""
        value: date | int | str = invoice.id
        if self is InvoiceOrder.INVOICE_DATE:
            value = invoice.invoice_date
        elif self is InvoiceOrder.DUE_DATE:
            value = invoice.due_date
        elif self is InvoiceOrder.AMOUNT_DUE:
            value = invoice.amount_due.minor
        return value, invoice.id


@dataclass(frozen=True)
class InvoiceQuery:
    """Which invoices to list, newest first, a page at a time (keyset: after the last row seen)."""

    billing_profile_ids: frozenset[str]
    statuses: frozenset[InvoiceStatus] = frozenset()
    invoice_date_from: date | None = None
    invoice_date_to: date | None = None
    due_date_from: date | None = None
    due_date_to: date | None = None
    after: tuple[date | int | str, str] | None = None  # order.key_of the last row of the page before
    limit: int = 50
    oldest_first: bool = False  # ascending (the name is the invoice-date order's)
    order: InvoiceOrder = InvoiceOrder.INVOICE_DATE
