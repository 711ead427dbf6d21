"""What each e-mail says, in the recipient's language: pure functions from the facts of an invoice
or a payment to an EmailContent (rendered as text and HTML by notify/render.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from settle.documents.layout import date_and_time, long_date
from settle.documents.model import InvoiceDocument, ReceiptDocument, RefundReceiptDocument
from settle.documents.receipt_pdf import method_shown
from settle.documents.refund_pdf import refund_method_shown
from settle.errors import N_
from settle.i18n import gettext
from settle.money import Money, format_money
from settle.payments.model import DECLINE_MESSAGES, DeclineCode

ISSUED_SUBJECT = N_("Your invoice {number} is ready")
PAST_DUE_SUBJECT = N_("Invoice {number} is past due")
REMINDER_SUBJECT = N_("Reminder: invoice {number} is still past due")
SUCCEEDED_SUBJECT = N_("Payment received for invoice {number}")
FAILED_SUBJECT = N_("Your payment of invoice {number} failed")

GREETING = N_("Hello,")
ISSUED_TEXT = N_("Invoice {number} for billing profile {profile} is ready. You find it attached as a PDF.")
DUE_BY = N_("Please pay {amount} by {due_date}.")
PAST_DUE_TEXT = N_("Invoice {number} for billing profile {profile} was due on {due_date} and is not paid in full.")
REMINDER_TEXT = N_(
    "This is a reminder: invoice {number} for billing profile {profile} was due on {due_date} "
    "and is still not paid in full."
)
PAY_OPTIONS = N_("Pay it with Pay now in the portal, or by bank transfer with the payment reference {number}.")
PAY_BY_TRANSFER = N_("Pay it by bank transfer with the payment reference {number}.")
IF_PAID = N_("If you have paid in the meantime, please disregard this message.")
SUCCEEDED_TEXT = N_("Thank you. We received your payment of {amount} for invoice {number}. Your receipt is attached.")
FAILED_TEXT = N_("Your payment of {amount} for invoice {number} did not go through.")
FAILED_REASON = N_("Reason: {reason}")
FAILED_NEXT = N_("The invoice is still open. Try again with another card, or pay by bank transfer.")
FOOTER = N_("You receive this e-mail from {provider} about billing profile {profile}.")
AUTOPAY_FAILED_SUBJECT = N_("The automatic payment of invoice {number} failed")
AUTOPAY_FAILED_TEXT = N_("We could not charge {amount} for invoice {number} to your card automatically.")
AUTOPAY_RETRY = N_("We will try again on {date}. To pay before then, use Pay now in the portal.")
AUTOPAY_STOPPED = N_(
    "We will not try again automatically. Pay the invoice with Pay now, with another card, or by bank transfer."
)
REFUND_SUBJECT = N_("Refund for invoice {number}")
REFUND_TEXT = N_("We refunded {amount} of your payment for invoice {number}. Your refund receipt is attached.")
REFUND_BANK = N_("Your bank may take a few days to show it on your statement.")
SUPPORT_REPLY_SUBJECT = N_("Answer to your support request {number}")
SUPPORT_REPLY_TEXT = N_("Our support team answered your support request {number}:")
SUPPORT_REPLY_NEXT = N_("If this does not solve your problem, write to us on the request's page in the portal.")
SUPPORT_CLOSED = N_("We have closed the request. If the problem comes back, open a new support request.")
SUPPORT_FOOTER = N_("You receive this e-mail from {provider} because you opened support request {number}.")
VERIFY_SUBJECT = N_("Verify your e-mail address for {provider}")
VERIFY_TEXT = N_(
    "Please confirm that {email} is your e-mail address: open the link below and press Verify the e-mail address."
)
VERIFY_WHY = N_("Until you do, roles that others give you and invitations wait. The link works once, for 48 hours.")
VERIFY_NOT_YOU = N_(
    "If you did not sign up at {provider}, ignore this e-mail: without the link, nothing happens to the address."
)
VERIFY_ACTION = N_("Verify the e-mail address")
VALID_UNTIL = N_("Valid until")
ADDRESS = N_("E-mail address")
SIGN_UP_ATTEMPT_SUBJECT = N_("Someone tried to sign up with your e-mail address")
SIGN_UP_ATTEMPT_TEXT = N_(
    "Someone tried to create a new billing account at {provider} with your e-mail address {email}. You already "
    "have a user with this address, so nothing was created or changed."
)
SIGN_UP_ATTEMPT_YOU = N_(
    "If it was you: sign in with your e-mail address and password. If you forgot your password, use "
    "Forgot password on the sign-in page."
)
SIGN_UP_ATTEMPT_NOT_YOU = N_("If it was not you, ignore this e-mail: nobody was signed in and nothing was changed.")
SIGN_IN = N_("Sign in")
USER_FOOTER = N_("You receive this e-mail from {provider} because a user of its billing portal has this address.")
RESET_SUBJECT = N_("Reset your Settle password")
RESET_TEXT = N_("Someone asked to reset the password of your Settle account {email}.")
RESET_NEXT = N_("Choose a new password with the link below. It works once, for {lifetime}.")
RESET_IGNORE = N_("If you didn't ask for this, ignore this message: your password stays as it is.")
RESET_FOOTER = N_("You receive this e-mail from {provider} because a reset link was asked for {email}.")

PAY_NOW = N_("Pay now")
GO_TO_INVOICES = N_("Go to Invoices")
INVOICE_NUMBER = N_("Invoice number")
BILLING_PROFILE = N_("Billing profile")
TOTAL = N_("Total")
AMOUNT_DUE = N_("Amount due")
DUE_DATE = N_("Due date")
AMOUNT_PAID = N_("Amount paid")
RECEIPT_NUMBER = N_("Receipt number")
PAYMENT_DATE = N_("Payment date")
PAYMENT_METHOD = N_("Payment method")
AMOUNT = N_("Amount")
NEXT_ATTEMPT = N_("Next attempt")
AMOUNT_REFUNDED = N_("Amount refunded")
REFUND_DATE = N_("Refund date")
SUPPORT_REQUEST = N_("Support request")
SUBJECT = N_("Subject")
OPEN_REQUEST = N_("Open the support request")
CHOOSE_PASSWORD = N_("Choose a new password")


@dataclass(frozen=True)
class EmailContent:
    """One e-mail's words, ready to be laid out as plain text and as HTML."""

    locale: str
    subject: str
    paragraphs: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]
    action: tuple[str, str] | None  # (label, link)
    footer: str


