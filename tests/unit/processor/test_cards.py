"""Card-number rules: Luhn, brands, expiry, security codes, and what each public test card does."""

from __future__ import annotations

from datetime import date

import pytest

from settle.card_numbers import redact_card_numbers
from settle.processor import cards
from settle.processor.cards import Behaviour, Brand, Funding


@pytest.mark.parametrize("number", ["4242424242424242", "5555555555554444", "378282246310005", "79927398713" + "00"])
def test_luhn_accepts_numbers_whose_check_digit_is_right(number: str) -> None:
    assert cards.luhn_valid(number)


@pytest.mark.parametrize("number", ["4242424242424241", "1234567812345678", "", "42424242424242a2", "４２４２"])
def test_luhn_refuses_wrong_check_digits_and_non_digits(number: str) -> None:
    assert not cards.luhn_valid(number)


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", Brand.VISA),
        ("5105105105105100", Brand.MASTERCARD),
        ("5555555555554444", Brand.MASTERCARD),
        ("2221000000000009", Brand.MASTERCARD),
        ("2720990000000007", Brand.MASTERCARD),
        ("378282246310005", Brand.AMEX),
        ("340000000000009", Brand.AMEX),
        ("6011111111111117", Brand.DISCOVER),
        ("6500000000000002", Brand.DISCOVER),
        ("3056930009020004", Brand.DINERS),
        ("3566002020360505", Brand.JCB),
        ("6200000000000005", Brand.UNIONPAY),
        ("9000000000000008", Brand.UNKNOWN),
    ],
)
def test_brand_is_read_from_the_leading_digits(number: str, brand: Brand) -> None:
    assert cards.brand_of(number) == brand


@pytest.mark.parametrize("number", ["2220990000000000", "2721000000000000", "5000000000000000", "5600000000000000"])
def test_numbers_just_outside_the_mastercard_ranges_are_not_mastercard(number: str) -> None:
    assert cards.brand_of(number) != Brand.MASTERCARD


def test_numbers_may_be_typed_with_spaces_or_hyphens() -> None:
    assert cards.normalize_number("4242 4242 4242 4242") == "4242424242424242"
    assert cards.normalize_number("4242-4242-4242-4242") == "4242424242424242"


@pytest.mark.parametrize(
    "number",
    ["4242424242424241", "4242", "42424242424242424242", "4242x242424242424", "", "34000000000000000" + "9"],
)
def test_invalid_card_numbers_are_refused_with_a_stable_code(number: str) -> None:
    with pytest.raises(cards.InvalidCardNumber) as raised:
        cards.normalize_number(number)
    assert raised.value.code == "InvalidCardNumber"


def _with_check_digit(payload: str) -> str:
    return next(payload + digit for digit in "0123456789" if cards.luhn_valid(payload + digit))


@pytest.mark.parametrize("payload", ["340000000000000", "51000000000000", "4" + "0" * 16])
def test_a_luhn_valid_number_of_a_length_its_brand_never_has_is_refused(payload: str) -> None:
    with pytest.raises(cards.InvalidCardNumber):
        cards.normalize_number(_with_check_digit(payload))


def test_a_card_is_valid_through_the_last_day_of_its_expiry_month() -> None:
    cards.check_expiry(2, 2028, today=date(2028, 2, 29))
    cards.check_expiry(12, 2026, today=date(2026, 12, 31))


def test_a_card_has_expired_on_the_first_day_after_its_expiry_month() -> None:
    with pytest.raises(cards.CardExpiredAtTokenization) as raised:
        cards.check_expiry(2, 2028, today=date(2028, 3, 1))
    assert str(raised.value) == "The card expired at the end of 02/2028."
    assert cards.is_expired(12, 2026, date(2027, 1, 1))
    assert not cards.is_expired(12, 2026, date(2026, 12, 31))


@pytest.mark.parametrize(("month", "year"), [(0, 2030), (13, 2030), (6, 30), (6, 2150)])
def test_impossible_expiry_dates_are_invalid(month: int, year: int) -> None:
    with pytest.raises(cards.InvalidExpiry):
        cards.check_expiry(month, year, today=date(2026, 3, 15))


def test_the_security_code_has_three_digits_and_four_on_amex() -> None:
    cards.check_cvc("123", Brand.VISA)
    cards.check_cvc("1234", Brand.AMEX)
    for cvc, brand in [("1234", Brand.VISA), ("123", Brand.AMEX), ("12a", Brand.MASTERCARD), ("", Brand.VISA)]:
        with pytest.raises(cards.InvalidCvc):
            cards.check_cvc(cvc, brand)


@pytest.mark.parametrize(
    ("number", "behaviour", "funding"),
    [
        ("4242424242424242", Behaviour.SUCCEEDS, Funding.CREDIT),
        ("4000000000000002", Behaviour.CARD_DECLINED, Funding.CREDIT),
        ("4000000000009995", Behaviour.INSUFFICIENT_FUNDS, Funding.CREDIT),
        ("4000000000000069", Behaviour.EXPIRED_CARD, Funding.CREDIT),
        ("4000002500003155", Behaviour.REQUIRES_3DS, Funding.CREDIT),
        ("4000000000000119", Behaviour.PROCESSING_ERROR, Funding.CREDIT),
        ("5555555555554444", Behaviour.SUCCEEDS, Funding.CREDIT),
        ("4000056655665556", Behaviour.SUCCEEDS, Funding.DEBIT),
        ("5105105105105100", Behaviour.SUCCEEDS, Funding.PREPAID),
        ("4111111111111111", Behaviour.SUCCEEDS, Funding.CREDIT),
    ],
)
def test_each_test_card_behaves_as_documented(number: str, behaviour: Behaviour, funding: Funding) -> None:
    profile = cards.profile_of(cards.normalize_number(number))
    assert (profile.behaviour, profile.funding) == (behaviour, funding)


def test_every_test_card_number_is_itself_a_valid_card_number() -> None:
    for number in cards.TEST_CARDS:
        assert cards.normalize_number(number) == number


def test_card_numbers_inside_free_text_are_removed() -> None:
    assert redact_card_numbers("Jane 4242 4242 4242 4242 Doe") == "Jane [card number removed] Doe"
    assert redact_card_numbers("x4242424242424242 1") == "x[card number removed]"
    assert redact_card_numbers("Invoice INV-2026-000123") == "Invoice INV-2026-000123"
