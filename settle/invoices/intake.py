"""Reading invoices from the provider's rating system: JSON Lines or CSV, one record checked at a time.

JSON Lines: one invoice per line, its lines nested:
    {"number": "G000000001", "billing_profile": "AB12-CD34-EF5-GH6", "invoice_date": "2026-01-05",
     "due_date": "2026-02-04", "period_start": "2025-12-01", "period_end": "2025-12-31",
     "currency": "EUR", "tax_rate": "0.21", "credits": "0.00", "total": "121.00",
     "lines": [{"section": "WXYZ-…", "description": "Virtual machines", "quantity": "720", "amount": "100.00"}]}
CSV: the same fields flat, one row per invoice line; an invoice's rows stand together and repeat its
invoice fields. `due_date` (default: invoice date + the profile's payment terms), `currency`
(default: the profile's), `tax_rate`, `credits` (default 0) and `total` (a check: must equal what
Settle computes) may be left out. Amounts are decimal strings in major units, never floats.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from settle.errors import SettleError
from settle.invoices.model import Invoice, InvoiceLine
from settle.money import Money

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INVOICE_FIELDS = (
    "number",
    "billing_profile",
    "invoice_date",
    "due_date",
    "period_start",
    "period_end",
    "currency",
    "tax_rate",
    "credits",
    "total",
)
LINE_FIELDS = ("section", "description", "quantity", "amount")
CSV_HEADER = INVOICE_FIELDS + LINE_FIELDS


class BadRecord(Exception):
    """A record that cannot be imported, and why (shown to the operator with its line number)."""


@dataclass
class RawInvoice:
    line: int  # where the record starts in the file, counting from 1
    fields: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None  # set when the record could not even be read


@dataclass(frozen=True)
class ProfileFacts:
    """What checking an invoice needs to know of its billing profile."""

    billing_account_id: str
    currency: str
    payment_terms_days: int
    section_ids: frozenset[str]


def read_records(stream: IO[str], kind: str) -> Iterator[RawInvoice]:
    """The records of a JSON Lines (`jsonl`) or CSV (`csv`) stream, in order."""
    return _read_jsonl(stream) if kind == "jsonl" else _read_csv(stream)


_JSON = json.JSONDecoder(parse_float=Decimal)  # one decoder for every line (json.loads with options makes one each)


def _read_jsonl(stream: IO[str]) -> Iterator[RawInvoice]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            record = _JSON.decode(text)
        except json.JSONDecodeError as error:
            yield RawInvoice(number, {}, problem=f"not valid JSON ({error.msg}, column {error.colno})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("lines"), list):
            yield RawInvoice(number, {}, problem="expected an object with a 'lines' list")
            continue
        lines = record.pop("lines")
        if not all(isinstance(line, dict) for line in lines):
            yield RawInvoice(number, record, problem="every invoice line must be an object")
            continue
        yield RawInvoice(number, record, lines)


def _read_csv(stream: IO[str]) -> Iterator[RawInvoice]:
    reader = csv.DictReader(stream)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as error:
        yield RawInvoice(1, {}, problem=f"the CSV header cannot be read: {error}")
        return
    missing = [
        name
        for name in (
            "number",
            "billing_profile",
            "invoice_date",
            "period_start",
            "period_end",
            "section",
            "description",
            "amount",
        )
        if name not in fieldnames
    ]
    if missing:
        yield RawInvoice(1, {}, problem=f"the CSV header lacks {', '.join(missing)}")
        return
    # Refused as in JSON Lines: a misspelt optional column (e.g. `tax_rte`) would otherwise be dropped unseen.
    unknown = [name for name in fieldnames if name not in CSV_HEADER]
    if unknown:
        yield RawInvoice(1, {}, problem=f"the CSV header has unknown column(s) {', '.join(unknown)}")
        return
    current: RawInvoice | None = None
    for row in _rows(reader):
        if isinstance(row, RawInvoice):  # the rest of the file cannot be read: this says why
            if current is not None:
                yield current
            current = row
            break
        line_number = reader.line_num
        invoice_fields = {name: row[name] for name in INVOICE_FIELDS if row.get(name) not in (None, "")}
        line = {name: row[name] for name in LINE_FIELDS if row.get(name) not in (None, "")}
        if current is not None and invoice_fields.get("number") == current.fields.get("number"):
            if invoice_fields != current.fields:
                current.problem = f"row {line_number} repeats the invoice with different invoice fields"
            current.lines.append(line)
            continue
        if current is not None:
            yield current
        current = RawInvoice(line_number, invoice_fields, [line])
    if current is not None:
        yield current


def _rows(reader: csv.DictReader[str]) -> Iterator[dict[str, str] | RawInvoice]:
    """The rows, then, if the file goes wrong (a field over csv's size limit, a broken quote), a
    record saying where: the rows before it are read as usual."""
    try:
        yield from reader
    except csv.Error as error:
        yield RawInvoice(reader.line_num, {}, problem=f"the CSV cannot be read at line {reader.line_num}: {error}")


def build_invoice(raw: RawInvoice, profile: ProfileFacts, created_at: datetime) -> Invoice:
    """The invoice a record describes, or BadRecord saying what is wrong with it."""
    if raw.problem:
        raise BadRecord(raw.problem)
    fields = raw.fields
    unknown = set(fields) - set(INVOICE_FIELDS)
    if unknown:
        raise BadRecord(f"unknown field(s) {', '.join(sorted(unknown))}")
    currency = _text(fields, "currency", default=profile.currency)
    if currency != profile.currency:
        raise BadRecord(f"currency {currency} differs from the billing profile's {profile.currency}")
    invoice_date = _date(fields, "invoice_date")
    due_date = _date(fields, "due_date", default=invoice_date + timedelta(days=profile.payment_terms_days))
    lines = [_line(line, currency, profile, position) for position, line in enumerate(raw.lines, start=1)]
    try:
        invoice = Invoice.issue(
            number=_text(fields, "number"),
            billing_account_id=profile.billing_account_id,
            billing_profile_id=_text(fields, "billing_profile"),
            currency=currency,
            invoice_date=invoice_date,
            due_date=due_date,
            period_start=_date(fields, "period_start"),
            period_end=_date(fields, "period_end"),
            lines=lines,
            created_at=created_at,
            tax_rate=_rate(fields),
            credits=_money(fields, "credits", currency, "0"),
        )
    except SettleError as error:
        raise BadRecord(str(error)) from None
    if "total" in fields and _money(fields, "total", currency) != invoice.total:
        raise BadRecord(f"total {fields['total']} differs from the computed total {invoice.total.to_decimal()}")
    return invoice


def _text(fields: dict[str, Any], name: str, default: str | None = None) -> str:
    value = fields.get(name, default)
    if value is None or value == "":
        raise BadRecord(f"'{name}' is missing")
    if not isinstance(value, str):
        raise BadRecord(f"'{name}' must be text")
    return value.strip()


def _date(fields: dict[str, Any], name: str, default: date | None = None) -> date:
    if name not in fields and default is not None:
        return default
    text = _text(fields, name)
    try:
        if not _ISO_DATE.match(text):  # date.fromisoformat also takes 20260105 and week dates
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadRecord(f"'{name}' is not a date in the form YYYY-MM-DD: {text!r}") from None


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise BadRecord(f"'{name}' must be a decimal number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadRecord(f"'{name}' is not a number: {value!r}") from None
    if not number.is_finite():
        raise BadRecord(f"'{name}' is not a number: {value!r}")
    return number


def _money(fields: dict[str, Any], name: str, currency: str, default: str | None = None) -> Money:
    value = fields.get(name, default)
    if value is None:
        raise BadRecord(f"'{name}' is missing")
    try:
        return Money.from_decimal(_decimal(value, name), currency)
    except SettleError:
        raise BadRecord(f"'{name}' {value} has more decimals than {currency} allows") from None


def _rate(fields: dict[str, Any]) -> Decimal:
    rate = _decimal(fields.get("tax_rate", "0"), "tax_rate")
    if not Decimal(0) <= rate < Decimal(1):
        raise BadRecord(f"'tax_rate' {rate} must be a fraction from 0 up to 1 (e.g. 0.21 for 21%)")
    return rate


def _line(line: dict[str, Any], currency: str, profile: ProfileFacts, position: int) -> InvoiceLine:
    unknown = set(line) - set(LINE_FIELDS)
    if unknown:
        raise BadRecord(f"invoice line {position}: unknown field(s) {', '.join(sorted(unknown))}")
    try:
        section = _text(line, "section")
        if section not in profile.section_ids:
            raise BadRecord(f"invoice section '{section}' is not in the billing profile")
        return InvoiceLine(
            invoice_section_id=section,
            description=_text(line, "description"),
            amount=_money(line, "amount", currency),
            quantity=_decimal(line.get("quantity", "1"), "quantity"),
        )
    except BadRecord as problem:
        raise BadRecord(f"invoice line {position}: {problem}") from None


def kind_of(path: str, first_bytes: str) -> str:
    """`jsonl` or `csv`, by the file's name, else by its first character."""
    lowered = path.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl" if first_bytes.lstrip().startswith("{") else "csv"


def write_jsonl(invoices: list[Invoice], stream: io.TextIOBase | IO[str]) -> None:
    """The invoices as importable JSON Lines (for exports, tests and benchmarks)."""
    for invoice in invoices:
        record = {
            "number": invoice.id,
            "billing_profile": invoice.billing_profile_id,
            "invoice_date": invoice.invoice_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "period_start": invoice.period_start.isoformat(),
            "period_end": invoice.period_end.isoformat(),
            "currency": invoice.currency,
            "tax_rate": str(invoice.tax_rate),
            "credits": str(invoice.credits.to_decimal()),
            "total": str(invoice.total.to_decimal()),
            "lines": [
                {
                    "section": line.invoice_section_id,
                    "description": line.description,
                    "quantity": str(line.quantity),
                    "amount": str(line.amount.to_decimal()),
                }
                for line in invoice.lines
            ],
        }
        stream.write(json.dumps(record) + "\n")
