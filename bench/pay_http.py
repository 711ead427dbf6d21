"""Pay now through the REST API on PostgreSQL: payments per second and latency with 2 server workers, the
built-in processor in each worker (its ledger in its own PostgreSQL database), 32 callers at a time; then
pgbench (TPC-B-like) on the same PostgreSQL server with the same 32 clients, and the ratio of the two.

Usage: python bench/pay_http.py [--invoices N] [--workers W] [--concurrency C] [--pgbench-seconds S]
Setup (not timed): throw-away databases, a billing account with N due invoices, a saved Visa card and an API
token; `settle serve --workers W` in its own processes. The load generator is this process: one asyncio loop
with C connections (httpx), each paying invoice after invoice with its own Idempotency-Key. It prints its own
CPU time over the wall time of the run (well under 1.0 of its core: it was waiting for answers, not the
server waiting for it), and the CPU the server's workers and PostgreSQL used, to show where the time went.
Afterwards every invoice must be paid once and the ledger must hold exactly N succeeded charges.
Target (issue 9): payments/s at least 40% of pgbench's tps. Last line: key=value figures."""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kit import (
    ACCOUNTS,
    API_VERSION,
    add_tenant,
    cpu_seconds,
    load_average,
    load_invoices,
    percentiles,
    postgres_cpu_seconds,
    postgres_databases,
    settle_server,
    worker_pids,
)
from settle import db
from settle.clock import SystemClock
from settle.payments.model import PaymentStatus
from settle.payments.service import save_card
from settle.payments.store import payments
from settle.processor.interface import ChargeStatus
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork

VISA = "4242424242424242"


def prepare(settle_url: str, ledger_url: str, count: int) -> tuple[str, str, str, list[tuple[str, str]]]:
    """The account, its API token, the card's id, and each invoice's (number, amount due)."""
    engine = db.create_engine(settle_url)
    db.upgrade(engine)
    clock = SystemClock()
    tenant = add_tenant(engine, clock)
    processor = SimulatedProcessor(ledger_url, clock)
    token = processor.tokenize(VISA, 12, datetime.now(UTC).year + 3, "123", "Bench Payer")
    processor.close()
    with UnitOfWork(engine) as uow:
        card = save_card(uow, clock, owner_id=tenant.user_id, token=token, linked_to=[tenant.profile_id])
    # Due in the future (invoice dates from today on), so each is payable.
    load_invoices(engine, tenant, count, first_day=datetime.now(UTC).date())
    with UnitOfWork(engine, write=False) as uow:
        rows = uow.connection.execute(sa.text("SELECT id, amount_due_minor FROM invoices ORDER BY id")).all()
    engine.dispose()
    due = [(row.id, f"{row.amount_due_minor // 100}.{row.amount_due_minor % 100:02d}") for row in rows]
    return tenant.account_id, tenant.token, card.id, due


