"""Valid domain objects in one line each; a test overrides only what matters to it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from settle.access.model import Role, RoleAssignment, Scope
from settle.invoices.model import Invoice, InvoiceLine
from settle.money import Money
from settle.payments.model import Payment, PaymentMethod, PaymentMethodFamily, PaymentStatus

ACCOUNT_ID = "11111111-2222-3333-4444-555555555555"
PROFILE_ID = "AB12-CD34-EF5-GH6"
SECTION_ID = "WXYZ-1234-AB5-CD6"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
INVOICE_DATE = date(2026, 1, 5)
DUE_DATE = date(2026, 2, 4)


def money(amount: str, currency: str = "EUR") -> Money:
    """Money from a decimal string in major units: money("12.34") is 1234 euro cents."""
    return Money.from_decimal(amount, currency)


def line(amount: str = "100.00", currency: str = "EUR", section: str = SECTION_ID) -> InvoiceLine:
    return InvoiceLine(invoice_section_id=section, description="Virtual machines", amount=money(amount, currency))


def invoice(
    *amounts: str,
    currency: str = "EUR",
    tax_rate: str = "0",
    credits: str | None = None,
    **overrides: Any,
) -> Invoice:
    """An issued invoice with one line per amount (default: one line of 100.00)."""
    fields: dict[str, Any] = {
        "number": "G000000001",
        "billing_account_id": ACCOUNT_ID,
        "billing_profile_id": PROFILE_ID,
        "currency": currency,
        "invoice_date": INVOICE_DATE,
        "due_date": DUE_DATE,
        "period_start": date(2025, 12, 1),
        "period_end": date(2025, 12, 31),
        "lines": [line(amount, currency) for amount in amounts or ("100.00",)],
        "created_at": NOW,
        "tax_rate": Decimal(tax_rate),
        "credits": None if credits is None else money(credits, currency),
    }
    fields.update(overrides)
    return Invoice.issue(**fields)


def card(**overrides: Any) -> PaymentMethod:
    fields: dict[str, Any] = {
        "id": "pm-card",
        "owner_id": "user-1",
        "family": PaymentMethodFamily.CREDIT_CARD,
        "display_name": "Visa •••• 4242",
        "created_at": NOW,
        "brand": "visa",
        "last4": "4242",
        "expiry_month": 12,
        "expiry_year": 2027,
        "holder": "Ada Lovelace",
        "processor_token": "tok_visa",
    }
    fields.update(overrides)
    return PaymentMethod(**fields)


def bank_transfer(**overrides: Any) -> PaymentMethod:
    fields: dict[str, Any] = {
        "id": "pm-bank",
        "owner_id": "user-1",
        "family": PaymentMethodFamily.BANK_TRANSFER,
        "display_name": "Bank transfer",
        "created_at": NOW,
    }
    fields.update(overrides)
    return PaymentMethod(**fields)


def payment(**overrides: Any) -> Payment:
    fields: dict[str, Any] = {
        "id": "pay-1",
        "invoice_id": "G000000001",
        "billing_profile_id": PROFILE_ID,
        "amount": money("100.00"),
        "family": PaymentMethodFamily.CREDIT_CARD,
        "status": PaymentStatus.PENDING,
        "created_at": NOW,
        "payer_id": "user-1",
        "idempotency_key": "key-1",
        "payment_method_id": "pm-card",
    }
    fields.update(overrides)
    return Payment(**fields)


def assignment(role: Role, scope: Scope, user_id: str = "user-1") -> RoleAssignment:
    return RoleAssignment(id=f"ra-{role}", user_id=user_id, role=role, scope=scope, created_at=NOW)
