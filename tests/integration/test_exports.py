"""Exporting the invoice grid as CSV: plain for programs, Excel's for a person in nl, da or en; exact amounts,
the grid's filter, only what the viewer may see, and streamed a batch at a time."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.model import BillingAccountNotFound
from settle.accounts.service import add_user
from settle.clock import FixedClock
from settle.errors import Forbidden
from settle.invoices.exports import BATCH, ExportDialect, export_filename, export_invoices
from settle.invoices.model import InvoiceQuery, InvoiceStatus
from settle.payments.service import record_bank_transfer
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD, World, add_invoices, make_invoice, make_world

EVERYTHING = InvoiceQuery(frozenset())
CSV, EXCEL = ExportDialect.CSV, ExportDialect.EXCEL
# The invoice of _one_invoice: number, profile, invoice date, billing period, due date, currency.
ROW_START = ["G000000042", "Contoso Billing", "2026-03-15", "2026-02-01", "2026-02-28", "2026-04-14", "EUR"]


def _export(
    engine: Engine,
    clock: FixedClock,
    world: World,
    *,
    locale: str = "en",
    dialect: ExportDialect = CSV,
    query: InvoiceQuery = EVERYTHING,
    scope: Scope | None = None,
    actor: str | None = None,
) -> str:
    chunks = export_invoices(
        engine,
        clock,
        actor or world.owner.id,
        scope or Scope(world.account.id),
        query,
        locale=locale,
        dialect=dialect,
    )
    return "".join(chunks)


def _rows(text: str, separator: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=separator))


def _one_invoice(engine: Engine, clock: FixedClock, currency: str = "EUR", minor: int = 123_456) -> World:
    world = make_world(engine, clock, currency=currency)
    invoice = make_invoice(world, clock, number="G000000042", amounts=(minor,), tax_rate="0", due_in_days=30)
    add_invoices(engine, [invoice])
    return world


def test_plain_csv_has_commas_decimal_points_iso_dates_and_no_byte_order_mark(
    engine: Engine, clock: FixedClock
) -> None:
    world = _one_invoice(engine, clock)
    text = _export(engine, clock, world)
    assert not text.startswith("\ufeff") and text.endswith("\r\n")
    assert _rows(text) == [
        [
            "Invoice number",
            "Billing profile",
            "Invoice date",
            "Billing period start",
            "Billing period end",
            "Due date",
            "Currency",
            "Total",
            "Amount due",
            "Status",
        ],
        [*ROW_START, "1234.56", "1234.56", "Due"],
    ]


def test_plain_csv_in_dutch_keeps_its_commas_and_points_but_speaks_dutch(engine: Engine, clock: FixedClock) -> None:
    world = _one_invoice(engine, clock)
    header, row = _rows(_export(engine, clock, world, locale="nl"))
    assert header[:3] == ["Factuurnummer", "Factureringsprofiel", "Factuurdatum"] and header[-1] == "Status"
    assert row[-3:] == ["1234.56", "1234.56", "Verschuldigd"]


@pytest.mark.parametrize(
    ("locale", "separator", "total", "number_title", "status"),
    [
        ("nl", ";", "1234,56", "Factuurnummer", "Verschuldigd"),
        ("da", ";", "1234,56", "Fakturanummer", "Forfalder"),
        ("en", ",", "1234.56", "Invoice number", "Due"),
    ],
)
def test_excel_csv_uses_the_viewers_separator_and_decimal_mark_after_a_byte_order_mark(
    engine: Engine, clock: FixedClock, locale: str, separator: str, total: str, number_title: str, status: str
) -> None:
    world = _one_invoice(engine, clock)
    text = _export(engine, clock, world, locale=locale, dialect=EXCEL)
    assert text.startswith("\ufeff")
    header, row = _rows(text, separator)
    assert header[0] == number_title and len(header) == 10
    assert row == [*ROW_START, total, total, status]
    assert text.splitlines()[1].count(separator) == 9  # no amount or date splits into two cells


def test_amounts_have_exactly_the_currencys_digits(engine: Engine, clock: FixedClock) -> None:
    yen = _one_invoice(engine, clock, currency="JPY", minor=1_234_567)
    assert _rows(_export(engine, clock, yen, locale="nl", dialect=EXCEL), ";")[1][7:9] == ["1234567", "1234567"]
    dinar = make_world(engine, clock, name="Dinar", currency="KWD")
    add_invoices(engine, [make_invoice(dinar, clock, number="G000000043", amounts=(1_000_005,), tax_rate="0")])
    assert _rows(_export(engine, clock, dinar))[1][7] == "1000.005"
    cents = make_world(engine, clock, name="Cents")
    add_invoices(engine, [make_invoice(cents, clock, number="G000000044", amounts=(5,), tax_rate="0")])
    assert _rows(_export(engine, clock, cents, locale="da", dialect=EXCEL), ";")[1][7] == "0,05"


def test_the_grids_filter_is_respected(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    day = clock.now().date()
    invoices = [
        make_invoice(world, clock, number=f"G00000010{i}", invoice_date=day - timedelta(days=20 * i)) for i in range(5)
    ]
    add_invoices(engine, invoices)
    with UnitOfWork(engine) as uow:
        record_bank_transfer(uow, clock, invoice_number="G000000101", amount=invoices[1].amount_due)
    paid = InvoiceQuery(frozenset(), statuses=frozenset({InvoiceStatus.PAID}))
    assert [row[0] for row in _rows(_export(engine, clock, world, query=paid))[1:]] == ["G000000101"]
    past_due = InvoiceQuery(frozenset(), statuses=frozenset({InvoiceStatus.PAST_DUE}))
    rows = _rows(_export(engine, clock, world, query=past_due))[1:]
    assert [(row[0], row[-1]) for row in rows] == [(f"G00000010{i}", "Past due") for i in (2, 3, 4)]
    dated = InvoiceQuery(
        frozenset(), invoice_date_from=day - timedelta(days=60), invoice_date_to=day - timedelta(days=20)
    )
    assert [row[0] for row in _rows(_export(engine, clock, world, query=dated))[1:]] == [
        "G000000101",
        "G000000102",
        "G000000103",
    ]
    oldest_first = InvoiceQuery(frozenset(), oldest_first=True, after=(date(2030, 1, 1), "Z"), limit=1)
    assert [row[0] for row in _rows(_export(engine, clock, world, query=oldest_first))[1:]] == [
        invoice.id for invoice in reversed(invoices)
    ]


def test_another_customers_invoices_are_never_exported(engine: Engine, clock: FixedClock) -> None:
    contoso = _one_invoice(engine, clock)
    fabrikam = make_world(engine, clock, name="Fabrikam", currency="USD")
    add_invoices(engine, [make_invoice(fabrikam, clock, number=f"G00000020{i}") for i in range(3)])
    assert [row[0] for row in _rows(_export(engine, clock, contoso))[1:]] == ["G000000042"]
    with pytest.raises(BillingAccountNotFound):
        export_invoices(
            engine, clock, contoso.owner.id, Scope(fabrikam.account.id), EVERYTHING, locale="en", dialect=CSV
        )
    leaked = _export(engine, clock, contoso, scope=Scope(contoso.account.id, contoso.profile.id))
    assert "G0000002" not in leaked and "Fabrikam" not in leaked


def test_a_role_that_sees_no_invoices_cannot_export_them(engine: Engine, clock: FixedClock) -> None:
    world = _one_invoice(engine, clock)
    with UnitOfWork(engine) as uow:
        clerk = add_user(
            uow, clock, verified=True, email="clerk@contoso.example", display_name="Clerk", password=PASSWORD
        )
        section = Scope(world.account.id, world.profile.id, world.sections[0].id)
        grant_role(uow, clock, actor_id=None, user_id=clerk.id, role=Role.INVOICE_SECTION_OWNER, scope=section)
    with pytest.raises(Forbidden):
        export_invoices(
            engine, clock, clerk.id, Scope(world.account.id, world.profile.id), EVERYTHING, locale="en", dialect=CSV
        )
    assert _rows(_export(engine, clock, world, actor=clerk.id)) == [_rows(_export(engine, clock, world))[0]]


def test_a_profile_name_like_a_formula_stays_text_in_both_dialects(engine: Engine, clock: FixedClock) -> None:
    world = _one_invoice(engine, clock)
    with UnitOfWork(engine) as uow:
        uow.connection.execute(
            sa.text("UPDATE billing_profiles SET display_name = '=HYPERLINK(\"x\")' WHERE id = :id"),
            {"id": world.profile.id},
        )
    assert _rows(_export(engine, clock, world, dialect=EXCEL))[1][1] == '\'=HYPERLINK("x")'
    assert _rows(_export(engine, clock, world))[1][1] == '\'=HYPERLINK("x")'


def test_the_file_is_named_for_the_day_and_dialect() -> None:
    assert export_filename(date(2026, 3, 15), CSV) == "invoices-2026-03-15.csv"
    assert export_filename(date(2026, 3, 15), EXCEL) == "invoices-2026-03-15-excel.csv"


def _many(engine: Engine, clock: FixedClock, count: int) -> World:
    world = make_world(engine, clock)
    start = date(2020, 1, 1)
    for first in range(0, count, 5000):
        batch = [
            make_invoice(world, clock, number=f"E{number:09d}", invoice_date=start + timedelta(days=number % 1500))
            for number in range(first, min(count, first + 5000))
        ]
        add_invoices(engine, batch)
    return world


def test_twenty_thousand_rows_stream_a_batch_at_a_time_in_bounded_memory(engine: Engine, clock: FixedClock) -> None:
    count = 20_500
    world = _many(engine, clock, count)
    pages: list[int] = []

    def count_pages(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM invoices" in statement and "LIMIT" in statement:
            pages.append(1)

    event.listen(engine, "before_cursor_execute", count_pages)
    try:
        chunks = export_invoices(
            engine, clock, world.owner.id, Scope(world.account.id), EVERYTHING, locale="nl", dialect=EXCEL
        )
        assert not pages  # nothing is read until the file is
        next(chunks), next(chunks)  # the header and the first batch
        assert len(pages) == 1
        tracemalloc.start()
        rows, size = BATCH, 0
        for chunk in chunks:
            rows += chunk.count("\r\n")
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        event.remove(engine, "before_cursor_execute", count_pages)
    assert rows == count and len(pages) == count // BATCH + 1
    # One batch in memory is ~6 MB, whatever the file's length; the 20,500 rows read at once would be ~60 MB.
    assert size > 2_000_000 and peak < 12_000_000, f"peak {peak} bytes for a {size}-character file"
