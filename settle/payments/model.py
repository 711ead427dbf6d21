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
    LOST_CARD = "lost_card"
    STOLEN_CARD = "stolen_card"
    PROCESSING_ERROR = "processing_error"
    AUTHENTICATION_FAILED = "authentication_failed"


_DECLINED = N_("The card was declined. Use another card or contact your bank.")
DECLINE_MESSAGES = {
    DeclineCode.CARD_DECLINED: _DECLINED,
    # A card reported lost or stolen is shown as a plain decline, so as not to tip off whoever holds it.
    DeclineCode.LOST_CARD: _DECLINED,
    DeclineCode.STOLEN_CARD: _DECLINED,
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


def default_kept(profile_name: str, *, is_default: bool, has_unpaid: bool) -> PaymentMethodIsDefault | None:
    """Why a payment method cannot come off a billing profile: it is the default of a profile with unpaid
    invoices, which must keep one (DESIGN §3); None when it may."""
    return PaymentMethodIsDefault(profile=profile_name) if is_default and has_unpaid else None


class PaymentMethodInUse(Conflict):
    code = "PaymentMethodInUse"
    message = N_("A payment with this payment method is in progress. Try again when it has finished.")


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
    # Added in the Pay now blade and not kept yet: it is kept when its payment succeeds, discarded
    # when it fails, and meanwhile no list offers it (DESIGN §1 step 5: failed cards are not saved).
    on_trial: bool = False

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

    @property
    def automatic(self) -> bool:
        """A card payment nobody made by hand: an automatic charge on the due date (autopay)."""
        return self.payer_id is None and self.family is PaymentMethodFamily.CREDIT_CARD

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

    def awaiting_challenge(self, challenge_url: str, processor_reference: str) -> Payment:
        return replace(
            self,
            status=PaymentStatus.REQUIRES_ACTION,
            challenge_url=challenge_url,
            processor_reference=processor_reference,
        )

    def failed(self, at: datetime, code: DeclineCode) -> Payment:
        if self.status is PaymentStatus.SUCCEEDED:
            raise ValueError("a succeeded payment cannot fail afterwards: refund it")
        return replace(self, status=PaymentStatus.FAILED, completed_at=at, decline_code=code, challenge_url=None)


def receipt_number(invoice_id: str, sequence: int) -> str:
    """Receipts are numbered per invoice: the invoice number and a counter, e.g. G000123456-R1."""
    return f"{invoice_id}-R{sequence}"


class AmountChanged(Conflict):
    code = "AmountChanged"
    message = N_("The amount due on invoice '{number}' is now {due}, not {seen}. Check the invoice and pay again.")


class PaymentInProgress(Conflict):
    code = "PaymentInProgress"
    message = N_("A payment of invoice '{number}' is already in progress.")


class IdempotencyKeyReused(Invalid):
    code = "IdempotencyKeyReused"
    message = N_("This idempotency key was used for a different payment request.")


class PayNowNotOffered(Conflict):
    code = "PayNowNotOffered"
    message = N_(
        "Invoices of a {agreement} billing account are not paid with Pay now. "
        "Pay them as your agreement says, by bank transfer or through your partner."
    )


class CardLimitExceeded(Invalid):
    code = "CardLimitExceeded"
    message = N_("Invoices above {limit} cannot be paid by card. Pay by bank transfer instead.")


class CardTypeRefused(Invalid):
    code = "CardTypeRefused"
    message = N_("{funding} cards are not accepted. Use another card or pay by bank transfer.")


# Default ceilings for card payments, about USD 50,000 in each currency (major units).
DEFAULT_CARD_LIMITS = {
    "USD": 50_000,
    "EUR": 46_000,
    "GBP": 40_000,
    "CHF": 44_000,
    "DKK": 345_000,
    "SEK": 530_000,
    "NOK": 540_000,
    "CAD": 70_000,
    "AUD": 77_000,
    "NZD": 85_000,
    "JPY": 7_500_000,
    "PLN": 200_000,
}


@dataclass(frozen=True)
class CardPolicy:
    """The provider's rules for card payments (configurable)."""

    limits: dict[str, int] | None = None  # major units per currency; None: the defaults above
    refuse_prepaid: bool = False

    def check(self, method: PaymentMethod, amount: Money) -> None:
        limits = DEFAULT_CARD_LIMITS if self.limits is None else self.limits
        if amount.currency in limits:
            ceiling = Money.from_decimal(limits[amount.currency], amount.currency)
            if amount > ceiling:
                raise CardLimitExceeded(limit=str(ceiling))
        if self.refuse_prepaid and method.funding is CardFunding.PREPAID:
            raise CardTypeRefused(funding=method.funding.value)


@dataclass(frozen=True)
class PayRequest:
    """What the person pressing Pay now saw and chose."""

    invoice_number: str
    payment_method_id: str
    amount_seen: Money
    idempotency_key: str
    client_address: str | None = None

    def same_as(self, payment: Payment) -> bool:
        return (payment.invoice_id, payment.payment_method_id, payment.amount) == (
            self.invoice_number,
            self.payment_method_id,
            self.amount_seen,
        )


@dataclass(frozen=True)
class Succeeded:
    payment: Payment

    @property
    def receipt_number(self) -> str:
        assert self.payment.receipt_number is not None
        return self.payment.receipt_number


@dataclass(frozen=True)
class Declined:
    payment: Payment

    @property
    def code(self) -> DeclineCode:
        assert self.payment.decline_code is not None
        return self.payment.decline_code


@dataclass(frozen=True)
class RequiresAction:
    payment: Payment

    @property
    def challenge_url(self) -> str:
        assert self.payment.challenge_url is not None
        return self.payment.challenge_url


@dataclass(frozen=True)
class InProgress:
    """The charge was sent but its outcome is not known yet (reconcile will finish it)."""

    payment: Payment


PaymentOutcome = Succeeded | Declined | RequiresAction | InProgress


def outcome_of(payment: Payment) -> PaymentOutcome:
    """The outcome a stored payment stands for (a retry with its key gets this back)."""
    if payment.status is PaymentStatus.SUCCEEDED:
        return Succeeded(payment)
    if payment.status is PaymentStatus.FAILED:
        return Declined(payment)
    if payment.status is PaymentStatus.REQUIRES_ACTION:
        return RequiresAction(payment)
    return InProgress(payment)
