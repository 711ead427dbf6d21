"""The outbox: e-mails waiting to be sent, written in the same transaction as the event that causes
them, and the rules for sending them (who gets what, retries with exponential back-off).

Delivery is at-least-once. The sender marks a message sent only after the SMTP server has accepted
it; a sender that dies between the two sends that message again later, with the same Message-ID
(made from the message's id), so that a receiver can recognise the copy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from settle import ids

FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about a day and a half of trying before a message is given up
ERROR_LENGTH = 500


class MessageKind(StrEnum):
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_PAST_DUE = "invoice_past_due"
    INVOICE_PAST_DUE_REMINDER = "invoice_past_due_reminder"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    AUTOPAY_FAILED = "autopay_failed"  # an automatic charge failed: the reason, the retry, Pay now
    REFUND_SUCCEEDED = "refund_succeeded"
    SUPPORT_REPLY = "support_reply"  # the staff answered a support request (reference: the reply's id)
    EMAIL_VERIFICATION = "email_verification"  # the link that proves an address (reference: the link's id)
    # Someone signed up with an address that has a user: its owner hears of it (reference: user id:day).
    SIGN_UP_ATTEMPTED = "sign_up_attempted"
    # A link to choose a new password (reference: the reset's id). A kind of e-mail, not a password:
    PASSWORD_RESET = "password_reset"  # noqa: S105


class OutboxStatus(StrEnum):
    PENDING = "pending"  # to be sent, now or at next_attempt_at
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # given up: refused for good, or too many attempts (operators see these)
    SKIPPED = "skipped"  # no longer true when its turn came (e.g. the past-due invoice was paid)


@dataclass(frozen=True)
class OutboxMessage:
    """One e-mail to one recipient about one thing: an invoice (by number) or a payment (by id).
    Its content is composed when it is sent, in `locale`, from what `reference` names."""

    id: str
    kind: MessageKind
    reference: str
    recipient: str
    locale: str
    created_at: datetime
    next_attempt_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    claimed_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None

    @classmethod
    def new(cls, kind: MessageKind, reference: str, recipient: str, locale: str, now: datetime) -> OutboxMessage:
        return cls(
            id=ids.opaque_id(),
            kind=kind,
            reference=reference,
            recipient=recipient,
            locale=locale,
            created_at=now,
            next_attempt_at=now,
        )

    def message_id(self, domain: str) -> str:
        """The same for every attempt at this message, so receivers can drop a repeated copy."""
        return f"<{self.id}.outbox@{domain}>"

    def sent(self, now: datetime) -> OutboxMessage:
        return replace(
            self, status=OutboxStatus.SENT, attempts=self.attempts + 1, sent_at=now, claimed_until=None, last_error=None
        )

    def skipped(self, reason: str) -> OutboxMessage:
        return replace(self, status=OutboxStatus.SKIPPED, claimed_until=None, last_error=reason[:ERROR_LENGTH])

    def failed(self, now: datetime, error: str, *, permanent: bool = False) -> OutboxMessage:
        """After a failed attempt: again later, each wait twice the one before, or never again."""
        attempts = self.attempts + 1
        give_up = permanent or attempts >= MAX_ATTEMPTS
        return replace(
            self,
            status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
            attempts=attempts,
            next_attempt_at=now + retry_delay(attempts),
            claimed_until=None,
            last_error=error[:ERROR_LENGTH],
        )


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after the 1st, 2nd, 3rd, 4th… failed attempt, at most LONGEST_WAIT."""
    doublings = min(max(attempts - 1, 0), 20)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_WAIT)


@dataclass(frozen=True)
class Recipient:
    email: str
    locale: str


def recipients(*candidates: Recipient | None) -> list[Recipient]:
    """Each address once (the first one's language wins), none of them empty."""
    chosen: dict[str, Recipient] = {}
    for candidate in candidates:
        if candidate is not None and candidate.email and candidate.email.lower() not in chosen:
            chosen[candidate.email.lower()] = candidate
    return list(chosen.values())
