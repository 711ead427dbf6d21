"""The invoice grid's rows as a CSV file, streamed: the invoices are read in keyset batches, each batch in its
own short read transaction, and written out as text chunks as they come, so an export of 100,000 invoices
holds one batch in memory, never the file, and never holds a database transaction open while the browser
is slow to read.

Two dialects. Plain CSV is for programs: comma, decimal point, ISO dates, UTF-8. Excel CSV is for a person
opening the file in a spreadsheet in their own language: Excel splits on the list separator of the
language's regional settings and reads numbers with its decimal mark (`;` and `,` for Dutch and Danish,
`,` and `.` for English), and it only reads the file as UTF-8 when it starts with a byte-order mark. Both
have column headers and statuses in the viewer's language, and amounts exactly as stored (the currency's
digits, no thousands separators, never through a float)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.engine import Engine

from settle.access.model import Scope
from settle.clock import Clock, FixedClock
from settle.errors import N_
from settle.i18n import gettext
from settle.invoices.model import STATUS_LABELS, InvoiceQuery
from settle.invoices.service import InvoiceRow, invoice_profiles_at, list_invoices
from settle.uow import UnitOfWork

BATCH = 1000
MEDIA_TYPE = "text/csv; charset=utf-8"
BYTE_ORDER_MARK = "\ufeff"

HEADERS = (
    N_("Invoice number"),
    N_("Billing profile"),
    N_("Invoice date"),
    N_("Billing period start"),
    N_("Billing period end"),
    N_("Due date"),
    N_("Currency"),
    N_("Total"),
    N_("Amount due"),
    N_("Status"),
)


class ExportDialect(StrEnum):
    CSV = "csv"  # for programs: comma, decimal point
    EXCEL = "excel"  # for a spreadsheet in the viewer's language: its separator and decimal mark, a BOM


@dataclass(frozen=True)
class Notation:
    """How one file writes its cells."""

    separator: str
    decimal_mark: str
    byte_order_mark: bool
    guard_formulas: bool  # a spreadsheet would run a text cell that starts like a formula


# Plain CSV is guarded too: whatever it is meant for, someone opens it in a spreadsheet, and a profile
# named =HYPERLINK(…) would run there (OWASP's CSV injection).
PLAIN = Notation(separator=",", decimal_mark=".", byte_order_mark=False, guard_formulas=True)
_EXCEL_DECIMAL_COMMA = frozenset({"nl", "da"})


def notation(dialect: ExportDialect, locale: str) -> Notation:
    if dialect is ExportDialect.CSV:
        return PLAIN
    if locale in _EXCEL_DECIMAL_COMMA:
        return Notation(separator=";", decimal_mark=",", byte_order_mark=True, guard_formulas=True)
    return Notation(separator=",", decimal_mark=".", byte_order_mark=True, guard_formulas=True)


def export_filename(day: date, dialect: ExportDialect) -> str:
    """What the browser saves the file as, e.g. invoices-2026-03-15.csv (Excel's: invoices-2026-03-15-excel.csv)."""
    suffix = "-excel" if dialect is ExportDialect.EXCEL else ""
    return f"invoices-{day.isoformat()}{suffix}.csv"


def export_invoices(
    engine: Engine,
    clock: Clock,
    actor_id: str,
    scope: Scope,
    query: InvoiceQuery,
    *,
    locale: str,
    dialect: ExportDialect,
    tz: str = "UTC",
) -> Iterator[str]:
    """Every invoice at `scope` (a billing account or one of its profiles) that the actor may see and that
    matches `query`'s statuses and dates (as list_invoices reads them, in its order), as CSV text chunks.

    The permission is checked now, before the first chunk (the scope's NotFound or Forbidden, as for the
    invoice list); the rows are read as the chunks are asked for. `query`'s billing profiles, `after` and
    `limit` are not used: the scope says which profiles, and the file has every matching row."""
    with UnitOfWork(engine, write=False) as uow:
        profiles = invoice_profiles_at(uow, actor_id, scope)
        names = {profile_id: uow.profiles.get(profile_id).display_name for profile_id in profiles}
    first = replace(query, billing_profile_ids=profiles, after=None, limit=BATCH)
    return _chunks(engine, clock, first, names, locale, notation(dialect, locale), tz)


def _chunks(
    engine: Engine,
    clock: Clock,
    query: InvoiceQuery,
    names: dict[str, str],
    locale: str,
    style: Notation,
    tz: str,
) -> Iterator[str]:
    started = FixedClock(clock.now())  # every batch judges Due and Past due as of the same moment
    header = [gettext(locale, title) for title in HEADERS]
    yield (BYTE_ORDER_MARK if style.byte_order_mark else "") + _lines([header], style)
    while query.billing_profile_ids:
        with UnitOfWork(engine, write=False) as uow:
            rows = list_invoices(uow, started, query, tz)
        if not rows:
            return
        yield _lines((_cells(row, names, locale, style) for row in rows), style)
        if len(rows) < query.limit:
            return
        last = rows[-1].invoice
        query = replace(query, after=(last.invoice_date, last.id))


def _lines(rows: Iterable[list[str]], style: Notation) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.separator, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue()


def _cells(row: InvoiceRow, names: dict[str, str], locale: str, style: Notation) -> list[str]:
    invoice = row.invoice
    return [
        invoice.id,
        _text(names.get(invoice.billing_profile_id, invoice.billing_profile_id), style),
        invoice.invoice_date.isoformat(),
        invoice.period_start.isoformat(),
        invoice.period_end.isoformat(),
        invoice.due_date.isoformat(),
        invoice.currency,
        _number(invoice.total.to_decimal(), style),
        _number(invoice.amount_due.to_decimal(), style),
        gettext(locale, STATUS_LABELS[row.status]),
    ]


def _number(value: Decimal, style: Notation) -> str:
    """The exact amount with the currency's digits (1234.56, 1234 for JPY), in the file's decimal mark."""
    return format(value, "f").replace(".", style.decimal_mark)


def _text(value: str, style: Notation) -> str:
    """A text cell a spreadsheet would read as a formula (=, +, -, @, tab, CR) is written as text."""
    if style.guard_formulas and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
