"""Listing invoices over HTTP in a billing account holding 1,000,000 of them: the first page of 50 by status and
date range, and page 1,000 of the same query (keyset paging: the nextLink's token carries the last row seen).

Usage: python bench/list_invoices.py [--invoices N] [--requests R] [--concurrency C] [--workers W]
Setup (timed apart, not part of the figures): a throw-away PostgreSQL database, one billing account and
profile, N invoices over 2,000 days (COPY through the invoice store), nine in ten of them paid; the rest
past due. `settle serve --workers W` in its own processes. For each status (Paid: 90% of the rows, OverDue:
10%) the nextLinks are followed to page 1,000 (fewer if the list is shorter); then R requests of the first
page and R of that page are timed, C at a time, from this process (httpx, asyncio).
Target (issue 9): p99 ≤ 25 ms for any page. Last line: key=value figures."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kit import (
    ACCOUNTS,
    API_VERSION,
    Tenant,
    add_tenant,
    invoice,
    load_average,
    percentiles,
    postgres_databases,
    settle_server,
)
from settle import db
from settle.clock import SystemClock
from settle.money import Money
from settle.uow import UnitOfWork

FIRST_DAY = date(2021, 1, 1)  # 2,000 days: to mid-2026, every due date passed
PERIOD = {"periodStartDate": "2021-06-01", "periodEndDate": "2026-05-31"}


def load(url: str, count: int) -> tuple[Tenant, float]:
    engine = db.create_engine(url)
    db.upgrade(engine)
    tenant = add_tenant(engine, SystemClock())
    created_at = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    for start in range(0, count, 20_000):
        batch = []
        for number in range(start, min(count, start + 20_000)):
            bill = invoice(number, tenant, created_at, first_day=FIRST_DAY)
            batch.append(bill if number % 10 == 0 else replace(bill, amount_due=Money.zero("EUR")))
        with UnitOfWork(engine) as uow:
            uow.invoices.add_many(batch)
    with engine.begin() as connection:  # fresh statistics, as autovacuum's analyze would leave them
        connection.exec_driver_sql("ANALYZE")
    seconds = time.perf_counter() - started
    engine.dispose()
    return tenant, seconds


async def page_url(client: httpx.AsyncClient, path: str, params: dict[str, str], page: int) -> tuple[str, int]:
    """The URL of page `page` (or of the last page, if there are fewer), following nextLinks."""
    url = httpx.URL(path, params=params)
    reached = 1
    while reached < page:
        answer = await client.get(url)
        answer.raise_for_status()
        next_link = answer.json().get("nextLink")
        if not next_link:
            break
        url, reached = httpx.URL(next_link), reached + 1
    return str(url), reached


async def timed(client: httpx.AsyncClient, url: str, count: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = iter(range(count))

    async def caller() -> None:
        for _ in remaining:
            started = time.perf_counter()
            answer = await client.get(url)
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200 or len(answer.json()["value"]) != 50:
                raise SystemExit(f"{url}: {answer.status_code} {answer.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def measure(base: str, tenant: Tenant, requests: int, concurrency: int) -> list[str]:
    figures = []
    headers = {"Authorization": f"Bearer {tenant.token}"}
    path = f"{ACCOUNTS}/{tenant.account_id}/invoices"
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        for status in ("Paid", "OverDue"):
            params = {"api-version": API_VERSION, "filter": f"status eq '{status}'", "top": "50", **PERIOD}
            first = str(httpx.URL(path, params=params))
            deep, reached = await page_url(client, path, params, 1000)
            await timed(client, first, 20, concurrency)  # warm: connections, caches
            for name, url in (("first", first), (f"page{reached}", deep)):
                wall, latencies = await timed(client, url, requests, concurrency)
                p50, p99 = percentiles(latencies)
                key = f"{status.lower()}_{name}"
                print(
                    f"{status} {name}: {requests / wall:.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
                    f"load {load_average()}",
                    flush=True,
                )
                figures += [f"{key}_per_s={requests / wall:.0f}", f"{key}_p50_ms={p50:.1f}", f"{key}_p99_ms={p99:.1f}"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with postgres_databases("", "_ledger") as (url, ledger_url):
        tenant, seconds = load(url, args.invoices)
        print(f"loaded {args.invoices} invoices in {seconds:.1f} s ({args.invoices / seconds:.0f}/s)", flush=True)
        env = {"SETTLE_DATABASE_URL": url, "SETTLE_PROCESSOR_DATABASE_URL": ledger_url, "SETTLE_SECRET_KEY": "b" * 40}
        with settle_server(env, args.workers) as (base, _server):
            figures = asyncio.run(measure(base, tenant, args.requests, args.concurrency))
    print(
        " ".join(
            [
                f"invoices={args.invoices}",
                f"concurrency={args.concurrency}",
                f"load_invoices_per_s={args.invoices / seconds:.0f}",
                *figures,
                f"loadavg={load_average()}",
            ]
        )
    )


if __name__ == "__main__":
    main()
