"""Memory and speed of exporting the invoice grid as CSV (settle.invoices.exports) at 100,000 invoices.

Usage: python bench/export_memory.py [--invoices N] [--dialect csv|excel] [--locale en|nl|da]
Loads N invoices (2 lines each, one billing profile) into a throw-away SQLite file in another process, so
that this one's peak RSS is the export's alone; then exports them all, counting the bytes and dropping
them, as a StreamingResponse to a slow browser would. Peak RSS growth is the process's peak resident size
after the export less its size just before (after a small warm-up export). Last line: key=value figures."""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settle import db
from settle.access.model import Scope
from settle.accounts.service import add_billing_profile, add_invoice_section, add_user, create_billing_account
from settle.clock import FixedClock
from settle.invoices.exports import ExportDialect, export_invoices
from settle.invoices.model import Invoice, InvoiceLine, InvoiceQuery
from settle.money import Money
from settle.uow import UnitOfWork

CLOCK = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
EMAIL = "bench@example.com"


def load(url: str, count: int) -> None:
    """A billing account with one profile and `count` invoices, inserted 10,000 at a time."""
    engine = db.create_engine(url)
    db.upgrade(engine)
    with UnitOfWork(engine) as uow:
        owner = add_user(uow, CLOCK, verified=True, email=EMAIL, display_name="Bench", password="bench-password-long")
        account = create_billing_account(uow, CLOCK, display_name="Bench", administrator_id=owner.id)
        profile = add_billing_profile(uow, CLOCK, billing_account_id=account.id, display_name="Bench", currency="EUR")
        sections = [add_invoice_section(uow, CLOCK, billing_profile_id=profile.id, display_name=n).id for n in "AB"]
    for start in range(0, count, 10_000):
        with UnitOfWork(engine) as uow:
            uow.invoices.add_many(
                _invoice(number, account.id, profile.id, sections)
                for number in range(start, min(count, start + 10_000))
            )
    engine.dispose()


def _invoice(number: int, account_id: str, profile_id: str, sections: list[str]) -> Invoice:
    day = date(2020, 1, 1) + timedelta(days=number % 2000)
    return Invoice.issue(
        number=f"B{number:09d}",
        billing_account_id=account_id,
        billing_profile_id=profile_id,
        currency="EUR",
        invoice_date=day,
        due_date=day + timedelta(days=30),
        period_start=day,
        period_end=day + timedelta(days=27),
        lines=[
            InvoiceLine(sections[0], "Compute", Money(10_000 + number % 997, "EUR")),
            InvoiceLine(sections[1], "Storage", Money(2_000 + number % 89, "EUR")),
        ],
        created_at=CLOCK.now(),
        tax_rate=Decimal("0.21"),
    )


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def export(url: str, query: InvoiceQuery, dialect: ExportDialect, locale: str) -> tuple[int, int]:
    """Rows and characters of one export, read to the end and dropped."""
    engine = db.create_engine(url)
    with UnitOfWork(engine, write=False) as uow:
        owner = uow.users.get_by_email(EMAIL)
        (account,) = [role.scope.billing_account_id for role in uow.roles.for_user(owner.id)]
    rows = characters = 0
    for chunk in export_invoices(engine, CLOCK, owner.id, Scope(account), query, locale=locale, dialect=dialect):
        rows += chunk.count("\r\n")
        characters += len(chunk)
    engine.dispose()
    return rows - 1, characters  # less the header


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--dialect", choices=[d.value for d in ExportDialect], default=ExportDialect.EXCEL.value)
    parser.add_argument("--locale", choices=["en", "nl", "da"], default="nl")
    args = parser.parse_args()
    dialect = ExportDialect(args.dialect)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        loader = multiprocessing.get_context("spawn").Process(target=load, args=(url, args.invoices))
        started = time.perf_counter()
        loader.start()
        loader.join()
        if loader.exitcode != 0:
            raise SystemExit("loading the invoices failed")
        print(f"loaded {args.invoices} invoices in {time.perf_counter() - started:.1f} s", flush=True)
        warm_up = InvoiceQuery(frozenset(), invoice_date_to=date(2020, 1, 5))  # a few rows: modules, catalogs
        export(url, warm_up, dialect, args.locale)
        before = peak_rss_kib()
        started = time.perf_counter()
        rows, characters = export(url, InvoiceQuery(frozenset()), dialect, args.locale)
        seconds = time.perf_counter() - started
        growth = peak_rss_kib() - before
    if rows != args.invoices:
        raise SystemExit(f"exported {rows} rows, not {args.invoices}")
    print(f"exported {rows} rows ({characters / 1e6:.1f} M characters) in {seconds:.1f} s", flush=True)
    print(
        f"invoices={rows} dialect={dialect.value} locale={args.locale} seconds={seconds:.1f} "
        f"rows_per_s={rows / seconds:.0f} file_mb={characters / 1e6:.1f} "
        f"rss_before_mb={before / 1024:.1f} peak_rss_growth_mb={growth / 1024:.1f}"
    )


if __name__ == "__main__":
    main()
