"""Building invoices from import records, read from JSON Lines."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle.invoices.intake import build_invoice
from settle.invoices.model import InvoiceLine
from tests.unit.factories import ACCOUNT_ID, NOW, PROFILE_ID, SECTION_ID, money
from tests.unit.intake_records import PROFILE, SALES_SECTION, one, read_jsonl, reason_for, record, with_line


def test_a_good_record_builds_the_invoice_it_describes() -> None:
    invoice = build_invoice(one(record()), PROFILE, NOW)

    assert (invoice.id, invoice.billing_account_id, invoice.billing_profile_id) == (
        "G000000001",
        ACCOUNT_ID,
        PROFILE_ID,
    )
    assert (invoice.invoice_date, invoice.due_date) == (date(2026, 1, 5), date(2026, 2, 4))
    assert (invoice.period_start, invoice.period_end) == (date(2025, 12, 1), date(2025, 12, 31))
    assert invoice.lines == (
        InvoiceLine(SECTION_ID, "Virtual machines", money("100.00"), Decimal(720)),
        InvoiceLine(SALES_SECTION, "Storage", money("20.00"), Decimal(1)),
    )
    assert (invoice.subtotal, invoice.tax, invoice.total) == (money("120.00"), money("25.20"), money("145.20"))
    assert invoice.amount_due == invoice.total
    assert invoice.tax_rate == Decimal("0.21")
    assert invoice.created_at == NOW


def test_left_out_fields_take_the_profiles_terms_and_currency_and_no_tax_or_credits() -> None:
    raw = one(record(due_date=None, currency=None, tax_rate=None, credits=None, total=None))

    invoice = build_invoice(raw, PROFILE, NOW)

    assert invoice.due_date == date(2026, 2, 4)  # invoice date + 30 days
    assert invoice.currency == "EUR"
    assert (invoice.tax, invoice.credits, invoice.total) == (money("0.00"), money("0.00"), money("120.00"))


def test_a_line_without_quantity_has_quantity_one() -> None:
    first, second = record()["lines"]
    del first["quantity"]

    invoice = build_invoice(one(record(lines=[first, second])), PROFILE, NOW)

    assert invoice.lines[0].quantity == Decimal(1)


def test_records_are_read_in_order_with_the_line_they_start_on() -> None:
    text = f"{_json(record())}\n\n{_json(record(number='G000000002'))}\n"

    raws = read_jsonl(text)

    assert [(raw.line, raw.fields["number"]) for raw in raws] == [(1, "G000000001"), (3, "G000000002")]
    assert [len(raw.lines) for raw in raws] == [2, 2]
    assert "lines" not in raws[0].fields


def test_float_like_json_numbers_are_read_as_exact_decimals() -> None:
    text = '{"number": "G000000001", "total": 145.20, "tax_rate": 0.21, "lines": [{"amount": 0.1}]}\n'

    (raw,) = read_jsonl(text)

    assert raw.fields["total"] == Decimal("145.20")
    assert isinstance(raw.fields["total"], Decimal)
    assert isinstance(raw.fields["tax_rate"], Decimal)
    assert raw.lines[0]["amount"] == Decimal("0.1")


def test_json_numbers_build_exact_amounts() -> None:
    # As a float, 0.1 is 0.1000000000000000055…, which no currency could take.
    text = _json(record(tax_rate="@rate", total="@total", lines=with_line(amount="@amount")))
    text = text.replace('"@rate"', "0.21").replace('"@total"', "24.32").replace('"@amount"', "0.1")
    (raw,) = read_jsonl(text + "\n")

    invoice = build_invoice(raw, PROFILE, NOW)

    assert invoice.lines[0].amount == money("0.10")
    assert invoice.total == money("24.32")  # 20.10 + 4.221 rounded to 4.22


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{bad\n", "not valid JSON (Expecting property name enclosed in double quotes, column 2)"),
        ('{"number" "G000000001", "lines": []}\n', "not valid JSON (Expecting ':' delimiter, column 11)"),
        ("[1, 2]\n", "expected an object with a 'lines' list"),
        ('{"number": "G000000001"}\n', "expected an object with a 'lines' list"),
        ('{"number": "G000000001", "lines": {}}\n', "expected an object with a 'lines' list"),
        ('{"number": "G000000001", "lines": [1]}\n', "every invoice line must be an object"),
    ],
)
def test_a_record_that_cannot_be_read_is_a_bad_record_saying_why(text: str, problem: str) -> None:
    (raw,) = read_jsonl(text)

    assert raw.problem == problem
    assert reason_for(raw) == problem


def test_a_bad_record_does_not_stop_the_records_after_it() -> None:
    raws = read_jsonl(f"{{bad\n{_json(record())}\n")

    assert [raw.problem is None for raw in raws] == [False, True]
    assert build_invoice(raws[1], PROFILE, NOW).id == "G000000001"


BAD_RECORDS = [
    pytest.param({"number": None}, "'number' is missing", id="missing number"),
    pytest.param({"number": ""}, "'number' is missing", id="empty number"),
    pytest.param({"billing_profile": None}, "'billing_profile' is missing", id="missing billing profile"),
    pytest.param({"invoice_date": None}, "'invoice_date' is missing", id="missing invoice date"),
    pytest.param({"period_end": None}, "'period_end' is missing", id="missing period end"),
    pytest.param({"number": 1}, "'number' must be text", id="number not text"),
    pytest.param(
        {"invoice_date": "2026-02-30"},
        "'invoice_date' is not a date in the form YYYY-MM-DD: '2026-02-30'",
        id="impossible date",
    ),
    pytest.param(
        {"due_date": "04/02/2026"}, "'due_date' is not a date in the form YYYY-MM-DD: '04/02/2026'", id="day-first date"
    ),
    pytest.param(
        {"period_start": "2025-12-01T00:00"},
        "'period_start' is not a date in the form YYYY-MM-DD: '2025-12-01T00:00'",
        id="date and time",
    ),
    pytest.param(
        {"lines": with_line(amount="100.001")},
        "invoice line 1: 'amount' 100.001 has more decimals than EUR allows",
        id="line amount too precise",
    ),
    pytest.param({"credits": "0.001"}, "'credits' 0.001 has more decimals than EUR allows", id="credits too precise"),
    pytest.param({"total": "145.201"}, "'total' 145.201 has more decimals than EUR allows", id="total too precise"),
    pytest.param(
        {"lines": with_line(amount="12,50")},
        "invoice line 1: 'amount' is not a number: '12,50'",
        id="amount not a number",
    ),
    pytest.param(
        {"lines": with_line(amount="NaN")}, "invoice line 1: 'amount' is not a number: 'NaN'", id="amount NaN"
    ),
    pytest.param(
        {"lines": with_line(amount=True)}, "invoice line 1: 'amount' must be a decimal number", id="amount a boolean"
    ),
    pytest.param({"lines": with_line(amount=None)}, "invoice line 1: 'amount' is missing", id="missing amount"),
    pytest.param(
        {"lines": with_line(quantity="lots")},
        "invoice line 1: 'quantity' is not a number: 'lots'",
        id="quantity not a number",
    ),
    pytest.param(
        {"lines": with_line(section="NOPE")},
        "invoice line 1: invoice section 'NOPE' is not in the billing profile",
        id="unknown section",
    ),
    pytest.param({"currency": "USD"}, "currency USD differs from the billing profile's EUR", id="currency mismatch"),
    pytest.param({"total": "145.21"}, "total 145.21 differs from the computed total 145.20", id="total mismatch"),
    pytest.param({"colour": "red", "amount": "1"}, "unknown field(s) amount, colour", id="unknown fields"),
    pytest.param({"lines": with_line(price="1")}, "invoice line 1: unknown field(s) price", id="unknown line field"),
    pytest.param(
        {"tax_rate": "-0.21"},
        "'tax_rate' -0.21 must be a fraction from 0 up to 1 (e.g. 0.21 for 21%)",
        id="negative tax rate",
    ),
    pytest.param(
        {"tax_rate": "21"},
        "'tax_rate' 21 must be a fraction from 0 up to 1 (e.g. 0.21 for 21%)",
        id="tax rate as percent",
    ),
    pytest.param({"lines": []}, "Invoice 'G000000001' is not valid: an invoice needs at least one line", id="no lines"),
    pytest.param(
        {"due_date": "2026-01-04"},
        "Invoice 'G000000001' is not valid: the due date is before the invoice date",
        id="due before issue",
    ),
    pytest.param(
        {"credits": "-1.00", "total": None},
        "Invoice 'G000000001' is not valid: credits cannot be negative",
        id="negative credits",
    ),
]


@pytest.mark.parametrize(("changes", "reason"), BAD_RECORDS)
def test_a_bad_record_gives_a_precise_reason(changes: dict[str, Any], reason: str) -> None:
    assert reason_for(one(record(**changes))) == reason


def test_a_nan_total_is_refused_as_not_a_decimal() -> None:
    (raw,) = read_jsonl(_json(record()).replace('"145.20"', "NaN") + "\n")

    assert reason_for(raw) == "'total' must be a decimal number"


def test_a_record_in_a_currency_with_no_decimals_refuses_cents() -> None:
    yen = replace(PROFILE, currency="JPY")
    raw = one(record(currency="JPY", tax_rate="0", total=None, lines=with_line(amount="100.5")))

    assert reason_for(raw, yen) == "invoice line 1: 'amount' 100.5 has more decimals than JPY allows"


def _json(fields: dict[str, Any]) -> str:
    return json.dumps(fields)