@dataclass(frozen=True)
class SupportAnswer:
    """The staff's reply to a support request, as its user reads it."""

    number: str
    subject: str
    body: str
    closed: bool  # the staff closed the request with this reply


@dataclass(frozen=True)
class ResetLink:
    """A password reset link, as its e-mail tells it: to whom, the link, and until when it works."""

    email: str
    link: str
    lifetime: str  # in words, untranslated (settle/access/resets.py LIFETIME_TEXT)
    expires_at: datetime
    tz: str


@dataclass(frozen=True)
class FailedPayment:
    invoice_number: str
    billing_profile: str
    amount: Money
    decline_code: DeclineCode


@dataclass(frozen=True)
class FailedAutopay:
    """A failed automatic charge, and the day of the next one (None: there will be none)."""

    failed: FailedPayment
    retry_on: date | None


def pay_link(base_url: str, number: str) -> str:
    """The Pay now blade of an invoice in the portal."""
    return f"{base_url}/billing/invoices/{number}/pay"


def invoices_link(base_url: str) -> str:
    return f"{base_url}/billing/invoices"


def invoice_issued(invoice: InvoiceDocument, locale: str, base_url: str) -> EmailContent:
    t = _translator(locale)
    number, profile = invoice.number, invoice.billing_profile
    due = format_money(invoice.amount_due, locale)
    paragraphs = [t(GREETING), t(ISSUED_TEXT).format(number=number, profile=profile)]
    if invoice.amount_due.is_positive():
        paragraphs.append(t(DUE_BY).format(amount=due, due_date=long_date(invoice.due_date, locale)))
    return EmailContent(
        locale=locale,
        subject=t(ISSUED_SUBJECT).format(number=number),
        paragraphs=tuple(paragraphs),
        facts=_invoice_facts(invoice, locale),
        action=_pay_or_list(invoice, locale, base_url),
        footer=t(FOOTER).format(provider=invoice.provider.name, profile=profile),
    )


def invoice_past_due(invoice: InvoiceDocument, locale: str, base_url: str, *, reminder: bool) -> EmailContent:
    t = _translator(locale)
    number, profile = invoice.number, invoice.billing_profile
    text = t(REMINDER_TEXT if reminder else PAST_DUE_TEXT)
    paragraphs = (
        t(GREETING),
        text.format(number=number, profile=profile, due_date=long_date(invoice.due_date, locale)),
        t(PAY_OPTIONS if invoice.pay_now_offered else PAY_BY_TRANSFER).format(number=number),
        t(IF_PAID),
    )
    return EmailContent(
        locale=locale,
        subject=t(REMINDER_SUBJECT if reminder else PAST_DUE_SUBJECT).format(number=number),
        paragraphs=paragraphs,
        facts=_invoice_facts(invoice, locale),
        action=_pay_or_list(invoice, locale, base_url),
        footer=t(FOOTER).format(provider=invoice.provider.name, profile=profile),
    )


