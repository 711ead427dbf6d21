"""Invoice status (DESIGN §2) and what payments, refunds and voiding do to an invoice."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from settle.errors import MixedCurrencies
from settle.invoices.model import (
    InvalidInvoice,
    InvoiceAlreadyPaid,
    InvoiceHasPayments,
    InvoiceStatus,
    InvoiceVoided,
    NonPositivePayment,
    PaymentExceedsAmountDue,
)
from tests.unit.factories import DUE_DATE, INVOICE_DATE, NOW, invoice, money

DAY = timedelta(days=1)
S = InvoiceStatus


@pytest.mark.parametrize(
    "today", [INVOICE_DATE, DUE_DATE - DAY, DUE_DATE], ids=["invoice day", "day before", "due day"]
)
def test_unpaid_invoice_up_to_and_including_its_due_date_is_due(today: date) -> None:
    assert invoice().status(today) is S.DUE


@pytest.mark.parametrize("today", [DUE_DATE + DAY, DUE_DATE + 365 * DAY], ids=["day after", "year after"])
def test_unpaid_invoice_after_its_due_date_is_past_due(today: date) -> None:
    assert invoice().status(today) is S.PAST_DUE


def test_due_today_is_due_and_due_yesterday_is_past_due() -> None:
    bill = invoice()

    assert bill.status(today=bill.due_date) is S.DUE
    assert bill.status(today=bill.due_date + DAY) is S.PAST_DUE


@pytest.mark.parametrize("paid", ["0.00", "40.00", "100.00"], ids=["unpaid", "partially paid", "paid"])
@pytest.mark.parametrize("today", [DUE_DATE, DUE_DATE + DAY], ids=["due day", "after due"])
def test_void_wins_over_every_other_status(paid: str, today: date) -> None:
    bill = invoice("100.00")
    voided = replace(bill, amount_due=bill.total - money(paid), voided_at=NOW)

    assert voided.status(today) is S.VOID
    assert voided.display_status(today, payment_in_flight=True) is S.VOID


@pytest.mark.parametrize("today", [DUE_DATE, DUE_DATE + DAY], ids=["due day", "after due"])
def test_zero_amount_due_is_paid_whatever_the_date(today: date) -> None:
    paid = invoice("100.00").with_payment(money("100.00"))

    assert paid.status(today) is S.PAID


def test_an_invoice_whose_credits_cover_it_is_paid_from_the_start() -> None:
    assert invoice("50.00", credits="50.00").status(INVOICE_DATE) is S.PAID


@pytest.mark.parametrize("today", [INVOICE_DATE, DUE_DATE, DUE_DATE + DAY], ids=["before", "due day", "after due"])
def test_partially_paid_stays_partially_paid_even_past_its_due_date(today: date) -> None:
    partly = invoice("100.00").with_payment(money("0.01"))

    assert partly.status(today) is S.PARTIALLY_PAID


@pytest.mark.parametrize(
    ("paid", "today", "payable", "overdue"),
    [
        ("0.00", DUE_DATE, True, False),
        ("0.00", DUE_DATE + DAY, True, True),
        ("40.00", DUE_DATE, True, False),
        ("40.00", DUE_DATE + DAY, True, True),
        ("100.00", DUE_DATE + DAY, False, False),
    ],
)
def test_payable_and_overdue(paid: str, today: date, payable: bool, overdue: bool) -> None:
    bill = invoice("100.00")
    bill = replace(bill, amount_due=bill.total - money(paid))

    assert bill.is_payable(today) is payable
    assert bill.is_overdue(today) is overdue


def test_a_void_invoice_is_neither_payable_nor_overdue() -> None:
    void = invoice().voided(NOW)

    assert not void.is_payable(DUE_DATE + DAY)
    assert not void.is_overdue(DUE_DATE + DAY)


@pytest.mark.parametrize(
    ("paid", "today"),
    [("0.00", DUE_DATE), ("0.00", DUE_DATE + DAY), ("40.00", DUE_DATE)],
    ids=["due", "past due", "partially paid"],
)
def test_a_payable_invoice_with_a_payment_in_flight_shows_processing(paid: str, today: date) -> None:
    bill = invoice("100.00")
    bill = replace(bill, amount_due=bill.total - money(paid))

    assert bill.display_status(today, payment_in_flight=True) is S.PROCESSING
    assert bill.display_status(today, payment_in_flight=False) is bill.status(today)
    assert bill.status(today) is not S.PROCESSING


def test_a_paid_invoice_with_a_payment_in_flight_stays_paid() -> None:
    paid = invoice().with_payment(money("100.00"))

    assert paid.display_status(DUE_DATE, payment_in_flight=True) is S.PAID


def test_paying_the_exact_amount_due_makes_the_invoice_paid() -> None:
    bill = invoice("100.00", tax_rate="0.21")

    paid = bill.with_payment(money("121.00"))

    assert paid.amount_due == money("0.00")
    assert paid.amount_paid == money("121.00")
    assert paid.status(DUE_DATE) is S.PAID
    assert bill.amount_due == money("121.00")  # the original is unchanged


def test_paying_part_leaves_the_rest_due_and_a_second_payment_can_finish_it() -> None:
    partly = invoice("100.00").with_payment(money("30.00"))

    assert partly.amount_due == money("70.00")
    assert partly.amount_paid == money("30.00")
    assert partly.with_payment(money("70.00")).status(DUE_DATE) is S.PAID


def test_paying_more_than_is_due_is_refused_and_names_the_amounts() -> None:
    partly = invoice("100.00").with_payment(money("30.00"))

    with pytest.raises(PaymentExceedsAmountDue) as caught:
        partly.with_payment(money("70.01"))
    assert caught.value.params == {"amount": "70.01 EUR", "number": "G000000001", "due": "70.00 EUR"}


@pytest.mark.parametrize("amount", ["0.00", "-1.00"])
def test_a_payment_of_zero_or_less_is_refused(amount: str) -> None:
    with pytest.raises(NonPositivePayment):
        invoice().with_payment(money(amount))


def test_paying_a_void_invoice_is_refused() -> None:
    with pytest.raises(InvoiceVoided):
        invoice().voided(NOW).with_payment(money("1.00"))


def test_paying_a_paid_invoice_is_refused() -> None:
    paid = invoice("100.00").with_payment(money("100.00"))

    with pytest.raises(InvoiceAlreadyPaid) as caught:
        paid.with_payment(money("1.00"))
    assert caught.value.params == {"number": "G000000001"}


def test_paying_in_another_currency_is_refused() -> None:
    with pytest.raises(MixedCurrencies):
        invoice("100.00").with_payment(money("100.00", "USD"))


@pytest.mark.parametrize(
    ("currency", "amount", "part", "rest"),
    [("JPY", "1500", "1", "1499"), ("KWD", "1.500", "0.001", "1.499")],
)
def test_payments_in_currencies_with_zero_and_three_decimals(currency: str, amount: str, part: str, rest: str) -> None:
    partly = invoice(amount, currency=currency).with_payment(money(part, currency))

    assert partly.amount_due == money(rest, currency)
    assert partly.status(DUE_DATE) is S.PARTIALLY_PAID


def test_a_partial_refund_makes_a_paid_invoice_partially_paid() -> None:
    paid = invoice("100.00").with_payment(money("100.00"))

    refunded = paid.with_refund(money("25.00"))

    assert refunded.amount_due == money("25.00")
    assert refunded.status(DUE_DATE) is S.PARTIALLY_PAID


def test_refunding_everything_makes_the_invoice_due_again() -> None:
    paid = invoice("100.00").with_payment(money("100.00"))

    assert paid.with_refund(money("100.00")).status(DUE_DATE) is S.DUE


@pytest.mark.parametrize("amount", ["100.01", "0.00", "-1.00"])
def test_refunding_more_than_was_paid_or_nothing_is_refused(amount: str) -> None:
    paid = invoice("100.00").with_payment(money("100.00"))

    with pytest.raises(InvalidInvoice, match="cannot refund"):
        paid.with_refund(money(amount))


def test_refunding_an_unpaid_invoice_is_refused() -> None:
    with pytest.raises(InvalidInvoice):
        invoice().with_refund(money("0.01"))


def test_voiding_an_unpaid_invoice_marks_it_void_at_that_time() -> None:
    void = invoice().voided(NOW)

    assert void.voided_at == NOW
    assert void.status(DUE_DATE) is S.VOID


def test_voiding_an_invoice_with_a_payment_is_refused() -> None:
    partly = invoice("100.00").with_payment(money("0.01"))

    with pytest.raises(InvoiceHasPayments):
        partly.voided(NOW)


def test_voiding_a_void_invoice_is_refused() -> None:
    with pytest.raises(InvoiceVoided):
        invoice().voided(NOW).voided(NOW + DAY)


def test_an_invoice_whose_payments_were_all_refunded_can_be_voided() -> None:
    refunded = invoice("100.00").with_payment(money("100.00")).with_refund(money("100.00"))

    assert refunded.voided(NOW).status(DUE_DATE) is S.VOID
