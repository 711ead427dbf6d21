"""Payment methods and payments. A payment is one attempt to pay an invoice."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from settle.errors import N_, Conflict, Invalid, NotFound
from settle.money import Money


class PaymentMethodFamily(StrEnum):
    CREDIT_CARD = "credit_card"
    BANK_TRANSFER = "bank_transfer"
    CHECK = "check"


class CardFunding(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"
    PREPAID = "prepaid"
    UNKNOWN = "unknown"


class PaymentStatus(StrEnum):
    PENDING = "pending"  # charged or being charged; outcome not yet recorded
    REQUIRES_ACTION = "requires_action"  # 3-D Secure challenge outstanding
    SUCCEEDED = "succeeded"
    FAILED = "failed"


IN_FLIGHT = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION})


class DeclineCode(StrEnum):
    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    PROCESSING_ERROR = "processing_error"
    AUTHENTICATION_FAILED = "authentication_failed"


DECLINE_MESSAGES = {
    DeclineCode.CARD_DECLINED: N_("The card was declined. Use another card or contact your bank."),
    DeclineCode.INSUFFICIENT_FUNDS: N_("The card has insufficient funds."),
    DeclineCode.EXPIRED_CARD: N_("The card has expired."),
    DeclineCode.PROCESSING_ERROR: N_("The card could not be processed. Try again in a few minutes."),
    DeclineCode.AUTHENTICATION_FAILED: N_("The card holder's bank did not confirm the payment (3-D Secure)."),
}


class PaymentMethodNotFound(NotFound):
    code = "PaymentMethodNotFound"
    message = N_("Payment method '{id}' was not found.")


class PaymentNotFound(NotFound):
    code = "PaymentNotFound"
    message = N_("Payment '{id}' was not found.")


class CardExpired(Invalid):
    code = "CardExpired"
    message = N_("The card ending in {last4} expired in {expiry}.")


class PaymentMethodNotPayable(Invalid):
    code = "PaymentMethodNotPayable"
    message = N_("Invoices cannot be paid now with a {family} payment method.")


class PaymentMethodIsDefault(Conflict):
    code = "PaymentMethodIsDefault"
    message = N_("This payment method is the default of billing profile '{profile}'. Choose another default first.")


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    owner_id: str  # the user who added it
    family: PaymentMethodFamily
    display_name: str
    created_at: datetime
    brand: str | None = None  # visa, mastercard, amex… for cards
    last4: str | None = None
    expiry_month: int | None = None
    expiry_year: int | None = None
    holder: str | None = None
    funding: CardFunding = CardFunding.UNKNOWN
    processor_token: str | None = None  # the processor's reference; never the card number
    removed_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.family is PaymentMethodFamily.CREDIT_CARD:
            if not (self.brand and self.last4 and self.expiry_month and self.expiry_year and self.processor_token):
                raise Invalid(reason="a card needs brand, last 4, expiry and a processor token")
            if not (len(self.last4) == 4 and self.last4.isdigit()) or not 1 <= self.expiry_month <= 12:
                raise Invalid(reason="a card's last 4 and expiry month must be valid")

    def is_expired(self, today: date) -> bool:
        """Cards are valid through the last day of their expiry month."""
        if self.expiry_year is None or self.expiry_month is None:
            return False
        return (today.year, today.month) > (self.expiry_year, self.expiry_month)

    @property
    def expiry(self) -> str:
        return f"{self.expiry_month:02d}/{self.expiry_year}" if self.expiry_month else ""

    def check_can_pay(self, today: date) -> None:
        """Only a card that has not expired can be charged by Pay now."""
        if self.family is not PaymentMethodFamily.CREDIT_CARD:
            raise PaymentMethodNotPayable(family=self.family.value)
        if self.is_expired(today):
            raise CardExpired(last4=self.last4, expiry=self.expiry)


@dataclass(frozen=True)
class Payment:
    id: str
    invoice_id: str
    billing_profile_id: str
    amount: Money
    family: PaymentMethodFamily
    status: PaymentStatus
    created_at: datetime
    payer_id: str | None  # None: recorded by an operator
    idempotency_key: str | None = None
    payment_method_id: str | None = None
    processor_reference: str | None = None
    decline_code: DeclineCode | None = None
    challenge_url: str | None = None
    receipt_number: str | None = None
    reference: str | None = None  # e.g. the bank transfer's reference
    completed_at: datetime | None = None

    @property
    def in_flight(self) -> bool:
        return self.status in IN_FLIGHT

    def succeeded(self, at: datetime, receipt_number: str, processor_reference: str | None) -> Payment:
        if self.status is PaymentStatus.SUCCEEDED:
            return self
        return replace(
            self,
            status=PaymentStatus.SUCCEEDED,
            completed_at=at,
            receipt_number=receipt_number,
            processor_reference=processor_reference or self.processor_reference,
            challenge_url=None,
        )

    def failed(self, at: datetime, code: DeclineCode) -> Payment:
        return replace(self, status=PaymentStatus.FAILED, completed_at=at, decline_code=code, challenge_url=None)


def receipt_number(invoice_id: str, sequence: int) -> str:
    """Receipts are numbered per invoice: the invoice number and a counter, e.g. G000123456-R1."""
    return f"{invoice_id}-R{sequence}"