def payment_succeeded(receipt: ReceiptDocument, profile: str, locale: str, base_url: str) -> EmailContent:
    t = _translator(locale)
    amount = format_money(receipt.amount, locale)
    facts = (
        (t(INVOICE_NUMBER), receipt.invoice_number),
        (t(RECEIPT_NUMBER), receipt.receipt_number),
        (t(AMOUNT_PAID), amount),
        (t(PAYMENT_DATE), date_and_time(receipt.paid_at, locale, receipt.timezone)),
        (t(PAYMENT_METHOD), method_shown(receipt, locale)),
    )
    return EmailContent(
        locale=locale,
        subject=t(SUCCEEDED_SUBJECT).format(number=receipt.invoice_number),
        paragraphs=(t(GREETING), t(SUCCEEDED_TEXT).format(amount=amount, number=receipt.invoice_number)),
        facts=facts,
        action=(t(GO_TO_INVOICES), invoices_link(base_url)),
        footer=t(FOOTER).format(provider=receipt.provider.name, profile=profile),
    )


def payment_failed(failed: FailedPayment, provider: str, locale: str, base_url: str) -> EmailContent:
    t = _translator(locale)
    number, amount = failed.invoice_number, format_money(failed.amount, locale)
    reason = t(DECLINE_MESSAGES[failed.decline_code])
    return EmailContent(
        locale=locale,
        subject=t(FAILED_SUBJECT).format(number=number),
        paragraphs=(
            t(GREETING),
            t(FAILED_TEXT).format(amount=amount, number=number),
            t(FAILED_REASON).format(reason=reason),
            t(FAILED_NEXT),
        ),
        facts=((t(INVOICE_NUMBER), number), (t(BILLING_PROFILE), failed.billing_profile), (t(AMOUNT), amount)),
        action=(t(PAY_NOW), pay_link(base_url, number)),
        footer=t(FOOTER).format(provider=provider, profile=failed.billing_profile),
    )


def autopay_failed(notice: FailedAutopay, provider: str, locale: str, base_url: str) -> EmailContent:
    """The dunning e-mail: why the automatic charge failed, whether it is tried again, and Pay now."""
    t = _translator(locale)
    failed = notice.failed
    number, amount = failed.invoice_number, format_money(failed.amount, locale)
    facts = [(t(INVOICE_NUMBER), number), (t(BILLING_PROFILE), failed.billing_profile), (t(AMOUNT), amount)]
    if notice.retry_on is not None:
        next_time = t(AUTOPAY_RETRY).format(date=long_date(notice.retry_on, locale))
        facts.append((t(NEXT_ATTEMPT), long_date(notice.retry_on, locale)))
    else:
        next_time = t(AUTOPAY_STOPPED)
    reason = t(DECLINE_MESSAGES[failed.decline_code])
    return EmailContent(
        locale=locale,
        subject=t(AUTOPAY_FAILED_SUBJECT).format(number=number),
        paragraphs=(
            t(GREETING),
            t(AUTOPAY_FAILED_TEXT).format(amount=amount, number=number),
            t(FAILED_REASON).format(reason=reason),
            next_time,
        ),
        facts=tuple(facts),
        action=(t(PAY_NOW), pay_link(base_url, number)),
        footer=t(FOOTER).format(provider=provider, profile=failed.billing_profile),
    )


def refund_succeeded(receipt: RefundReceiptDocument, profile: str, locale: str, base_url: str) -> EmailContent:
    t = _translator(locale)
    amount = format_money(receipt.amount, locale)
    facts = (
        (t(INVOICE_NUMBER), receipt.invoice_number),
        (t(RECEIPT_NUMBER), receipt.receipt_number),
        (t(AMOUNT_REFUNDED), amount),
        (t(REFUND_DATE), date_and_time(receipt.refunded_at, locale, receipt.timezone)),
        (t(PAYMENT_METHOD), refund_method_shown(receipt, locale)),
    )
    return EmailContent(
        locale=locale,
        subject=t(REFUND_SUBJECT).format(number=receipt.invoice_number),
        paragraphs=(
            t(GREETING),
            t(REFUND_TEXT).format(amount=amount, number=receipt.invoice_number),
            t(REFUND_BANK),
        ),
        facts=facts,
        action=(t(GO_TO_INVOICES), invoices_link(base_url)),
        footer=t(FOOTER).format(provider=receipt.provider.name, profile=profile),
    )


