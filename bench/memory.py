"""Server worker memory (RSS) before and after 100,000 mixed requests: does a worker grow as it serves?

Usage: python bench/memory.py [--requests N] [--invoices M] [--workers W] [--concurrency C]
Setup: a throw-away PostgreSQL database, one billing account with M due invoices and a saved card, and
`settle serve --workers W`. The mix, C requests at a time from this process (httpx, asyncio): 35% API
invoice lists (a random status and period), 20% one invoice through the API, 20% the portal's Invoices page,
10% its Pay now blade, 5% Pay now through the API (a new invoice each time, while there are any), 5% the
portal's overview, 5% /readyz and /metrics. After a warm-up of 5% of N requests (caches, connection
pools and code paths filled) each worker's RSS is read, and again every 10% of the run and at the end.
Target (issue 9): no growth over 100,000 requests. Last line: key=value figures."""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kit import (
    ACCOUNTS,
    API_VERSION,
    add_tenant,
    load_average,
    load_invoices,
    postgres_databases,
    rss_mb,
    settle_server,
    worker_pids,
)
from settle import db
from settle.clock import SystemClock
from settle.payments.service import save_card
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STATUSES = ["Due", "OverDue", "Paid", "Void"]
METRICS_TOKEN = "bench-memory-metrics-token"  # /metrics answers only with it


class Mix:
    """One request of the mix at a time; each checks its answer."""

    def __init__(self, api: httpx.AsyncClient, portal: httpx.AsyncClient, account: str, card: str, due: list[str]):
        self.api, self.portal, self.account, self.card = api, portal, account, card
        self.unpaid = list(due)
        self.numbers = list(due)
        self.answers: dict[int, int] = {}

    async def one(self, pick: float) -> None:
        number = random.choice(self.numbers)
        base = f"{ACCOUNTS}/{self.account}"
        if pick < 0.35:
            period = {"periodStartDate": f"{random.randint(2026, 2027)}-01-01", "periodEndDate": "2031-12-31"}
            params = {"api-version": API_VERSION, "filter": f"status eq '{random.choice(STATUSES)}'", **period}
            answer = await self.api.get(f"{base}/invoices", params=params)
        elif pick < 0.55:
            answer = await self.api.get(f"{base}/invoices/{number}", params={"api-version": API_VERSION})
        elif pick < 0.75:
            answer = await self.portal.get("/billing/invoices")
        elif pick < 0.85:
            answer = await self.portal.get(f"/billing/invoices/{number}/pay")
        elif pick < 0.90 and self.unpaid:
            answer = await self._pay(base, self.unpaid.pop())
        elif pick < 0.95:
            answer = await self.portal.get("/billing")
        elif random.random() < 0.5:
            answer = await self.api.get("/readyz")
        else:
            answer = await self.api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        self.answers[answer.status_code] = self.answers.get(answer.status_code, 0) + 1
        if answer.status_code >= 400:
            raise SystemExit(f"{answer.request.url}: {answer.status_code} {answer.text[:300]}")

    async def _pay(self, base: str, number: str) -> httpx.Response:
        invoice = await self.api.get(f"{base}/invoices/{number}", params={"api-version": API_VERSION})
        due = invoice.json()["properties"]["amountDue"]["value"]
        body = f'{{"paymentMethodId": "/providers/Microsoft.Billing/paymentMethods/{self.card}", '
        body += f'"amount": {{"currency": "EUR", "value": {due}}}}}'
        return await self.api.post(
            f"{base}/invoices/{number}/pay",
            params={"api-version": API_VERSION},
            content=body,
            headers={"Idempotency-Key": f"memory-{number}", "Content-Type": "application/json"},
        )


async def sign_in(portal: httpx.AsyncClient, email: str) -> None:
    page = await portal.get("/signin")
    token = CSRF.search(page.text)
    assert token is not None
    form = {"email": email, "password": "bench-password-long", "csrf_token": token.group(1), "next": "/"}
    answer = await portal.post("/signin", data=form)
    if answer.status_code != 303:
        raise SystemExit(f"sign-in failed: {answer.status_code}")


