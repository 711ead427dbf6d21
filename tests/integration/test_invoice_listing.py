"""Listing invoices: the SQL status filter agrees with the model's rule, and keyset paging sees every row once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settle.clock import FixedClock, today
from settle.invoices.model import InvoiceQuery, InvoiceStatus
from settle.invoices.service import list_invoices
from settle.money import Money
from settle.payments.service import record_bank_transfer
from settle.uow import UnitOfWork
from tests.integration.factories import add_invoices, make_invoice, make_world

STATUSES = [status for status in InvoiceStatus if status is not InvoiceStatus.PROCESSING]


def _invoices_in_every_state(engine: Engine, clock: FixedClock) -> set[str]:
    """Invoices due yesterday, today and tomorrow; paid, partly paid, void and zero-total ones."""
    world = make_world(engine, clock)
    day = today(clock)
    invoices = [
        make_invoice(
            world, clock, number=f"G00000000{i}", invoice_date=day - timedelta(days=30 - offset), due_in_days=30
        )
        for i, offset in enumerate((-1, 0, 1, 0, 0, -5))
    ]
    invoices.append(make_invoice(world, clock, number="G000000009", amounts=(0,)))
    add_invoices(engine, invoices)
    with UnitOfWork(engine) as uow:
        record_bank_transfer(uow, clock, invoice_number="G000000003", amount=invoices[3].amount_due)
        record_bank_transfer(uow, clock, invoice_number="G000000004", amount=Money(1, "EUR"))
        record_bank_transfer(uow, clock, invoice_number="G000000005", amount=Money(500, "EUR"))
        uow.invoices.update(uow.invoices.get("G000000002").voided(clock.now()))
    return {invoice.id for invoice in invoices}


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_status_filter_in_sql_matches_the_status_rule(engine: Engine, clock: FixedClock, status: InvoiceStatus) -> None:
    numbers = _invoices_in_every_state(engine, clock)
    with UnitOfWork(engine, write=False) as uow:
        profile_ids = frozenset({uow.invoices.get("G000000000").billing_profile_id})
        everything = uow.invoices.page(InvoiceQuery(profile_ids, limit=100), today(clock))
        filtered = uow.invoices.page(InvoiceQuery(profile_ids, statuses=frozenset({status}), limit=100), today(clock))
    expected = {invoice.id for invoice in everything if invoice.status(today(clock)) is status}
    assert {invoice.id for invoice in everything} == numbers
    assert {invoice.id for invoice in filtered} == expected
    assert expected, f"the fixture should hold at least one {status} invoice"


def test_boundary_dates_due_today_is_due_and_due_yesterday_is_past_due(engine: Engine, clock: FixedClock) -> None:
    _invoices_in_every_state(engine, clock)
    with UnitOfWork(engine, write=False) as uow:
        due_yesterday = uow.invoices.get("G000000000")
        due_today = uow.invoices.get("G000000001")
    assert due_yesterday.due_date == today(clock) - timedelta(days=1)
    assert due_yesterday.status(today(clock)) is InvoiceStatus.PAST_DUE
    assert due_today.due_date == today(clock)
    assert due_today.status(today(clock)) is InvoiceStatus.DUE


def test_keyset_paging_returns_every_invoice_once_newest_first(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    start = date(2024, 1, 1)
    # Several invoices share a date, so the page boundary must break ties by number.
    invoices = [make_invoice(world, clock, invoice_date=start + timedelta(days=i // 3)) for i in range(47)]
    add_invoices(engine, invoices)
    seen: list[str] = []
    query = InvoiceQuery(frozenset({world.profile.id}), limit=10)
    with UnitOfWork(engine, write=False) as uow:
        while True:
            page = list_invoices(uow, clock, query)
            if not page:
                break
            seen += [row.invoice.id for row in page]
            last = page[-1].invoice
            query = InvoiceQuery(query.billing_profile_ids, after=(last.invoice_date, last.id), limit=10)
    expected = sorted(invoices, key=lambda invoice: (invoice.invoice_date, invoice.id), reverse=True)
    assert seen == [invoice.id for invoice in expected]


def test_date_range_filter_keeps_only_invoices_in_range(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    add_invoices(engine, [make_invoice(world, clock, invoice_date=date(2025, month, 5)) for month in range(1, 13)])
    query = InvoiceQuery(
        frozenset({world.profile.id}), invoice_date_from=date(2025, 3, 1), invoice_date_to=date(2025, 5, 31)
    )
    with UnitOfWork(engine, write=False) as uow:
        rows = list_invoices(uow, clock, query)
    assert [row.invoice.invoice_date.month for row in rows] == [5, 4, 3]


def test_another_profiles_invoices_are_not_listed(engine: Engine, clock: FixedClock) -> None:
    contoso, fabrikam = make_world(engine, clock), make_world(engine, clock, name="Fabrikam", currency="USD")
    add_invoices(engine, [make_invoice(contoso, clock), make_invoice(fabrikam, clock), make_invoice(fabrikam, clock)])
    with UnitOfWork(engine, write=False) as uow:
        rows = list_invoices(uow, clock, InvoiceQuery(frozenset({contoso.profile.id})))
    assert [row.invoice.billing_profile_id for row in rows] == [contoso.profile.id]


def test_listing_a_profiles_invoices_by_date_uses_an_index(engine: Engine) -> None:
    query = (
        "SELECT id FROM invoices WHERE billing_profile_id = 'P' AND (invoice_date, id) < ('2026-01-01', 'G1') "
        "ORDER BY invoice_date DESC, id DESC LIMIT 50"
    )
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
            assert "ix_invoices_profile_date" in plan and "TEMP B-TREE" not in plan
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in connection.execute(sa.text(f"EXPLAIN {query}")))
            assert "ix_invoices_profile_date" in plan and "Sort" not in plan
