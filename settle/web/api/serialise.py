"""Settle's objects in Microsoft.Billing's shapes (schemas.py), their resource ids, and the JSON writer
that puts money on the wire exactly: a Decimal becomes a JSON number literal, and a float is refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

from settle.access.model import Scope
from settle.accounts import model as accounts
from settle.invoices.model import Invoice, InvoiceStatus
from settle.money import Money
from settle.payments.lists import InvoicePayment
from settle.payments.model import DeclineCode, PaymentMethodFamily, PaymentStatus
from settle.payments.refund_model import Refund
from settle.payments.service import PaymentMethodView
from settle.web.api import schemas
from settle.web.api.exact_json import restore_numbers

PROVIDER = "/providers/Microsoft.Billing"
ACCOUNT_TYPE = "Microsoft.Billing/billingAccounts"
PROFILE_TYPE = f"{ACCOUNT_TYPE}/billingProfiles"
_FAMILIES: dict[PaymentMethodFamily, schemas.Family] = {
    PaymentMethodFamily.CREDIT_CARD: "CreditCard",
    PaymentMethodFamily.BANK_TRANSFER: "CheckWire",
    PaymentMethodFamily.CHECK: "CheckWire",
}
_FAILED_REASONS: dict[DeclineCode, schemas.FailedPaymentReason] = {
    DeclineCode.EXPIRED_CARD: "CardExpired",
    DeclineCode.CARD_DECLINED: "BankDeclined",
    DeclineCode.INSUFFICIENT_FUNDS: "BankDeclined",
    DeclineCode.AUTHENTICATION_FAILED: "BankDeclined",
    DeclineCode.PROCESSING_ERROR: "Other",
    DeclineCode.LOST_CARD: "BankDeclined",
    DeclineCode.STOLEN_CARD: "BankDeclined",
}


def account_id(account: str) -> str:
    return f"{PROVIDER}/billingAccounts/{account}"


def profile_id(account: str, profile: str) -> str:
    return f"{account_id(account)}/billingProfiles/{profile}"


def scope_id(scope: Scope) -> str:
    path = account_id(scope.billing_account_id)
    if scope.billing_profile_id is not None:
        path += f"/billingProfiles/{scope.billing_profile_id}"
    if scope.invoice_section_id is not None:
        path += f"/invoiceSections/{scope.invoice_section_id}"
    return path


def scope_type(scope: Scope) -> str:
    if scope.invoice_section_id is not None:
        return f"{PROFILE_TYPE}/invoiceSections"
    return PROFILE_TYPE if scope.billing_profile_id is not None else ACCOUNT_TYPE


def invoice_id(account: str, number: str) -> str:
    return f"{account_id(account)}/invoices/{number}"


def payment_method_id(method: str) -> str:
    return f"{PROVIDER}/paymentMethods/{method}"


def amount(money: Money) -> schemas.Amount:
    return schemas.Amount(currency=money.currency, value=money.to_decimal())


def midnight(day: date) -> datetime:
    """Azure writes dates as date-times; Settle's dates are whole days in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def address(where: accounts.Address) -> schemas.Address | None:
    if not (where.line1 or where.country):
        return None
    return schemas.Address(
        company_name=where.company or None,
        address_line1=where.line1,
        address_line2=where.line2 or None,
        city=where.city or None,
        postal_code=where.postal_code or None,
        region=where.region or None,
        country=where.country,
    )


def billing_account(account: accounts.BillingAccount) -> schemas.BillingAccount:
    return schemas.BillingAccount(
        id=account_id(account.id),
        name=account.id,
        type=ACCOUNT_TYPE,
        properties=schemas.BillingAccountProperties(
            display_name=account.display_name,
            agreement_type=account.agreement_type.value,
            account_status=account.status.value,
            has_read_access=True,
            sold_to=address(account.sold_to),
        ),
    )


def billing_profile(profile: accounts.BillingProfile) -> schemas.BillingProfile:
    return schemas.BillingProfile(
        id=profile_id(profile.billing_account_id, profile.id),
        name=profile.id,
        type=PROFILE_TYPE,
        properties=schemas.BillingProfileProperties(
            display_name=profile.display_name,
            currency=profile.currency,
            bill_to=address(profile.bill_to),
            invoice_email_opt_in=bool(profile.invoice_email),
            invoice_recipients=[profile.invoice_email] if profile.invoice_email else [],
            status="Active",
            system_id=profile.id,
            has_read_access=True,
            current_payment_term=schemas.PaymentTerm(term=f"P{profile.payment_terms_days}D", is_default=True),
            auto_pay="On" if profile.autopay else "Off",
            auto_pay_since=midnight(profile.autopay_since) if profile.autopay_since else None,
        ),
    )


def invoice_section(account: str, section: accounts.InvoiceSection) -> schemas.InvoiceSection:
    return schemas.InvoiceSection(
        id=f"{profile_id(account, section.billing_profile_id)}/invoiceSections/{section.id}",
        name=section.id,
        type=f"{PROFILE_TYPE}/invoiceSections",
        properties=schemas.InvoiceSectionProperties(
            display_name=section.display_name, state="Active", system_id=section.id
        ),
    )


