"""Invoices per second for `settle invoices import` (JSON Lines) of 1,000,000 invoices, on PostgreSQL and SQLite.

Usage: python bench/import.py [--invoices N] [--backend sqlite|postgresql|both]
Loads into a throw-away database (a temporary SQLite file; a new PostgreSQL database at
SETTLE_BENCH_POSTGRES_URL, default the local server, dropped afterwards): one billing profile, each invoice
with 2 lines, 21% tax and its total (which the import checks). The file is written first (not timed); the
time is that of the whole command, from start to exit, checks and all.
Target (issue 9): at least 20,000 invoices/s on PostgreSQL. Last line: key=value figures."""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kit import Tenant, add_tenant, load_average, postgres_cpu_seconds, postgres_databases
from settle import db
from settle.clock import FixedClock


def write_file(path: Path, tenant: Tenant, count: int) -> None:
    """`count` invoices as the rating system would send them, written as text (quickly: a million lines)."""
    first = date(2020, 1, 1)
    with path.open("w") as stream:
        for number in range(count):
            day = first + timedelta(days=number % 2000)
            compute, storage = 10_000 + number % 997, 2_000 + number % 89
            subtotal = compute + storage
            tax, rest = divmod(subtotal * 21, 100)
            if rest > 50 or (rest == 50 and tax % 2):  # half-even, as Settle rounds tax
                tax += 1
            stream.write(
                f'{{"number": "B{number:09d}", "billing_profile": "{tenant.profile_id}", '
                f'"invoice_date": "{day}", "due_date": "{day + timedelta(days=30)}", "period_start": "{day}", '
                f'"period_end": "{day + timedelta(days=27)}", "currency": "EUR", "tax_rate": "0.21", '
                f'"credits": "0.00", "total": "{_eur(subtotal + tax)}", "lines": ['
                f'{{"section": "{tenant.section_ids[0]}", "description": "Compute", "quantity": "1", '
                f'"amount": "{_eur(compute)}"}}, {{"section": "{tenant.section_ids[1]}", "description": "Storage", '
                f'"quantity": "1", "amount": "{_eur(storage)}"}}]}}\n'
            )


def _eur(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def run(url: str, count: int, workdir: Path) -> tuple[float, float, float]:
    """Wall seconds of the import, the CPU seconds its process used, and those PostgreSQL used meanwhile."""
    engine = db.create_engine(url)
    db.upgrade(engine)
    tenant = add_tenant(engine, FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
    engine.dispose()
    path = workdir / "invoices.jsonl"
    write_file(path, tenant, count)
    env = {**os.environ, "SETTLE_DATABASE_URL": url}
    cpu, database = resource.getrusage(resource.RUSAGE_CHILDREN), postgres_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "settle.cli", "invoices", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    used, database = resource.getrusage(resource.RUSAGE_CHILDREN), postgres_cpu_seconds() - database
    if result.returncode != 0 or f"Imported {count} invoice(s)" not in result.stdout:
        raise SystemExit(f"import failed: {result.stdout} {result.stderr}")
    return elapsed, (used.ru_utime - cpu.ru_utime) + (used.ru_stime - cpu.ru_stime), database


def report(backend: str, count: int, seconds: float, cpu: float, database: float | None) -> list[str]:
    """The figures, with CPU microseconds an invoice: the command's own (its ceiling on one core) and the
    database server's (PostgreSQL; SQLite's work is in the command's)."""
    rate, cpu_us = count / seconds, cpu / count * 1e6
    server = f", PostgreSQL's {database / count * 1e6:.0f} µs" if database is not None else ""
    print(
        f"{backend}: {count} invoices in {seconds:.1f} s, {rate:.0f}/s; CPU an invoice: the command's {cpu_us:.0f} µs"
        f" (at most {1e6 / cpu_us:.0f}/s on one core){server}; load {load_average()}",
        flush=True,
    )
    figures = [
        f"{backend}_seconds={seconds:.1f}",
        f"{backend}_invoices_per_s={rate:.0f}",
        f"{backend}_cpu_us={cpu_us:.0f}",
    ]
    if database is not None:
        figures.append(f"{backend}_server_cpu_us={database / count * 1e6:.0f}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    figures = [f"invoices={args.invoices}"]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.backend in ("postgresql", "both"):
            with postgres_databases("") as (url,):
                seconds, cpu, database = run(url, args.invoices, workdir)
            figures += report("postgresql", args.invoices, seconds, cpu, database)
        if args.backend in ("sqlite", "both"):
            seconds, cpu, _ = run(f"sqlite:///{workdir / 'bench.db'}", args.invoices, workdir)
            figures += report("sqlite", args.invoices, seconds, cpu, None)
    print(" ".join([*figures, f"loadavg={load_average()}"]))


if __name__ == "__main__":
    main()