def support_replied(answer: SupportAnswer, provider: str, locale: str, base_url: str) -> EmailContent:
    """The staff's reply in full (its paragraphs as written), and the way back to the conversation."""
    t = _translator(locale)
    lines = tuple(part.strip() for part in re.split(r"\n\s*\n", answer.body) if part.strip())
    return EmailContent(
        locale=locale,
        subject=t(SUPPORT_REPLY_SUBJECT).format(number=answer.number),
        paragraphs=(
            t(GREETING),
            t(SUPPORT_REPLY_TEXT).format(number=answer.number),
            *lines,
            t(SUPPORT_CLOSED) if answer.closed else t(SUPPORT_REPLY_NEXT),
        ),
        facts=((t(SUPPORT_REQUEST), answer.number), (t(SUBJECT), answer.subject)),
        action=(t(OPEN_REQUEST), support_request_link(base_url, answer.number)),
        footer=t(SUPPORT_FOOTER).format(provider=provider, number=answer.number),
    )


@dataclass(frozen=True)
class VerificationLink:
    """A link that proves an address, as its e-mail shows it."""

    email: str
    link: str
    expires_at: datetime
    timezone: str


def email_verification(link: VerificationLink, provider: str, locale: str) -> EmailContent:
    """The link that proves the address, with how long it works."""
    t = _translator(locale)
    return EmailContent(
        locale=locale,
        subject=t(VERIFY_SUBJECT).format(provider=provider),
        paragraphs=(
            t(GREETING),
            t(VERIFY_TEXT).format(email=link.email),
            t(VERIFY_WHY),
            t(VERIFY_NOT_YOU).format(provider=provider),
        ),
        facts=(
            (t(ADDRESS), link.email),
            (t(VALID_UNTIL), date_and_time(link.expires_at, locale, link.timezone)),
        ),
        action=(t(VERIFY_ACTION), link.link),
        footer=t(USER_FOOTER).format(provider=provider),
    )


def sign_up_attempted(email: str, provider: str, locale: str, base_url: str) -> EmailContent:
    """To the owner of an address someone signed up with: sign in, or reset the password; nothing changed."""
    t = _translator(locale)
    return EmailContent(
        locale=locale,
        subject=t(SIGN_UP_ATTEMPT_SUBJECT),
        paragraphs=(
            t(GREETING),
            t(SIGN_UP_ATTEMPT_TEXT).format(provider=provider, email=email),
            t(SIGN_UP_ATTEMPT_YOU),
            t(SIGN_UP_ATTEMPT_NOT_YOU),
        ),
        facts=((t(ADDRESS), email),),
        action=(t(SIGN_IN), f"{base_url}/signin"),
        footer=t(USER_FOOTER).format(provider=provider),
    )


def password_reset(reset: ResetLink, provider: str, locale: str) -> EmailContent:
    """The link to choose a new password; nothing else in it is a secret."""
    t = _translator(locale)
    return EmailContent(
        locale=locale,
        subject=t(RESET_SUBJECT),
        paragraphs=(
            t(GREETING),
            t(RESET_TEXT).format(email=reset.email),
            t(RESET_NEXT).format(lifetime=t(reset.lifetime)),
            t(RESET_IGNORE),
        ),
        facts=(
            (t(ADDRESS), reset.email),
            (t(VALID_UNTIL), date_and_time(reset.expires_at, locale, reset.tz)),
        ),
        action=(t(CHOOSE_PASSWORD), reset.link),
        footer=t(RESET_FOOTER).format(provider=provider, email=reset.email),
    )


def reset_password_link(base_url: str, secret: str) -> str:
    return f"{base_url}/reset-password/{secret}"


def support_request_link(base_url: str, number: str) -> str:
    return f"{base_url}/help/requests/{number}"


def _invoice_facts(invoice: InvoiceDocument, locale: str) -> tuple[tuple[str, str], ...]:
    t = _translator(locale)
    return (
        (t(INVOICE_NUMBER), invoice.number),
        (t(BILLING_PROFILE), invoice.billing_profile),
        (t(TOTAL), format_money(invoice.total, locale)),
        (t(AMOUNT_DUE), format_money(invoice.amount_due, locale)),
        (t(DUE_DATE), long_date(invoice.due_date, locale)),
    )


def _pay_or_list(invoice: InvoiceDocument, locale: str, base_url: str) -> tuple[str, str]:
    """Pay now while something is due (and the account pays in the portal), otherwise the list."""
    t = _translator(locale)
    if invoice.pay_now_offered:
        return t(PAY_NOW), pay_link(base_url, invoice.number)
    return t(GO_TO_INVOICES), invoices_link(base_url)


def _translator(locale: str) -> Callable[[str], str]:
    return partial(gettext, locale)
