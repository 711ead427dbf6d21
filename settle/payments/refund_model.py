"""Refunds: money given back from a succeeded card payment, in full or in part, once per idempotency key.

A refund is recorded `pending` before the processor is asked (so a crash leaves a trace that is
finished later with the same key), then `succeeded` or `failed`. What a payment can still give back
is its amount less its refunds that are pending or succeeded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from settle.errors import N_, Conflict, ErrorKind, Invalid, NotFound, SettleError
from settle.money import Money
from settle.payments.model import Payment, PaymentMethodFamily, PaymentStatus


class RefundStatus(StrEnum):
    PENDING = "pending"  # being given back; the processor's answer is not recorded yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundNotFound(NotFound):
    code = "RefundNotFound"
    message = N_("Refund '{id}' was not found.")


class PaymentNotRefundable(Conflict):
    code = "PaymentNotRefundable"
    message = N_("Payment '{id}' cannot be refunded here: only a succeeded card payment can.")


class RefundExceedsRefundable(Invalid):
    code = "RefundExceedsRefundable"
    message = N_("At most {remaining} of payment '{id}' can still be refunded, not {amount}.")


class NothingLeftToRefund(Conflict):
    code = "NothingLeftToRefund"
    message = N_("Payment '{id}' has been refunded in full already.")


class RefundNotPositive(Invalid):
    code = "RefundNotPositive"
    message = N_("A refund must be more than zero.")


class RefundKeyReused(Invalid):
    code = "RefundKeyReused"
    message = N_("This idempotency key was used for a different refund.")


class RefundFailed(SettleError):
    kind = ErrorKind.CONFLICT
    code = "RefundFailed"
    message = N_("The refund was refused by the payment processor ({reason}).")


class OperatorsOnly(SettleError):
    kind = ErrorKind.FORBIDDEN
    code = "AuthorizationFailed"
    message = N_("Only the provider's operators may refund payments.")


@dataclass(frozen=True)
class Refund:
    id: str
    payment_id: str
    invoice_id: str
    billing_profile_id: str
    amount: Money  # positive: what is given back
    status: RefundStatus
    idempotency_key: str
    created_at: datetime
    actor_id: str | None = None  # None: the operator at the command line
    processor_reference: str | None = None
    failure_code: str | None = None
    receipt_number: str | None = None
    completed_at: datetime | None = None

    def succeeded(self, at: datetime, receipt_number: str, processor_reference: str) -> Refund:
        return replace(
            self,
            status=RefundStatus.SUCCEEDED,
            completed_at=at,
            receipt_number=receipt_number,
            processor_reference=processor_reference,
        )

    def failed(self, at: datetime, code: str) -> Refund:
        return replace(self, status=RefundStatus.FAILED, completed_at=at, failure_code=code[:40])

    def same_request(self, payment_id: str, amount: Money | None) -> bool:
        """Whether a request with this refund's key asks for the same thing (None: the rest, in full)."""
        return self.payment_id == payment_id and (amount is None or amount == self.amount)


def refundable(payment: Payment, refunds: Iterable[Refund]) -> Money:
    """What is left to give back of a payment: its amount less the refunds not failed."""
    if payment.status is not PaymentStatus.SUCCEEDED or payment.family is not PaymentMethodFamily.CREDIT_CARD:
        raise PaymentNotRefundable(id=payment.id)
    given = [refund.amount for refund in refunds if refund.status is not RefundStatus.FAILED]
    left = payment.amount
    for amount in given:
        left = left - amount
    return left


def amount_to_refund(payment: Payment, refunds: Iterable[Refund], amount: Money | None) -> Money:
    """The amount a refund request gives back (None: all that is left), or why it cannot."""
    left = refundable(payment, refunds)
    if not left.is_positive():
        raise NothingLeftToRefund(id=payment.id)
    wanted = left if amount is None else amount
    if not wanted.is_positive():
        raise RefundNotPositive()
    if wanted > left:  # MixedCurrencies when the amount is in another currency
        raise RefundExceedsRefundable(remaining=str(left), id=payment.id, amount=str(wanted))
    return wanted


def refund_receipt_number(invoice_id: str, sequence: int) -> str:
    """Refund receipts are numbered per invoice beside its payment receipts: G000123456-RF1."""
    return f"{invoice_id}-RF{sequence}"
