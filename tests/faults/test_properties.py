"""Item 5, properties: Hypothesis throws generated values at Money, the invoice status rules and the
import parser. Whatever comes in, they answer with a value or one of Settle's own errors (never a crash
of Python's), and the rules of DESIGN §2 hold for every value."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settle.errors import InvalidAmount, MixedCurrencies, SettleError, UnknownCurrency
from settle.invoices.intake import CSV_HEADER, BadRecord, build_invoice, read_records, write_jsonl
from settle.invoices.model import Invoice, InvoiceLine, InvoiceStatus
from settle.money import ISO_4217, MAX_MINOR, Money, exponent
from tests.faults.harness import scaled, summarise
from tests.unit.factories import NOW, PROFILE_ID, SECTION_ID
from tests.unit.intake_records import PROFILE, SALES_SECTION, record

EXAMPLES = scaled(300, 5_000)
PROPERTIES = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
currencies = st.sampled_from(sorted(ISO_4217))
minors = st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR)
moneys = st.builds(Money, minors, currencies)
checked = {"trials": 0}


def _count() -> None:
    checked["trials"] += 1


# ---- Money ----


@PROPERTIES
@given(moneys)
def test_money_goes_to_its_exact_decimal_and_back(amount: Money) -> None:
    _count()
    assert Money.from_decimal(amount.to_decimal(), amount.currency) == amount
    assert Money.from_decimal(str(amount.to_decimal()), amount.currency) == amount
    assert -amount.to_decimal().as_tuple().exponent == exponent(amount.currency) or amount.minor == 0  # type: ignore[operator]


@PROPERTIES
@given(currencies, st.integers(-(2**61), 2**61), st.integers(-(2**61), 2**61))
def test_money_adds_and_subtracts_as_its_minor_units_do(currency: str, a: int, b: int) -> None:
    _count()
    x, y = Money(a, currency), Money(b, currency)
    assert (x + y).minor == a + b and (x - y).minor == a - b
    assert x + y == y + x and (x + y) - y == x and (-x).minor == -a
    assert (x < y) == (a < b) and (x <= y) == (a <= b) and (x > y) == (a > b)


@PROPERTIES
@given(moneys, currencies)
def test_money_in_two_currencies_never_combines(amount: Money, other: str) -> None:
    _count()
    if other == amount.currency:
        return
    stranger = Money(0, other)
    for combine in (lambda: amount + stranger, lambda: amount - stranger, lambda: amount < stranger):
        try:
            combine()
        except MixedCurrencies:
            continue
        raise AssertionError(f"{amount} combined with {stranger}")


@PROPERTIES
@given(currencies, st.integers(-(10**15), 10**15), st.decimals(min_value=0, max_value=1, places=4))
def test_a_rate_is_applied_once_and_rounded_half_even_to_the_nearest_minor_unit(
    currency: str, minor: int, rate: Decimal
) -> None:
    _count()
    taxed = Money(minor, currency).times_rate(rate)
    exact = Decimal(minor) * rate
    assert abs(Decimal(taxed.minor) - exact) <= Decimal("0.5")
    if abs(Decimal(taxed.minor) - exact) == Decimal("0.5"):
        assert taxed.minor % 2 == 0


def _text_amounts() -> st.SearchStrategy[str]:
    digits = st.from_regex(r"\A-?[0-9]{0,30}(\.[0-9]{0,8})?([eE][+-]?[0-9]{1,12})?\Z", fullmatch=True)
    return st.one_of(digits, st.text(max_size=40), st.sampled_from(["NaN", "-Infinity", "sNaN", "1E+999999999"]))


@PROPERTIES
@given(_text_amounts(), st.one_of(currencies, st.text(max_size=4)))
def test_any_text_is_an_exact_amount_or_invalid_never_a_crash(text: str, currency: str) -> None:
    _count()
    try:
        amount = Money.from_decimal(text, currency)
    except (InvalidAmount, UnknownCurrency):
        return
    assert amount.to_decimal() == Decimal(text)  # exact: nothing was rounded away


# ---- Invoice status rules ----


@st.composite
def invoices(draw: st.DrawFn) -> tuple[Invoice, date]:
    currency = draw(st.sampled_from(["EUR", "JPY", "KWD"]))
    amounts = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=5))
    invoice_date = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    invoice = Invoice.issue(
        number="G000000001",
        billing_account_id="A",
        billing_profile_id=PROFILE_ID,
        currency=currency,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=draw(st.integers(0, 90))),
        period_start=invoice_date - timedelta(days=30),
        period_end=invoice_date - timedelta(days=1),
        lines=[InvoiceLine(SECTION_ID, "Line", Money(amount, currency)) for amount in amounts],
        created_at=NOW,
        tax_rate=draw(st.decimals(min_value=0, max_value=Decimal("0.99"), places=2)),
    )
    paid = draw(st.integers(0, invoice.total.minor))
    if paid:
        invoice = invoice.with_payment(Money(paid, currency))
    if paid == 0 and draw(st.booleans()):
        invoice = invoice.voided(NOW)
    return invoice, draw(st.dates(invoice_date - timedelta(days=10), invoice_date + timedelta(days=400)))


@PROPERTIES
@given(invoices())
def test_the_status_follows_design_2_in_its_order(drawn: tuple[Invoice, date]) -> None:
    _count()
    invoice, today = drawn
    status = invoice.status(today)
    if invoice.voided_at is not None:
        expected = InvoiceStatus.VOID
    elif invoice.amount_due.is_zero():
        expected = InvoiceStatus.PAID
    elif invoice.amount_paid.is_positive():
        expected = InvoiceStatus.PARTIALLY_PAID
    else:
        expected = InvoiceStatus.PAST_DUE if today > invoice.due_date else InvoiceStatus.DUE
    assert status is expected
    assert invoice.is_payable(today) == (status in (InvoiceStatus.DUE, InvoiceStatus.PAST_DUE, expected.PARTIALLY_PAID))
    assert invoice.display_status(today, payment_in_flight=True) in (status, InvoiceStatus.PROCESSING)
    assert invoice.amount_paid + invoice.amount_due == invoice.total
    assert invoice.total == invoice.subtotal - invoice.credits + invoice.tax


@PROPERTIES
@given(invoices(), st.integers(-(10**10), 10**10))
def test_a_payment_never_takes_the_amount_due_below_zero_or_pays_a_void_or_paid_invoice(
    drawn: tuple[Invoice, date], minor: int
) -> None:
    _count()
    invoice, today = drawn
    try:
        after = invoice.with_payment(Money(minor, invoice.currency))
    except SettleError:
        assert invoice.voided_at or invoice.amount_due.is_zero() or minor <= 0 or minor > invoice.amount_due.minor
        return
    assert after.amount_due.minor == invoice.amount_due.minor - minor >= 0
    assert after.status(today) in (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID)


# ---- The import parser ----


@PROPERTIES
@given(invoices())
def test_an_exported_invoice_imports_as_the_same_invoice(drawn: tuple[Invoice, date]) -> None:
    _count()
    invoice = drawn[0]
    if invoice.voided_at is not None or not invoice.amount_paid.is_zero():
        return
    stream = io.StringIO()
    write_jsonl([invoice], stream)
    (raw,) = read_records(io.StringIO(stream.getvalue()), "jsonl")
    rebuilt = build_invoice(raw, _profile(invoice.currency), NOW)
    assert rebuilt == Invoice(**{**invoice.__dict__, "billing_account_id": PROFILE.billing_account_id})


def _profile(currency: str) -> Any:
    from dataclasses import replace

    return replace(PROFILE, currency=currency)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.decimals(allow_nan=False).map(str),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)


@PROPERTIES
@given(st.dictionaries(st.sampled_from([*CSV_HEADER, "lines", "extra"]), json_values, max_size=8))
def test_any_json_record_is_an_invoice_or_a_bad_record_never_a_crash(changes: dict[str, Any]) -> None:
    _count()
    text = json.dumps(record(**changes), default=str) + "\n"
    _read_and_build(text, "jsonl")


@PROPERTIES
@given(st.one_of(st.text(max_size=400), st.builds(lambda size: "x" * size, st.integers(100_000, 200_000))))
def test_any_text_as_json_lines_or_csv_is_invoices_or_bad_records_never_a_crash(text: str) -> None:
    _count()
    _read_and_build(text, "jsonl")
    _read_and_build(",".join(CSV_HEADER) + "\n" + text, "csv")


@PROPERTIES
@given(st.lists(st.lists(st.text(max_size=12), min_size=len(CSV_HEADER), max_size=len(CSV_HEADER)), max_size=4))
def test_any_csv_rows_are_invoices_or_bad_records_never_a_crash(rows: list[list[str]]) -> None:
    _count()
    stream = io.StringIO()
    import csv

    writer = csv.writer(stream)
    writer.writerow(CSV_HEADER)
    good = [
        "G000000001",
        PROFILE_ID,
        "2026-01-05",
        "",
        "2025-12-01",
        "2025-12-31",
        "",
        "",
        "",
        "",
        SALES_SECTION,
        "x",
        "",
        "1.00",
    ]
    writer.writerow(good)
    for row in rows:
        writer.writerow([cell if cell else good[position] for position, cell in enumerate(row)])
    _read_and_build(stream.getvalue(), "csv")


def _read_and_build(text: str, kind: str) -> None:
    for raw in read_records(io.StringIO(text, newline=""), kind):  # as `settle invoices import` opens files
        try:
            build_invoice(raw, PROFILE, NOW)
        except BadRecord as refused:
            assert str(refused)


def test_the_properties_ran_with_no_counterexample() -> None:
    summarise("properties", trials=checked["trials"], faults=checked["trials"], violations=0)
