from collections.abc import Callable
from decimal import Decimal

import pytest

from settle.errors import InvalidAmount, MixedCurrencies, UnknownCurrency
from settle.money import Money, exponent, format_money, total

NBSP = "\xa0"


@pytest.mark.parametrize("minor", [1.0, Decimal(1), "100", None, True, False])
def test_money_refuses_a_minor_amount_that_is_not_an_int(minor: object) -> None:
    with pytest.raises(TypeError):
        Money(minor, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["ABC", "eur", "EURO", "", "XXX"])
def test_money_refuses_a_code_that_is_not_an_active_iso_4217_currency(code: str) -> None:
    with pytest.raises(UnknownCurrency) as caught:
        Money(100, code)
    assert caught.value.params == {"currency": code}


@pytest.mark.parametrize(
    ("currency", "digits"), [("JPY", 0), ("EUR", 2), ("USD", 2), ("DKK", 2), ("KWD", 3), ("CLF", 4)]
)
def test_exponent_is_the_number_of_digits_of_the_currency(currency: str, digits: int) -> None:
    assert exponent(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1234.56", "EUR", 123456),
        ("-2.50", "EUR", -250),
        ("7", "EUR", 700),
        ("1.000", "EUR", 100),
        (Decimal("19.99"), "USD", 1999),
        (42, "EUR", 4200),
        ("1500", "JPY", 1500),
        ("1.005", "KWD", 1005),
        ("0.0001", "CLF", 1),
    ],
)
def test_from_decimal_converts_exactly_to_minor_units(amount: str | Decimal | int, currency: str, minor: int) -> None:
    assert Money.from_decimal(amount, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.005", "EUR"), ("0.001", "USD"), ("1.5", "JPY"), ("1.0005", "KWD"), ("0.00001", "CLF")]
)
def test_from_decimal_refuses_more_digits_than_the_currency_has(amount: str, currency: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        Money.from_decimal(amount, currency)
    assert caught.value.params == {"amount": amount, "currency": currency}


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "abc", "", "1,50"])
def test_from_decimal_refuses_what_is_not_a_finite_number(amount: str) -> None:
    with pytest.raises(InvalidAmount):
        Money.from_decimal(amount, "EUR")


def test_from_decimal_refuses_a_float_even_an_exact_one() -> None:
    with pytest.raises(TypeError):
        Money.from_decimal(0.5, "EUR")  # type: ignore[arg-type]


def test_from_decimal_refuses_an_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency):
        Money.from_decimal("1.00", "ABC")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(123456, "JPY"), "123456"),
        (Money(123456, "EUR"), "1234.56"),
        (Money(123456, "KWD"), "123.456"),
        (Money(123456, "CLF"), "12.3456"),
        (Money(5, "EUR"), "0.05"),
        (Money(0, "EUR"), "0.00"),
        (Money(0, "KWD"), "0.000"),
        (Money(-5, "KWD"), "-0.005"),
    ],
)
def test_to_decimal_has_exactly_the_digits_of_the_currency(money: Money, text: str) -> None:
    assert str(money.to_decimal()) == text
    assert Money.from_decimal(money.to_decimal(), money.currency) == money


def test_str_shows_the_decimal_amount_and_the_code() -> None:
    assert str(Money(123456, "EUR")) == "1234.56 EUR"


def test_adding_and_subtracting_in_one_currency_works_on_minor_units() -> None:
    assert Money(150, "EUR") + Money(275, "EUR") == Money(425, "EUR")
    assert Money(150, "EUR") - Money(275, "EUR") == Money(-125, "EUR")
    assert -Money(150, "EUR") == Money(-150, "EUR")


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["+", "-", "<", "<=", ">", ">="],
)
def test_arithmetic_and_ordering_refuse_mixed_currencies(combine: Callable[[Money, Money], object]) -> None:
    with pytest.raises(MixedCurrencies) as caught:
        combine(Money(100, "EUR"), Money(100, "USD"))
    assert caught.value.params == {"left": "EUR", "right": "USD"}


def test_money_does_not_combine_with_a_bare_number() -> None:
    with pytest.raises(TypeError):
        Money(100, "EUR") + 1  # type: ignore[operator]


def test_equal_minor_amounts_in_different_currencies_are_not_equal() -> None:
    assert Money(100, "EUR") != Money(100, "USD")


def test_ordering_compares_minor_units_in_one_currency() -> None:
    small, large = Money(99, "EUR"), Money(100, "EUR")
    assert small < large
    assert small <= large
    assert large > small
    assert large >= small
    assert large <= Money(100, "EUR")
    assert not large < Money(100, "EUR")


