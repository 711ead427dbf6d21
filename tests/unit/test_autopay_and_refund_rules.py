"""The pure rules of automatic payment (which attempt is due when) and of refunds (how much is left)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from settle.config import Settings
from settle.errors import MixedCurrencies
from settle.money import Money
from settle.payments.autopay_model import Attempt, AttemptResult, RetrySchedule, attempt_key, next_attempt, plan_attempt
from settle.payments.model import DeclineCode, Payment, PaymentMethodFamily, PaymentStatus
from settle.payments.refund_model import (
    NothingLeftToRefund,
    PaymentNotRefundable,
    Refund,
    RefundExceedsRefundable,
    RefundNotPositive,
    RefundStatus,
    amount_to_refund,
)

DAY = date(2026, 3, 15)
SCHEDULE = RetrySchedule((3, 5, 7))
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def _history(*outcomes: tuple[PaymentStatus, DeclineCode | None]) -> list[AttemptResult]:
    """Attempts made on the days the schedule gives, with these outcomes."""
    made: list[AttemptResult] = []
    day = DAY
    for number, (status, code) in enumerate(outcomes, start=1):
        attempt = plan_attempt("G000000001", made, number, f"p{number}", day, SCHEDULE)
        made.append(AttemptResult(attempt, status, code))
        day = attempt.retry_on or day
    return made


FAILED_SOFTLY = (PaymentStatus.FAILED, DeclineCode.INSUFFICIENT_FUNDS)


def test_the_first_attempt_is_due_at_once_and_retries_on_the_days_after_the_first() -> None:
    assert next_attempt([], DAY) == 1
    history = _history(FAILED_SOFTLY)
    assert history[0].attempt.retry_on == date(2026, 3, 18)
    assert [next_attempt(history, date(2026, 3, day)) for day in (15, 17, 18, 30)] == [None, None, 2, 2]
    assert [result.attempt.retry_on for result in _history(FAILED_SOFTLY, FAILED_SOFTLY, FAILED_SOFTLY)] == [
        date(2026, 3, 18),
        date(2026, 3, 20),
        date(2026, 3, 22),
    ]
    assert next_attempt(_history(*[FAILED_SOFTLY] * 4), date(2026, 12, 31)) is None  # the schedule is over


@pytest.mark.parametrize(
    "code",
    [DeclineCode.EXPIRED_CARD, DeclineCode.LOST_CARD, DeclineCode.STOLEN_CARD, DeclineCode.AUTHENTICATION_FAILED],
)
def test_a_hard_decline_stops_the_retries_at_once(code: DeclineCode) -> None:
    history = _history((PaymentStatus.FAILED, code))
    assert history[0].hard_decline and not history[0].will_retry
    assert next_attempt(history, date(2026, 12, 31)) is None


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.SUCCEEDED])
def test_nothing_is_due_while_an_attempt_is_in_flight_or_once_one_succeeded(status: PaymentStatus) -> None:
    assert next_attempt(_history(FAILED_SOFTLY, (status, None)), date(2026, 12, 31)) is None


def test_a_late_retry_is_never_on_the_same_day_as_the_attempt_before() -> None:
    first = Attempt("G000000001", 1, "p1", DAY, SCHEDULE.retry_on(1, DAY, DAY))
    late = plan_attempt("G000000001", [AttemptResult(first, *FAILED_SOFTLY)], 2, "p2", date(2026, 3, 25), SCHEDULE)
    assert late.retry_on == date(2026, 3, 26)  # not day 5 (already past): the next day


def test_an_attempt_s_key_is_made_of_the_invoice_and_its_number() -> None:
    assert attempt_key("G000000001", 3) == "autopay-G000000001-3"
    assert _history(FAILED_SOFTLY)[0].attempt.idempotency_key == "autopay-G000000001-1"


@pytest.mark.parametrize("days", [(0,), (5, 3), (3, 3), (-1, 2)])
def test_a_schedule_must_be_increasing_days_of_at_least_one(days: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="increasing"):
        RetrySchedule(days)


def test_the_schedule_comes_from_settle_autopay_retry_days() -> None:
    assert Settings.from_env({"SETTLE_SECRET_KEY": "x"}).autopay_retry_days == (3, 5, 7)
    assert Settings.from_env({"SETTLE_SECRET_KEY": "x", "SETTLE_AUTOPAY_RETRY_DAYS": "1, 2,10"}).autopay_retry_days == (
        1,
        2,
        10,
    )
    assert Settings.from_env({"SETTLE_SECRET_KEY": "x", "SETTLE_AUTOPAY_RETRY_DAYS": ""}).autopay_retry_days == ()
    for wrong in ("3,x", "5,3", "0"):
        with pytest.raises(ValueError, match="SETTLE_AUTOPAY_RETRY_DAYS"):
            Settings.from_env({"SETTLE_SECRET_KEY": "x", "SETTLE_AUTOPAY_RETRY_DAYS": wrong})


def _payment(minor: int = 10_000, family: PaymentMethodFamily = PaymentMethodFamily.CREDIT_CARD) -> Payment:
    return Payment("p1", "G000000001", "BP1", Money(minor, "EUR"), family, PaymentStatus.SUCCEEDED, NOW, "u1")


def _refund(minor: int, status: RefundStatus = RefundStatus.SUCCEEDED) -> Refund:
    return Refund("r", "p1", "G000000001", "BP1", Money(minor, "EUR"), status, f"k{minor}", NOW)


def test_a_refund_gives_back_at_most_what_is_left_of_the_payment() -> None:
    payment = _payment()
    assert amount_to_refund(payment, [], None) == Money(10_000, "EUR")
    assert amount_to_refund(payment, [_refund(3_000), _refund(500, RefundStatus.PENDING)], None) == Money(6_500, "EUR")
    assert amount_to_refund(payment, [_refund(9_000, RefundStatus.FAILED)], Money(10_000, "EUR")) == Money(
        10_000, "EUR"
    )
    with pytest.raises(RefundExceedsRefundable, match=r"At most 70\.00 EUR"):
        amount_to_refund(payment, [_refund(3_000)], Money(7_001, "EUR"))
    with pytest.raises(NothingLeftToRefund):
        amount_to_refund(payment, [_refund(10_000)], None)
    with pytest.raises(RefundNotPositive):
        amount_to_refund(payment, [], Money(0, "EUR"))
    with pytest.raises(MixedCurrencies):
        amount_to_refund(payment, [], Money(100, "USD"))
    with pytest.raises(PaymentNotRefundable):
        amount_to_refund(_payment(family=PaymentMethodFamily.BANK_TRANSFER), [], None)
