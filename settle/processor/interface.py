"""What Settle asks of a card processor. The built-in `simulated` one and adapters for real ones
(Stripe first) implement it; Settle's services see only this."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from settle.errors import N_, ErrorKind, SettleError
from settle.money import Money


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: the card holder must complete a challenge


@dataclass(frozen=True)
class Charge:
    """The processor's record of one charge, found by the idempotency key Settle gave it."""

    reference: str  # the processor's id for the charge
    idempotency_key: str
    amount: Money
    status: ChargeStatus
    decline_code: str | None = None  # card_declined, insufficient_funds, expired_card, processing_error…
    challenge_url: str | None = None


@dataclass(frozen=True)
class Refund:
    reference: str
    charge_reference: str
    amount: Money


@dataclass(frozen=True)
class CardToken:
    """What tokenisation gives back: never the number, only what may be shown and kept."""

    token: str
    brand: str
    last4: str
    expiry_month: int
    expiry_year: int
    holder: str
    funding: str  # credit, debit, prepaid, unknown


class ProcessorUnavailable(SettleError):
    """The processor did not answer, or answered 5xx: the outcome of the call is unknown."""

    kind = ErrorKind.UNAVAILABLE
    code = "ProcessorUnavailable"
    message = N_("The payment processor did not answer. Try again in a few minutes.")


class Processor(Protocol):
    def charge(self, token: str, amount: Money, idempotency_key: str, description: str) -> Charge:
        """Charge the card once per idempotency key: the same key again returns the first charge."""
        ...

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The charge made with this key, or None if there was none (then none will appear)."""
        ...

    def refund(self, charge_reference: str, amount: Money, idempotency_key: str) -> Refund:
        """Give back part or all of a charge, once per idempotency key."""
        ...

    def find_token(self, token: str) -> CardToken | None:
        """What the processor knows of a card token (Settle never trusts the browser's word on it)."""
        ...

    def attach_token(self, token: str, owner: str) -> CardToken:
        """Claim a token the browser just made for `owner`, once; raises if it is unknown, spent or stale."""
        ...


class Tokenizer(Protocol):
    """What the browser does at the processor; the demo data and tests do it directly."""

    def tokenize(self, number: str, expiry_month: int, expiry_year: int, cvc: str, holder: str) -> CardToken: ...

    def attach_token(self, token: str, owner: str) -> CardToken: ...