@pytest.mark.parametrize(
    ("minor", "expected"), [(0, (True, False, False)), (1, (False, True, False)), (-1, (False, False, True))]
)
def test_sign_predicates(minor: int, expected: tuple[bool, bool, bool]) -> None:
    money = Money(minor, "EUR")
    assert (money.is_zero(), money.is_positive(), money.is_negative()) == expected


@pytest.mark.parametrize(
    ("minor", "rate", "expected"),
    [
        (1, "0.5", 0),  # 0.5 rounds to the even 0
        (3, "0.5", 2),  # 1.5 rounds to the even 2
        (5, "0.5", 2),  # 2.5 rounds to the even 2
        (7, "0.5", 4),  # 3.5 rounds to the even 4
        (-3, "0.5", -2),
        (10000, "0.21", 2100),
        (1999, "0.21", 420),  # 419.79
        (1234, "0", 0),
    ],
)
def test_times_rate_rounds_half_even_to_a_whole_minor_unit(minor: int, rate: str, expected: int) -> None:
    assert Money(minor, "EUR").times_rate(Decimal(rate)) == Money(expected, "EUR")


def test_times_rate_rounds_the_exact_product_once() -> None:
    # 149 x 0.01 = 1.49: rounded once it is 1; rounded to 1.5 first and then again it would be 2.
    assert Money(149, "EUR").times_rate(Decimal("0.01")) == Money(1, "EUR")


def test_times_rate_keeps_the_currency() -> None:
    assert Money(1000, "JPY").times_rate(Decimal("0.1")) == Money(100, "JPY")


@pytest.mark.parametrize("rate", [0.21, 1, "0.21"])
def test_times_rate_refuses_a_rate_that_is_not_a_decimal(rate: object) -> None:
    with pytest.raises(TypeError):
        Money(100, "EUR").times_rate(rate)  # type: ignore[arg-type]


def test_total_sums_amounts_in_one_currency() -> None:
    assert total([Money(100, "EUR"), Money(250, "EUR"), Money(-50, "EUR")], "EUR") == Money(300, "EUR")


def test_total_of_nothing_is_zero_in_the_currency_asked_for() -> None:
    assert total([], "JPY") == Money(0, "JPY")


def test_total_refuses_an_amount_in_another_currency() -> None:
    with pytest.raises(MixedCurrencies):
        total([Money(100, "EUR"), Money(100, "USD")], "EUR")


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(123456, "EUR"), "en", "€1,234.56"),
        (Money(123456, "EUR"), "nl", f"€{NBSP}1.234,56"),
        (Money(123456, "EUR"), "da", f"1.234,56{NBSP}€"),
        (Money(123456, "DKK"), "da", f"1.234,56{NBSP}kr."),
        (Money(123456, "DKK"), "en", "DKK1,234.56"),
        (Money(123456, "JPY"), "en", "¥123,456"),
        (Money(123456, "JPY"), "nl", f"JP¥{NBSP}123.456"),
        (Money(123456, "JPY"), "da", f"123.456{NBSP}JP¥"),
        (Money(1234567, "KWD"), "nl", f"KWD{NBSP}1.234,567"),
        (Money(-123456, "EUR"), "en", "-€1,234.56"),
        (Money(-123456, "EUR"), "nl", f"€{NBSP}-1.234,56"),
        (Money(5, "USD"), "da", f"0,05{NBSP}US$"),
        (Money(0, "EUR"), "en", "€0.00"),
    ],
)
def test_format_money_is_babels_in_the_viewers_locale(money: Money, locale: str, text: str) -> None:
    assert format_money(money, locale) == text


def test_from_decimal_stays_exact_beyond_28_significant_digits() -> None:
    with pytest.raises(InvalidAmount):
        Money.from_decimal("1234567890123456.789", "EUR")
    assert Money.from_decimal("12345678901234567.89", "EUR").minor == 1234567890123456789


def test_amounts_beyond_a_bigint_are_refused() -> None:
    with pytest.raises(InvalidAmount):
        Money(2**63, "EUR")
    assert Money(2**63 - 1, "EUR").to_decimal() == Decimal("92233720368547758.07")


@pytest.mark.parametrize("text", ["1E+999999999", "1e-999999999", "1E+4400", "-1E+4400", "9" * 70])
def test_an_amount_beyond_the_exponent_range_or_a_bigint_is_invalid_never_a_crash(text: str) -> None:
    """Found by the property tests of tests/faults: these were decimal.Overflow, a quiet 0.00 and a
    ValueError from Python's int-to-text limit (a 500 in the API's pay call)."""
    with pytest.raises(InvalidAmount):
        Money.from_decimal(text, "EUR")