async def pay_all(
    base: str, account: str, token: str, card: str, due: list[tuple[str, str]], concurrency: int
) -> tuple[float, list[float], dict[int, int]]:
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in due:
        queue.put_nowait(item)
    latencies: list[float] = []
    answers: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    method = f"/providers/Microsoft.Billing/paymentMethods/{card}"

    async def caller(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            number, amount = queue.get_nowait()
            body = f'{{"paymentMethodId": "{method}", "amount": {{"currency": "EUR", "value": {amount}}}}}'
            started = time.perf_counter()
            response = await client.post(
                f"{ACCOUNTS}/{account}/invoices/{number}/pay",
                params={"api-version": API_VERSION},
                content=body,
                headers={**headers, "Idempotency-Key": f"bench-{number}"},
            )
            latencies.append(time.perf_counter() - started)
            answers[response.status_code] = answers.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(caller(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return wall, latencies, answers


def verify(settle_url: str, ledger_url: str, count: int) -> None:
    engine = db.create_engine(settle_url)
    with UnitOfWork(engine, write=False) as uow:
        unpaid = uow.connection.scalar(sa.text("SELECT count(*) FROM invoices WHERE amount_due_minor > 0"))
        by_status = sa.select(payments.c.status, sa.func.count()).group_by(payments.c.status)
        statuses = {status: count for status, count in uow.connection.execute(by_status)}
    engine.dispose()
    processor = SimulatedProcessor(ledger_url, SystemClock())
    charged = processor.count_charges(status=ChargeStatus.SUCCEEDED)
    processor.close()
    if unpaid or statuses != {PaymentStatus.SUCCEEDED.value: count} or charged != count:
        raise SystemExit(f"verification failed: {unpaid} unpaid, payments {statuses}, {charged} charges")


def pgbench_tps(url: str, clients: int, seconds: int, scale: int) -> float:
    """TPC-B-like transactions per second (excluding connection time) on a fresh pgbench database."""
    program = shutil.which("pgbench") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if program is None:
        raise SystemExit("pgbench not found: install postgresql-contrib (or the PostgreSQL client package)")
    parts = make_url(url)
    target = ["-h", parts.host or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    database = str(parts.database)
    subprocess.run([str(program), *target, "-i", "-q", "-s", str(scale), database], check=True, capture_output=True)
    result = subprocess.run(
        [str(program), *target, "-c", str(clients), "-j", "2", "-T", str(seconds), database],
        check=True,
        capture_output=True,
        text=True,
    )
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if found is None:
        raise SystemExit(f"no tps in pgbench's output: {result.stdout}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pgbench-seconds", type=int, default=30)
    parser.add_argument("--pgbench-scale", type=int, default=32, help="pgbench -s (at least the clients, by advice)")
    args = parser.parse_args()
    figures = [f"invoices={args.invoices}", f"workers={args.workers}", f"concurrency={args.concurrency}"]
    with postgres_databases("", "_ledger", "_pgbench") as (settle_url, ledger_url, pgbench_url):
        account, token, card, due = prepare(settle_url, ledger_url, args.invoices)
        env = {
            "SETTLE_DATABASE_URL": settle_url,
            "SETTLE_PROCESSOR_DATABASE_URL": ledger_url,
            "SETTLE_SECRET_KEY": "bench-secret-key-bench-secret-key",
        }
        with settle_server(env, args.workers) as (base, server):
            workers = worker_pids(server)
            server_cpu, postgres_cpu = sum(cpu_seconds(pid) for pid in workers), postgres_cpu_seconds()
            own_cpu = time.process_time()
            wall, latencies, answers = asyncio.run(pay_all(base, account, token, card, due, args.concurrency))
            own_cpu = time.process_time() - own_cpu
            server_cpu = sum(cpu_seconds(pid) for pid in workers) - server_cpu
            postgres_cpu = postgres_cpu_seconds() - postgres_cpu
            load = load_average()
        if answers != {200: args.invoices}:
            raise SystemExit(f"not every payment succeeded: {answers}")
        verify(settle_url, ledger_url, args.invoices)
        per_second = args.invoices / wall
        p50, p99 = percentiles(latencies)
        print(
            f"pay over HTTP: {args.invoices} payments in {wall:.1f} s, {per_second:.0f}/s, p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms (verified); CPU seconds per wall second: load generator {own_cpu / wall:.2f}, "
            f"server workers {server_cpu / wall:.2f}, PostgreSQL {postgres_cpu / wall:.2f}; load {load}",
            flush=True,
        )
        tps = pgbench_tps(pgbench_url, args.concurrency, args.pgbench_seconds, args.pgbench_scale)
        print(f"pgbench: {tps:.0f} tps (TPC-B-like, -c {args.concurrency}, {args.pgbench_seconds} s)", flush=True)
    figures += [
        f"payments_per_s={per_second:.0f}",
        f"p50_ms={p50:.1f}",
        f"p99_ms={p99:.1f}",
        f"pgbench_tps={tps:.0f}",
        f"ratio={per_second / tps:.3f}",
        f"loadgen_cpu_per_wall={own_cpu / wall:.2f}",
        f"server_cpu_per_wall={server_cpu / wall:.2f}",
        f"postgres_cpu_per_wall={postgres_cpu / wall:.2f}",
        f"loadavg={load}",
        f"date={date.today().isoformat()}",
    ]
    print(" ".join(figures))


if __name__ == "__main__":
    main()