async def run(base: str, pids: list[int], tenant_args: tuple[str, str, str, str, list[str]], args: argparse.Namespace):
    email, token, account, card, due = tenant_args
    limits = httpx.Limits(max_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as api,
        httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as portal,
    ):
        await sign_in(portal, email)
        mix = Mix(api, portal, account, card, due)
        random.seed(9)
        warm_up = args.requests // 20
        samples: list[tuple[int, list[float]]] = []
        done = 0
        started = time.perf_counter()

        async def caller(count: int) -> None:
            nonlocal done
            for _ in range(count):
                await mix.one(random.random())
                done += 1

        for stage, count in [(0, warm_up)] + [(index, args.requests // 10) for index in range(1, 11)]:
            share = count // args.concurrency
            await asyncio.gather(*(caller(share) for _ in range(args.concurrency)))
            sizes = [rss_mb(pid) for pid in pids]
            samples.append((done, sizes))
            label = "after warm-up" if stage == 0 else f"after {stage * 10}%"
            print(f"{label:>14}: {done:>7} requests, worker RSS MB {[round(size, 1) for size in sizes]}", flush=True)
        wall = time.perf_counter() - started
    return samples, wall, mix.answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with postgres_databases("", "_ledger") as (url, ledger_url):
        engine = db.create_engine(url)
        db.upgrade(engine)
        clock = SystemClock()
        tenant = add_tenant(engine, clock)
        processor = SimulatedProcessor(ledger_url, clock)
        card_token = processor.tokenize("4242424242424242", 12, datetime.now(UTC).year + 3, "123", "Bench Payer")
        processor.close()
        with UnitOfWork(engine) as uow:
            card = save_card(uow, clock, owner_id=tenant.user_id, token=card_token, linked_to=[tenant.profile_id])
        load_invoices(engine, tenant, args.invoices, first_day=datetime.now(UTC).date())
        engine.dispose()
        due = [f"B{number:09d}" for number in range(args.invoices)]
        random.Random(1).shuffle(due)
        env = {
            "SETTLE_DATABASE_URL": url,
            "SETTLE_PROCESSOR_DATABASE_URL": ledger_url,
            "SETTLE_SECRET_KEY": "m" * 40,
            "SETTLE_METRICS_TOKEN": METRICS_TOKEN,
        }
        with settle_server(env, args.workers) as (base, server):
            pids = worker_pids(server)
            tenant_args = (tenant.email, tenant.token, tenant.account_id, card.id, due)
            samples, wall, answers = asyncio.run(run(base, pids, tenant_args, args))
    (_, before), (_, middle), (_, after) = samples[0], samples[len(samples) // 2], samples[-1]
    growth = [end - start for start, end in zip(before, after, strict=True)]
    steady = [end - start for start, end in zip(middle, after, strict=True)]  # the second half: caches filled
    measured = samples[-1][0] - samples[0][0]
    print(f"answers by status: {dict(sorted(answers.items()))}; {samples[-1][0] / wall:.0f} requests/s")
    print(
        " ".join(
            [
                f"requests={samples[-1][0]}",
                f"measured_requests={measured}",
                f"workers={len(before)}",
                f"rss_before_mb={'/'.join(f'{size:.1f}' for size in before)}",
                f"rss_after_mb={'/'.join(f'{size:.1f}' for size in after)}",
                f"rss_growth_mb={'/'.join(f'{size:+.1f}' for size in growth)}",
                f"rss_growth_second_half_mb={'/'.join(f'{size:+.1f}' for size in steady)}",
                f"requests_per_s={samples[-1][0] / wall:.0f}",
                f"loadavg={load_average()}",
            ]
        )
    )


if __name__ == "__main__":
    main()
