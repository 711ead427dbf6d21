"""Invoice.issue: the amounts of a new invoice, and what makes an invoice invalid."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle.errors import MixedCurrencies
from settle.invoices.model import InvalidInvoice, Invoice, InvoiceLine
from settle.money import Money, total
from tests.unit.factories import INVOICE_DATE, invoice, line, money


def test_issue_sums_the_lines_adds_tax_and_leaves_all_of_it_due() -> None:
    issued = invoice("100.00", "20.00", tax_rate="0.21")

    assert issued.subtotal == money("120.00")
    assert issued.credits == money("0.00")
    assert issued.tax == money("25.20")
    assert issued.total == money("145.20")
    assert issued.amount_due == issued.total
    assert issued.amount_paid == money("0.00")


def test_tax_is_computed_on_the_subtotal_less_credits() -> None:
    issued = invoice("100.00", credits="10.00", tax_rate="0.21")

    assert issued.tax == money("18.90")
    assert issued.total == money("108.90")


def test_tax_is_rounded_half_even_on_the_document() -> None:
    issued = invoice("0.10", tax_rate="0.25")  # 10 cents x 0.25 = 2.5 cents

    assert issued.tax == money("0.02")


def test_document_rounding_does_not_make_the_cent_per_line_rounding_would() -> None:
    # Each 0.10 line at 15% is 1.5 cents of tax: rounded per line that is 2 + 2 = 4 cents,
    # but the document's 0.20 at 15% is 3 cents.
    rate = Decimal("0.15")
    amounts = ("0.10", "0.10")
    per_line = total([money(amount).times_rate(rate) for amount in amounts], "EUR")

    issued = invoice(*amounts, tax_rate=str(rate))

    assert per_line == money("0.04")
    assert issued.tax == money("0.03")
    assert issued.total == money("0.23")


def test_document_rounding_does_not_lose_the_cents_per_line_rounding_would() -> None:
    # Each 0.10 line at 5% is 0.5 cent: rounded half-even per line that is 0, three times over,
    # but the document's 0.30 at 5% is 1.5 cents, which rounds to 2.
    rate = Decimal("0.05")
    amounts = ("0.10", "0.10", "0.10")
    per_line = total([money(amount).times_rate(rate) for amount in amounts], "EUR")

    issued = invoice(*amounts, tax_rate=str(rate))

    assert per_line == money("0.00")
    assert issued.tax == money("0.02")


def test_an_invoice_without_tax_totals_its_lines() -> None:
    issued = invoice("12.34", "0.66")

    assert (issued.tax, issued.total) == (money("0.00"), money("13.00"))


def test_credits_that_cover_the_subtotal_leave_nothing_due() -> None:
    issued = invoice("50.00", credits="50.00", tax_rate="0.21")

    assert issued.total == money("0.00")
    assert issued.amount_due.is_zero()


@pytest.mark.parametrize(
    ("currency", "amounts", "tax", "grand_total"),
    [
        ("JPY", ("1001", "1"), "100", "1102"),  # 1002 x 0.1 = 100.2
        ("JPY", ("5",), "0", "5"),  # 5 x 0.1 = 0.5, rounds to the even 0
        ("KWD", ("1.005", "2.000"), "0.300", "3.305"),  # 3005 fils x 0.1 = 300.5, rounds to the even 300
        ("KWD", ("1.015",), "0.102", "1.117"),  # 1015 fils x 0.1 = 101.5, rounds to the even 102
    ],
)
def test_currencies_with_zero_and_three_decimals_issue_in_their_own_minor_units(
    currency: str, amounts: tuple[str, ...], tax: str, grand_total: str
) -> None:
    issued = invoice(*amounts, currency=currency, tax_rate="0.1")

    assert issued.tax == money(tax, currency)
    assert issued.total == money(grand_total, currency)


def _invalid(reason: str, **changes: Any) -> None:
    with pytest.raises(InvalidInvoice) as caught:
        replace(invoice(), **changes)
    assert reason in caught.value.params["reason"]


@pytest.mark.parametrize("number", ["", "G0001", "g000000001", "0G00000001", "G-00000001", "G" + "0" * 20])
def test_a_number_that_is_not_6_to_20_capitals_and_digits_is_invalid(number: str) -> None:
    _invalid("the number must be 6 to 20 capital letters and digits", id=number)


@pytest.mark.parametrize("number", ["G00001", "G000123456", "G" + "0" * 19])
def test_numbers_of_6_to_20_capitals_and_digits_are_valid(number: str) -> None:
    assert invoice(number=number).id == number


def test_a_billing_period_that_ends_before_it_starts_is_invalid() -> None:
    _invalid("the billing period ends before it starts", period_start=date(2026, 1, 1), period_end=date(2025, 12, 31))


def test_a_one_day_billing_period_is_valid() -> None:
    assert invoice(period_start=date(2025, 12, 1), period_end=date(2025, 12, 1)).period_end == date(2025, 12, 1)


def test_a_due_date_before_the_invoice_date_is_invalid() -> None:
    _invalid("the due date is before the invoice date", due_date=date(2026, 1, 4))


def test_a_due_date_on_the_invoice_date_is_valid() -> None:
    assert invoice(due_date=INVOICE_DATE).due_date == INVOICE_DATE


def test_a_line_in_another_currency_is_invalid() -> None:
    _invalid("every amount must be in EUR", lines=(line("100.00", "USD"),))


def test_an_amount_in_another_currency_is_invalid() -> None:
    _invalid("every amount must be in EUR", amount_due=money("100.00", "USD"))


def test_issue_refuses_lines_in_mixed_currencies() -> None:
    # Issue sums the lines before the invoice can check them: the sum refuses first.
    with pytest.raises(MixedCurrencies):
        invoice(lines=[line("1.00", "EUR"), line("1.00", "USD")])


def test_an_invoice_without_lines_is_invalid() -> None:
    with pytest.raises(InvalidInvoice) as caught:
        invoice(lines=[])
    assert caught.value.params == {"number": "G000000001", "reason": "an invoice needs at least one line"}


def test_a_subtotal_that_is_not_the_sum_of_the_lines_is_invalid() -> None:
    _invalid("the subtotal is not the sum of the lines", subtotal=money("99.99"))


def test_a_total_that_does_not_add_up_is_invalid() -> None:
    _invalid("the total is not subtotal - credits + tax", tax=money("1.00"))


def test_negative_credits_are_invalid() -> None:
    with pytest.raises(InvalidInvoice, match="credits cannot be negative"):
        invoice(credits="-1.00")


def test_credits_above_the_subtotal_are_invalid_as_a_negative_total() -> None:
    with pytest.raises(InvalidInvoice, match="the total cannot be negative"):
        invoice("10.00", credits="20.00")


@pytest.mark.parametrize("amount_due", ["-0.01", "100.01"])
def test_an_amount_due_outside_zero_to_total_is_invalid(amount_due: str) -> None:
    _invalid("the amount due must lie between zero and the total", amount_due=money(amount_due))


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(InvalidInvoice) as caught:
        replace(invoice(), id="bad", due_date=date(2026, 1, 1))
    assert caught.value.params["reason"] == (
        "the number must be 6 to 20 capital letters and digits, starting with a letter; "
        "the due date is before the invoice date"
    )


def test_issue_keeps_the_lines_and_the_rate_it_was_given() -> None:
    lines = [line("1.00"), InvoiceLine("S2", "Storage", Money(200, "EUR"), Decimal("3"))]

    issued = invoice(lines=lines, tax_rate="0.09")

    assert issued.lines == tuple(lines)
    assert issued.tax_rate == Decimal("0.09")
    assert isinstance(issued, Invoice)
