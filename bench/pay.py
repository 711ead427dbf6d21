"""Payments per second and latency of `pay_invoice` with the simulated processor, on SQLite and PostgreSQL.

Usage: python bench/pay.py [--invoices N] [--backend sqlite|postgresql|both] [--concurrency C ...]
Each (backend, concurrency) run gets throw-away databases for Settle and for the processor's ledger
(temporary SQLite files; new PostgreSQL databases at SETTLE_BENCH_POSTGRES_URL, default the local
server, dropped afterwards), N due invoices and one saved Visa card. A thread pool of C workers then
pays every invoice once, each under its own idempotency key; afterwards every invoice must be paid and
the ledger must hold exactly N succeeded charges, one per payment. Setup is not timed. The load and the
work (pay_invoice, the processor, the database drivers) share one Python process and its GIL.
Last line: key=value figures."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settle import db
from settle.accounts.service import add_billing_profile, add_invoice_section, add_user, create_billing_account
from settle.clock import FixedClock
from settle.invoices.model import Invoice, InvoiceLine, InvoiceStatus
from settle.invoices.store import invoices, status_condition
from settle.money import Money
from settle.payments.model import PaymentStatus, PayRequest, Succeeded
from settle.payments.paying import pay_invoice
from settle.payments.service import save_card
from settle.payments.store import payments
from settle.processor.interface import ChargeStatus
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork

POSTGRES = os.environ.get("SETTLE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VISA = "4242424242424242"  # the test card that always succeeds
CURRENCY = "EUR"


@dataclass
class Scene:
    """What one run pays with: Settle's engine, the processor, the payer, the card and the invoices."""

    engine: Engine
    processor: SimulatedProcessor
    clock: FixedClock
    payer_id: str
    card_id: str
    invoices: list[Invoice]

    def close(self) -> None:
        self.processor.close()
        self.engine.dispose()


def prepare(settle_url: str, processor_url: str, count: int) -> Scene:
    engine = db.create_engine(settle_url)
    db.upgrade(engine)
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    processor = SimulatedProcessor(processor_url, clock)
    with UnitOfWork(engine) as uow:
        payer = add_user(
            uow, clock, verified=True, email="bench@example.com", display_name="Bench", password="bench-password-long"
        )
        account = create_billing_account(uow, clock, display_name="Bench", administrator_id=payer.id)
        profile = add_billing_profile(
            uow, clock, billing_account_id=account.id, display_name="Bench", currency=CURRENCY
        )
        section = add_invoice_section(uow, clock, billing_profile_id=profile.id, display_name="Compute")
    token = processor.tokenize(VISA, 12, 2030, "123", "Bench Payer")
    with UnitOfWork(engine) as uow:
        card = save_card(uow, clock, owner_id=payer.id, token=token, linked_to=[profile.id])
    due = [_invoice(number, account.id, profile.id, section.id, clock) for number in range(count)]
    with UnitOfWork(engine) as uow:
        for start in range(0, count, 10_000):
            uow.invoices.add_many(due[start : start + 10_000])
    return Scene(engine, processor, clock, payer.id, card.id, due)


def _invoice(number: int, account_id: str, profile_id: str, section_id: str, clock: FixedClock) -> Invoice:
    day = date(2026, 2, 1)
    return Invoice.issue(
        number=f"P{number:09d}",
        billing_account_id=account_id,
        billing_profile_id=profile_id,
        currency=CURRENCY,
        invoice_date=day,
        due_date=day + timedelta(days=30),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        lines=[InvoiceLine(section_id, "Compute", Money(10_000 + number % 997, CURRENCY))],
        created_at=clock.now(),
        tax_rate=Decimal("0.21"),
    )


def pay_all(scene: Scene, concurrency: int) -> tuple[float, list[float]]:
    """Pay every invoice once with `concurrency` workers: wall-clock seconds and each payment's seconds."""

    def pay(invoice: Invoice) -> float:
        request = PayRequest(invoice.id, scene.card_id, invoice.amount_due, f"bench-{invoice.id}")
        started = time.perf_counter()
        outcome = pay_invoice(scene.engine, scene.processor, scene.clock, actor_id=scene.payer_id, request=request)
        elapsed = time.perf_counter() - started
        if not isinstance(outcome, Succeeded):
            raise RuntimeError(f"invoice {invoice.id} was not paid: {outcome!r}")
        return elapsed

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        started = time.perf_counter()
        latencies = list(pool.map(pay, scene.invoices))  # re-raises the first failure
        wall = time.perf_counter() - started
    return wall, latencies


