"""Automatic payment (autopay): which invoice is charged when, and when a failed charge is tried again.

A billing profile with autopay on has each invoice that falls due charged to its default card on the
due date. A charge that fails softly (insufficient funds, a plain decline, an error at the processor)
is tried again on the days of the retry schedule, counted from the first attempt; one that fails
hard (the card expired, was reported lost or stolen, or its bank wants the holder present) is not:
the customer pays with Pay now instead. Each attempt has a number; its payment's idempotency key is
made from the invoice and that number, so an attempt is made once however often a run repeats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from settle.errors import N_, Conflict
from settle.payments.model import DeclineCode, PaymentStatus

# Trying these again cannot succeed without the card holder doing something first.
HARD_DECLINES = frozenset(
    {DeclineCode.EXPIRED_CARD, DeclineCode.LOST_CARD, DeclineCode.STOLEN_CARD, DeclineCode.AUTHENTICATION_FAILED}
)
DEFAULT_RETRY_DAYS = (3, 5, 7)


class AutopayNeedsCard(Conflict):
    code = "AutopayNeedsCard"
    message = N_("Choose a card as the default payment method of billing profile '{profile}' first.")


class AutopayNotOffered(Conflict):
    code = "AutopayNotOffered"
    message = N_("Invoices of a {agreement} billing account are not paid automatically by card.")


@dataclass(frozen=True)
class RetrySchedule:
    """The days after the first attempt on which a softly failed charge is tried again (increasing)."""

    days: tuple[int, ...] = DEFAULT_RETRY_DAYS

    def __post_init__(self) -> None:
        if any(day < 1 for day in self.days) or list(self.days) != sorted(set(self.days)):
            raise ValueError(f"retry days must be increasing and at least 1, not {self.days}")

    def retry_on(self, number: int, first_on: date, attempted_on: date) -> date | None:
        """When attempt `number + 1` is due if attempt `number` (made on `attempted_on`) fails
        softly; None after the last one. Never the same day: a late run does not retry in a burst."""
        if number > len(self.days):
            return None
        return max(first_on + timedelta(days=self.days[number - 1]), attempted_on + timedelta(days=1))


@dataclass(frozen=True)
class Attempt:
    """One automatic charge of an invoice: its number (1, 2, …) and the payment that made it."""

    invoice_id: str
    number: int
    payment_id: str
    attempted_on: date
    retry_on: date | None  # the next attempt's day if this one fails softly; None: the last one

    @property
    def idempotency_key(self) -> str:
        return attempt_key(self.invoice_id, self.number)


@dataclass(frozen=True)
class AttemptResult:
    """An attempt with how its payment stands now."""

    attempt: Attempt
    status: PaymentStatus
    decline_code: DeclineCode | None = None

    @property
    def hard_decline(self) -> bool:
        return self.status is PaymentStatus.FAILED and self.decline_code in HARD_DECLINES

    @property
    def will_retry(self) -> bool:
        """Whether a failed attempt is followed by another one (if autopay stays on)."""
        return self.status is PaymentStatus.FAILED and not self.hard_decline and self.attempt.retry_on is not None


def automatic_charge_day(due_date: date, autopay_since: date | None, today: date) -> date | None:
    """The day the autopay run charges an open invoice to the default card: its due date, when that is
    today or later and autopay was on by then; None when autopay will not charge it by itself."""
    if autopay_since is None or due_date < autopay_since or due_date < today:
        return None
    return due_date


def attempt_key(invoice_id: str, number: int) -> str:
    """The idempotency key of an invoice's n-th automatic charge."""
    return f"autopay-{invoice_id}-{number}"


def next_attempt(history: Sequence[AttemptResult], day: date) -> int | None:
    """The number of the attempt to make on `day`, given the invoice's attempts so far (oldest
    first); None when there is none to make: one is in flight, one succeeded (a refunded invoice is
    not charged again by itself), the last failed hard, the schedule is over, or its day is ahead."""
    if not history:
        return 1
    last = history[-1]
    if any(result.status is PaymentStatus.SUCCEEDED for result in history) or not last.will_retry:
        return None
    assert last.attempt.retry_on is not None
    return last.attempt.number + 1 if day >= last.attempt.retry_on else None


def plan_attempt(
    invoice_id: str, history: Sequence[AttemptResult], number: int, payment_id: str, day: date, schedule: RetrySchedule
) -> Attempt:
    """Attempt `number`, made on `day`, with the day of the one after it."""
    first_on = history[0].attempt.attempted_on if history else day
    return Attempt(invoice_id, number, payment_id, day, schedule.retry_on(number, first_on, day))
