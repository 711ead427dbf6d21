"""The JSON bodies of webhook events: an envelope (`id`, `type`, `createdTime`, `apiVersion`, `data`)
around the resource the event is about, in the REST API's shape (api-version 2024-04-01): its
resource id, `name`, `type`, and `properties` with camelCase names; amounts are
`{"currency", "value"}` with the value written from the exact decimal, never through a float.

Resource ids are formed as settle/web/api/serialise.py forms them (a test holds the two together):
this layer may not import the web's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from settle.invoices.model import Invoice, InvoiceStatus
from settle.money import Money
from settle.notify.webhooks.model import EventType
from settle.payments.model import DeclineCode, Payment, PaymentMethodFamily, PaymentStatus
from settle.payments.refund_model import Refund, RefundStatus

API_VERSION = "2024-04-01"
PROVIDER = "/providers/Microsoft.Billing"
ACCOUNT_TYPE = "Microsoft.Billing/billingAccounts"
PROFILE_TYPE = f"{ACCOUNT_TYPE}/billingProfiles"
_FAMILIES = {
    PaymentMethodFamily.CREDIT_CARD: "CreditCard",
    PaymentMethodFamily.BANK_TRANSFER: "CheckWire",
    PaymentMethodFamily.CHECK: "CheckWire",
}
_PAYMENT_STATUSES = {
    PaymentStatus.SUCCEEDED: "Succeeded",
    PaymentStatus.FAILED: "Failed",
    PaymentStatus.REQUIRES_ACTION: "RequiresAction",
}
_FAILED_REASONS = {DeclineCode.EXPIRED_CARD: "CardExpired", DeclineCode.PROCESSING_ERROR: "Other"}


def account_id(account: str) -> str:
    return f"{PROVIDER}/billingAccounts/{account}"


def profile_id(account: str, profile: str) -> str:
    return f"{account_id(account)}/billingProfiles/{profile}"


def invoice_id(invoice: Invoice) -> str:
    return f"{account_id(invoice.billing_account_id)}/invoices/{invoice.id}"


def payment_id(invoice: Invoice, payment: str) -> str:
    return f"{invoice_id(invoice)}/payments/{payment}"


def amount(money: Money) -> dict[str, Any]:
    return {"currency": money.currency, "value": money.to_decimal()}


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _status(invoice: Invoice, today: date) -> str:
    """Azure's four, as the API reports them (a partially paid invoice is Due or OverDue)."""
    status = invoice.status(today)
    if status is InvoiceStatus.VOID:
        return "Void"
    if status is InvoiceStatus.PAID:
        return "Paid"
    return "OverDue" if invoice.is_overdue(today) else "Due"


def invoice_resource(invoice: Invoice, today: date) -> dict[str, Any]:
    return {
        "id": invoice_id(invoice),
        "name": invoice.id,
        "type": f"{ACCOUNT_TYPE}/invoices",
        "properties": {
            "amountDue": amount(invoice.amount_due),
            "billedAmount": amount(invoice.subtotal + invoice.tax),
            "totalAmount": amount(invoice.total),
            "subTotal": amount(invoice.subtotal),
            "taxAmount": amount(invoice.tax),
            "creditAmount": amount(invoice.credits),
            "invoiceDate": _midnight(invoice.invoice_date),
            "dueDate": _midnight(invoice.due_date),
            "invoicePeriodStartDate": _midnight(invoice.period_start),
            "invoicePeriodEndDate": _midnight(invoice.period_end),
            "status": _status(invoice, today),
            "billingProfileId": profile_id(invoice.billing_account_id, invoice.billing_profile_id),
            "documentType": "Invoice",
        },
    }


def payment_resource(invoice: Invoice, payment: Payment) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "status": _PAYMENT_STATUSES.get(payment.status, "Pending"),
        "invoiceId": invoice_id(invoice),
        "amount": amount(payment.amount),
        "date": payment.completed_at or payment.created_at,
        "paymentMethodFamily": _FAMILIES[payment.family],
        "automatic": payment.automatic,
    }
    if payment.payment_method_id:
        properties["paymentMethodId"] = f"{PROVIDER}/paymentMethods/{payment.payment_method_id}"
    if payment.receipt_number:
        properties["receiptNumber"] = payment.receipt_number
    if payment.decline_code is not None:
        properties["declineCode"] = payment.decline_code.value
        properties["failedPaymentReason"] = _FAILED_REASONS.get(payment.decline_code, "BankDeclined")
    return {
        "id": payment_id(invoice, payment.id),
        "name": payment.id,
        "type": f"{ACCOUNT_TYPE}/invoices/payments",
        "properties": properties,
    }


def refund_resource(invoice: Invoice, refund: Refund) -> dict[str, Any]:
    """As the API's refund answer: under the billing profile's invoice."""
    invoice_path = f"{profile_id(invoice.billing_account_id, invoice.billing_profile_id)}/invoices/{invoice.id}"
    properties: dict[str, Any] = {
        "status": "Succeeded" if refund.status is RefundStatus.SUCCEEDED else "Pending",
        "invoiceId": invoice_path,
        "paymentId": f"{invoice_path}/payments/{refund.payment_id}",
        "amount": amount(refund.amount),
        "date": refund.completed_at or refund.created_at,
        "amountDue": amount(invoice.amount_due),
    }
    if refund.receipt_number:
        properties["receiptNumber"] = refund.receipt_number
    return {
        "id": f"{invoice_path}/payments/{refund.payment_id}/refunds/{refund.id}",
        "name": refund.id,
        "type": f"{PROFILE_TYPE}/invoices/payments/refunds",
        "properties": properties,
    }


def envelope(event_id: str, event: EventType, at: datetime, data: dict[str, Any], caused_by: str | None = None) -> str:
    """The event's body, as sent; `causedBy` names the resource that made it happen (invoice.paid:
    the payment that paid the rest)."""
    body: dict[str, Any] = {"id": event_id, "type": event.value, "createdTime": at, "apiVersion": API_VERSION}
    if caused_by is not None:
        body["causedBy"] = caused_by
    body["data"] = data
    return encode(body)


def encode(value: Any) -> str:
    """JSON text with Decimals as exact number literals and aware date-times in RFC 3339 UTC; floats refused."""
    if value is None or isinstance(value, bool | str | int):
        return json.dumps(value, ensure_ascii=False)
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
    raise TypeError(f"{type(value).__name__} is not written to a webhook's JSON (money is never a float)")