def invoice_status(invoice: Invoice, today: date) -> schemas.InvoiceStatus:
    """Azure's four: a partially paid invoice is Due or OverDue (the portal shows it as Partially paid)."""
    status = invoice.status(today)
    if status is InvoiceStatus.VOID:
        return "Void"
    if status is InvoiceStatus.PAID:
        return "Paid"
    return "OverDue" if invoice.is_overdue(today) else "Due"


def invoice(
    bill: Invoice, today: date, payments: list[InvoicePayment], profile_name: str | None = None
) -> schemas.Invoice:
    return schemas.Invoice(
        id=invoice_id(bill.billing_account_id, bill.id),
        name=bill.id,
        type=f"{ACCOUNT_TYPE}/invoices",
        properties=schemas.InvoiceProperties(
            amount_due=amount(bill.amount_due),
            billed_amount=amount(bill.subtotal + bill.tax),
            sub_total=amount(bill.subtotal),
            tax_amount=amount(bill.tax),
            credit_amount=amount(bill.credits),
            total_amount=amount(bill.total),
            invoice_date=midnight(bill.invoice_date),
            due_date=midnight(bill.due_date),
            invoice_period_start_date=midnight(bill.period_start),
            invoice_period_end_date=midnight(bill.period_end),
            status=invoice_status(bill, today),
            billing_profile_id=profile_id(bill.billing_account_id, bill.billing_profile_id),
            billing_profile_display_name=profile_name,
            document_type="Invoice",
            documents=[schemas.InvoiceDocument(kind="Invoice", name=bill.id)],
            payments=received_and_refunded(payments),
            failed_payments=[failed(made) for made in payments if made.payment.status is PaymentStatus.FAILED],
        ),
    )


def received_and_refunded(payments: list[InvoicePayment]) -> list[schemas.InvoicePayment]:
    """The succeeded payments (debited) and what was refunded of them (credited, negative), by date."""
    entries = []
    for made in payments:
        if made.payment.status is PaymentStatus.SUCCEEDED:
            entries.append(received(made))
            entries += [refunded(made, refund) for refund in made.refunds]
    return sorted(entries, key=lambda entry: entry.date)


def refunded(made: InvoicePayment, refund: Refund) -> schemas.InvoicePayment:
    shown = received(made)
    return shown.model_copy(
        update={
            "amount": amount(-refund.amount),
            "date": refund.completed_at or refund.created_at,
            "payment_type": "credited",
        }
    )


def received(made: InvoicePayment) -> schemas.InvoicePayment:
    payment = made.payment
    return schemas.InvoicePayment(
        amount=amount(payment.amount),
        date=payment.completed_at or payment.created_at,
        payment_method_id=payment_method_id(payment.payment_method_id) if payment.payment_method_id else None,
        payment_method_family=_FAMILIES[payment.family],
        payment_method_type=made.card_brand,
        payment_type="debited",
    )


def failed(made: InvoicePayment) -> schemas.FailedPayment:
    payment = made.payment
    reason = _FAILED_REASONS[payment.decline_code] if payment.decline_code else "Other"
    return schemas.FailedPayment(date=payment.completed_at or payment.created_at, failed_payment_reason=reason)


def _card_facts(view: PaymentMethodView) -> dict[str, Any]:
    method = view.method
    return {
        "account_holder_name": method.holder,
        "display_name": method.display_name,
        "expiration": f"{method.expiry_month}/{method.expiry_year}" if method.expiry_month else None,
        "family": _FAMILIES[method.family],
        "last_four_digits": method.last4,
        "payment_method_type": method.brand,
        "status": "inactive" if view.expired else "active",
    }


def payment_method(account: str, view: PaymentMethodView) -> schemas.PaymentMethod:
    method = view.method
    return schemas.PaymentMethod(
        id=f"{account_id(account)}/paymentMethods/{method.id}",
        name=method.id,
        type=f"{ACCOUNT_TYPE}/paymentMethods",
        properties=schemas.PaymentMethodProperties(id=payment_method_id(method.id), **_card_facts(view)),
    )


def payment_method_link(profile: accounts.BillingProfile, view: PaymentMethodView) -> schemas.PaymentMethodLink:
    method = view.method
    return schemas.PaymentMethodLink(
        id=f"{profile_id(profile.billing_account_id, profile.id)}/paymentMethodLinks/{method.id}",
        name=method.id,
        type=f"{PROFILE_TYPE}/paymentMethodLinks",
        properties=schemas.PaymentMethodLinkProperties(
            payment_method_id=payment_method_id(method.id), **_card_facts(view)
        ),
    )


class AzureJSON(Response):
    """A JSON answer written by `encode`: exact decimals, RFC 3339 date-times, camelCase names."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode(content).encode("utf-8")


def encode(value: Any) -> str:
    """JSON text for models, dicts, lists, strings, ints, Decimals and aware date-times; floats are refused."""
    if isinstance(value, BaseModel):  # pydantic writes it (quickly); its Decimals come back as numbers
        return restore_numbers(value.model_dump_json(exclude_none=True))
    if value is None or isinstance(value, bool | str | int):
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number JSON can carry")
        return format(value, "f")
    if isinstance(value, datetime):
        return json.dumps(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(key))}:{encode(item)}" for key, item in value.items()) + "}"
    raise TypeError(f"{type(value).__name__} is not written to the API's JSON (money is never a float)")
