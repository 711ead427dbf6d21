"""Payment methods (expiry, what can pay) and the transitions of a payment."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from settle.errors import Invalid
from settle.payments.model import (
    CardExpired,
    DeclineCode,
    PaymentMethodFamily,
    PaymentMethodNotPayable,
    PaymentStatus,
    receipt_number,
)
from tests.unit.factories import NOW, bank_transfer, card, payment

LATER = NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("month", "year", "today", "expired"),
    [
        (1, 2026, date(2026, 1, 1), False),
        (1, 2026, date(2026, 1, 31), False),  # valid through the last day of the expiry month
        (1, 2026, date(2026, 2, 1), True),
        (12, 2025, date(2025, 12, 31), False),
        (12, 2025, date(2026, 1, 1), True),  # across the year boundary
        (2, 2028, date(2028, 2, 29), False),  # leap day
        (2, 2028, date(2028, 3, 1), True),
        (6, 2027, date(2026, 7, 1), False),  # a later month of an earlier year
        (6, 2025, date(2026, 5, 1), True),  # an earlier month of a later year
    ],
)
def test_a_card_is_valid_through_the_last_day_of_its_expiry_month(
    month: int, year: int, today: date, expired: bool
) -> None:
    assert card(expiry_month=month, expiry_year=year).is_expired(today) is expired


def test_a_bank_transfer_never_expires() -> None:
    assert not bank_transfer().is_expired(date(2100, 1, 1))


def test_a_card_shows_its_expiry_as_month_and_year() -> None:
    assert card(expiry_month=3, expiry_year=2027).expiry == "03/2027"


def test_a_card_that_has_not_expired_can_pay() -> None:
    card(expiry_month=1, expiry_year=2026).check_can_pay(date(2026, 1, 31))  # raises if it cannot


def test_an_expired_card_cannot_pay() -> None:
    with pytest.raises(CardExpired) as caught:
        card(last4="0069", expiry_month=1, expiry_year=2026).check_can_pay(date(2026, 2, 1))
    assert caught.value.params == {"last4": "0069", "expiry": "01/2026"}


@pytest.mark.parametrize("family", [PaymentMethodFamily.BANK_TRANSFER, PaymentMethodFamily.CHECK])
def test_bank_transfers_and_checks_cannot_pay_now(family: PaymentMethodFamily) -> None:
    with pytest.raises(PaymentMethodNotPayable) as caught:
        bank_transfer(family=family).check_can_pay(date(2026, 1, 15))
    assert caught.value.params == {"family": family.value}


@pytest.mark.parametrize("missing", ["brand", "last4", "expiry_month", "expiry_year", "processor_token"])
def test_a_card_needs_brand_last4_expiry_and_token(missing: str) -> None:
    with pytest.raises(Invalid, match="a card needs brand, last 4, expiry and a processor token"):
        card(**{missing: None})


@pytest.mark.parametrize(
    "changes",
    [{"last4": "424"}, {"last4": "42424"}, {"last4": "42a2"}, {"expiry_month": 13}, {"expiry_month": -1}],
    ids=str,
)
def test_a_card_with_a_bad_last4_or_expiry_month_is_invalid(changes: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        card(**changes)


def test_a_card_with_month_zero_is_invalid() -> None:
    with pytest.raises(Invalid):
        card(expiry_month=0)


def test_a_bank_transfer_needs_no_card_details() -> None:
    method = bank_transfer()

    assert (method.brand, method.last4, method.processor_token) == (None, None, None)


@pytest.mark.parametrize(
    ("status", "in_flight"),
    [
        (PaymentStatus.PENDING, True),
        (PaymentStatus.REQUIRES_ACTION, True),
        (PaymentStatus.SUCCEEDED, False),
        (PaymentStatus.FAILED, False),
    ],
)
def test_pending_and_requires_action_are_in_flight(status: PaymentStatus, in_flight: bool) -> None:
    assert payment(status=status).in_flight is in_flight


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION])
def test_a_payment_in_flight_succeeds_with_its_receipt(status: PaymentStatus) -> None:
    started = payment(status=status, challenge_url="https://bank.example/3ds")

    done = started.succeeded(LATER, "G000000001-R1", "ch_123")

    assert done.status is PaymentStatus.SUCCEEDED
    assert (done.completed_at, done.receipt_number, done.processor_reference) == (LATER, "G000000001-R1", "ch_123")
    assert done.challenge_url is None
    assert not done.in_flight
    assert started.status is status  # the original is unchanged


def test_success_without_a_processor_reference_keeps_the_one_known() -> None:
    done = payment(processor_reference="ch_known").succeeded(LATER, "G000000001-R1", None)

    assert done.processor_reference == "ch_known"


def test_succeeding_twice_keeps_the_first_outcome() -> None:
    done = payment().succeeded(LATER, "G000000001-R1", "ch_123")

    again = done.succeeded(LATER + timedelta(hours=1), "G000000001-R2", "ch_other")

    assert again == done


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION])
def test_a_payment_in_flight_fails_with_its_decline_code(status: PaymentStatus) -> None:
    started = payment(status=status, challenge_url="https://bank.example/3ds")

    failed = started.failed(LATER, DeclineCode.INSUFFICIENT_FUNDS)

    assert failed.status is PaymentStatus.FAILED
    assert (failed.completed_at, failed.decline_code, failed.challenge_url) == (
        LATER,
        DeclineCode.INSUFFICIENT_FUNDS,
        None,
    )
    assert failed.receipt_number is None
    assert not failed.in_flight


def test_a_transition_changes_nothing_but_the_outcome() -> None:
    started = payment()

    done = started.succeeded(LATER, "G000000001-R1", "ch_123")

    assert replace(done, status=started.status, completed_at=None, receipt_number=None, processor_reference=None) == (
        started
    )


def test_receipts_are_numbered_per_invoice() -> None:
    assert receipt_number("G000123456", 1) == "G000123456-R1"
    assert receipt_number("G000123456", 12) == "G000123456-R12"
