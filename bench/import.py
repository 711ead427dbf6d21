"""Invoices per second for `settle invoices import` (JSON Lines) on SQLite and on PostgreSQL.

Usage: python bench/import.py [--invoices N] [--backend sqlite|postgresql|both]
Loads into a throw-away database (a temporary SQLite file; a new PostgreSQL database at
SETTLE_BENCH_POSTGRES_URL, default the local server, dropped afterwards). Each invoice has 2 lines.
Last line: key=value figures."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settle import db
from settle.accounts.service import add_billing_profile, add_invoice_section, add_user, create_billing_account
from settle.clock import FixedClock
from settle.invoices.intake import write_jsonl
from settle.invoices.model import Invoice, InvoiceLine
from settle.money import Money
from settle.uow import UnitOfWork

POSTGRES = os.environ.get("SETTLE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def prepare(url: str, path: Path, count: int) -> None:
    engine = db.create_engine(url)
    db.upgrade(engine)
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    with UnitOfWork(engine) as uow:
        owner = add_user(uow, clock, email="bench@example.com", display_name="Bench", password="bench-password-long")
        account = create_billing_account(uow, clock, display_name="Bench", administrator_id=owner.id)
        profile = add_billing_profile(uow, clock, billing_account_id=account.id, display_name="Bench", currency="EUR")
        sections = [add_invoice_section(uow, clock, billing_profile_id=profile.id, display_name=n).id for n in "AB"]
    engine.dispose()
    with path.open("w") as stream:
        for start in range(0, count, 10_000):
            batch = []
            for number in range(start, min(count, start + 10_000)):
                day = date(2020, 1, 1) + timedelta(days=number % 2000)
                lines = [
                    InvoiceLine(sections[0], "Compute", Money(10_000 + number % 997, "EUR")),
                    InvoiceLine(sections[1], "Storage", Money(2_000 + number % 89, "EUR")),
                ]
                batch.append(
                    Invoice.issue(
                        number=f"B{number:09d}",
                        billing_account_id=account.id,
                        billing_profile_id=profile.id,
                        currency="EUR",
                        invoice_date=day,
                        due_date=day + timedelta(days=30),
                        period_start=day,
                        period_end=day + timedelta(days=27),
                        lines=lines,
                        created_at=clock.now(),
                        tax_rate=Decimal("0.21"),
                    )
                )
            buffer = io.StringIO()
            write_jsonl(batch, buffer)
            stream.write(buffer.getvalue())


def run(url: str, count: int, workdir: Path) -> float:
    path = workdir / "invoices.jsonl"
    prepare(url, path, count)
    env = {**os.environ, "SETTLE_DATABASE_URL": url}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "settle.cli", "invoices", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or f"Imported {count} invoice(s)" not in result.stdout:
        raise SystemExit(f"import failed: {result.stdout} {result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    figures = [f"invoices={args.invoices}"]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.backend in ("sqlite", "both"):
            seconds = run(f"sqlite:///{workdir / 'bench.db'}", args.invoices, workdir)
            figures += [f"sqlite_seconds={seconds:.1f}", f"sqlite_invoices_per_s={args.invoices / seconds:.0f}"]
            print(f"SQLite: {args.invoices} invoices in {seconds:.1f} s", flush=True)
        if args.backend in ("postgresql", "both"):
            name = f"settle_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
                seconds = run(url, args.invoices, workdir)
                figures += [
                    f"postgresql_seconds={seconds:.1f}",
                    f"postgresql_invoices_per_s={args.invoices / seconds:.0f}",
                ]
                print(f"PostgreSQL: {args.invoices} invoices in {seconds:.1f} s", flush=True)
            finally:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(" ".join(figures))


if __name__ == "__main__":
    main()
