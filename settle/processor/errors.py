"""The errors of the simulated processor, by code; the HTTP client raises the same ones it is answered with."""

from __future__ import annotations

from settle.errors import N_, Invalid, InvalidAmount, MixedCurrencies, UnknownCurrency
from settle.processor import cards


class UnknownToken(Invalid):
    code = "UnknownToken"
    message = N_("The card token '{token}' is not known to the processor.")


class TokenAlreadyAttached(Invalid):
    code = "TokenAlreadyAttached"
    message = N_("The card token '{token}' was already used. Enter the card again.")


class TokenExpired(Invalid):
    code = "TokenExpired"
    message = N_("The card token '{token}' has expired. Enter the card again.")


class UnknownCharge(Invalid):
    code = "UnknownCharge"
    message = N_("The charge '{reference}' is not known to the processor.")


class IdempotencyKeyReused(Invalid):
    code = "IdempotencyKeyReused"
    message = N_("The idempotency key '{key}' was already used for a different request.")


class InvalidIdempotencyKey(Invalid):
    code = "InvalidIdempotencyKey"
    message = N_("An idempotency key has 1 to 255 characters.")


class AmountNotPositive(Invalid):
    code = "AmountNotPositive"
    message = N_("The amount must be more than zero, not {amount}.")


class ChargeNotRefundable(Invalid):
    code = "ChargeNotRefundable"
    message = N_("The charge '{reference}' is {status}: only a succeeded charge can be refunded.")


class RefundExceedsRemaining(Invalid):
    code = "RefundExceedsRemaining"
    message = N_("At most {remaining} of the charge '{reference}' can still be refunded.")


ERRORS_BY_CODE: dict[str, type[Invalid]] = {
    error.code: error
    for error in (
        cards.InvalidCardNumber,
        cards.InvalidExpiry,
        cards.CardExpiredAtTokenization,
        cards.InvalidCvc,
        UnknownToken,
        TokenAlreadyAttached,
        TokenExpired,
        UnknownCharge,
        IdempotencyKeyReused,
        InvalidIdempotencyKey,
        AmountNotPositive,
        ChargeNotRefundable,
        RefundExceedsRemaining,
        MixedCurrencies,
        UnknownCurrency,
        InvalidAmount,
    )
}


class ProcessorRejected(Invalid):
    """An answer from a processor with an error code this version of Settle does not know."""

    code = "ProcessorRejected"
    message = N_("The payment processor refused the request: {reason}")