def verify(scene: Scene) -> None:
    """Every invoice paid by exactly one succeeded payment, and the ledger holds exactly those charges."""
    count = len(scene.invoices)
    with UnitOfWork(scene.engine, write=False) as uow:
        paid_condition = status_condition(InvoiceStatus.PAID, scene.clock.now().date())
        paid = uow.connection.scalar(sa.select(sa.func.count()).select_from(invoices).where(paid_condition))
        rows = uow.connection.execute(sa.select(payments.c.id, payments.c.status)).all()
    succeeded = {row.id for row in rows if row.status == PaymentStatus.SUCCEEDED.value}
    charges = scene.processor.charges()
    charged = {charge.idempotency_key for charge in charges if charge.status is ChargeStatus.SUCCEEDED}
    total = scene.processor.total_charged(CURRENCY)
    expected = sum((invoice.amount_due for invoice in scene.invoices), Money.zero(CURRENCY))
    problems = []
    if paid != count:
        problems.append(f"{paid} of {count} invoices paid")
    if len(rows) != count or len(succeeded) != count:
        problems.append(f"{len(rows)} payments, {len(succeeded)} of them succeeded, for {count} invoices")
    if len(charges) != count or len(charged) != count:
        problems.append(f"{len(charges)} charges in the ledger, {len(charged)} of them succeeded")
    if charged != succeeded:
        problems.append("the ledger's succeeded keys are not the succeeded payments' ids")
    if total != expected:
        problems.append(f"charged {total}, not {expected}")
    if problems:
        raise SystemExit("verification failed: " + "; ".join(problems))


@contextmanager
def sqlite_urls(workdir: Path, concurrency: int) -> Iterator[tuple[str, str]]:
    run_dir = workdir / f"c{concurrency}"
    run_dir.mkdir(parents=True)
    yield f"sqlite:///{run_dir / 'settle.db'}", f"sqlite:///{run_dir / 'processor.db'}"


@contextmanager
def postgresql_urls(workdir: Path, concurrency: int) -> Iterator[tuple[str, str]]:  # noqa: ARG001 (sqlite_urls's signature: --database picks one)
    stem = f"settle_bench_{uuid.uuid4().hex[:8]}"
    names = [stem, f"{stem}_processor"]
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        settle_url, processor_url = (make_url(POSTGRES).set(database=name) for name in names)
        yield settle_url.render_as_string(hide_password=False), processor_url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


BACKENDS = {"sqlite": ("SQLite", sqlite_urls), "postgresql": ("PostgreSQL", postgresql_urls)}


def run(backend: str, concurrency: int, count: int, workdir: Path) -> list[str]:
    label, urls = BACKENDS[backend]
    with urls(workdir, concurrency) as (settle_url, processor_url):
        scene = prepare(settle_url, processor_url, count)
        try:
            wall, latencies = pay_all(scene, concurrency)
            verify(scene)
        finally:
            scene.close()
    per_second = count / wall
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    print(
        f"{label} c{concurrency}: {count} payments in {wall:.2f} s, {per_second:.0f} payments/s, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (verified)",
        flush=True,
    )
    key = f"{backend}_c{concurrency}"
    return [f"{key}_payments_per_s={per_second:.0f}", f"{key}_p50_ms={p50:.1f}", f"{key}_p99_ms={p99:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--concurrency", type=int, action="append", help="workers (repeatable; default 1 and 16)")
    args = parser.parse_args()
    if args.invoices < 2:
        parser.error("--invoices must be at least 2")
    levels = list(dict.fromkeys(args.concurrency or [1, 16]))
    if any(level < 1 for level in levels):
        parser.error("--concurrency must be at least 1")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    figures = [f"invoices={args.invoices}"]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for concurrency in levels:
                figures += run(backend, concurrency, args.invoices, Path(tmp) / backend)
    one, five, fifteen = os.getloadavg()
    print(" ".join([*figures, f"loadavg={one:.2f}/{five:.2f}/{fifteen:.2f}"]))


if __name__ == "__main__":
    main()
