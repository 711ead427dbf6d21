"""What the benchmarks share: throw-away PostgreSQL databases, a billing account to load, Settle served by
`settle serve` in its own processes, latency percentiles and the machine's load (other work on this
2-core machine moves every figure, so each run prints it beside them)."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from settle.access.api_tokens import create_api_token
from settle.accounts.service import add_billing_profile, add_invoice_section, add_user, create_billing_account
from settle.clock import Clock
from settle.invoices.model import Invoice, InvoiceLine
from settle.money import Money
from settle.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent.parent  # the scripts put it on sys.path before importing this
POSTGRES = os.environ.get("SETTLE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
API_VERSION = "2024-04-01"
ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (2 cores: above 2 means work was waiting for a core)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def percentiles(seconds: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


@contextmanager
def postgres_databases(*suffixes: str) -> Iterator[list[str]]:
    """New, empty PostgreSQL databases (one per suffix) at SETTLE_BENCH_POSTGRES_URL, dropped afterwards."""
    stem = f"settle_bench_{uuid.uuid4().hex[:8]}"
    names = [f"{stem}{suffix}" for suffix in suffixes]
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield [make_url(POSTGRES).set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass(frozen=True)
class Tenant:
    """One billing account with one billing profile (EUR, no invoice e-mail) and two invoice sections."""

    user_id: str
    email: str
    token: str
    account_id: str
    profile_id: str
    section_ids: tuple[str, str]


def add_tenant(engine: Engine, clock: Clock, email: str = "bench@example.com") -> Tenant:
    with UnitOfWork(engine) as uow:
        owner = add_user(uow, clock, verified=True, email=email, display_name="Bench", password="bench-password-long")
        account = create_billing_account(uow, clock, display_name="Bench", administrator_id=owner.id)
        profile = add_billing_profile(uow, clock, billing_account_id=account.id, display_name="Bench", currency="EUR")
        first, second = (add_invoice_section(uow, clock, billing_profile_id=profile.id, display_name=n) for n in "AB")
        token, _ = create_api_token(uow, clock, owner.id, "bench")
    return Tenant(owner.id, email, token, account.id, profile.id, (first.id, second.id))


def invoice(number: int, tenant: Tenant, created_at: datetime, *, first_day: date = date(2020, 1, 1)) -> Invoice:
    """Invoice number `number` of the tenant: two lines, 21% tax, one a day from `first_day` on, round the
    year of 2,000 days (so a million invoices put 500 on each day)."""
    day = first_day + timedelta(days=number % 2000)
    return Invoice.issue(
        number=f"B{number:09d}",
        billing_account_id=tenant.account_id,
        billing_profile_id=tenant.profile_id,
        currency="EUR",
        invoice_date=day,
        due_date=day + timedelta(days=30),
        period_start=day,
        period_end=day + timedelta(days=27),
        lines=[
            InvoiceLine(tenant.section_ids[0], "Compute", Money(10_000 + number % 997, "EUR")),
            InvoiceLine(tenant.section_ids[1], "Storage", Money(2_000 + number % 89, "EUR")),
        ],
        created_at=created_at,
        tax_rate=Decimal("0.21"),
    )


def load_invoices(engine: Engine, tenant: Tenant, count: int, *, first_day: date = date(2020, 1, 1)) -> float:
    """Insert `count` invoices through the invoice store (COPY on PostgreSQL), 20,000 a transaction;
    returns the seconds it took."""
    created_at = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    for start in range(0, count, 20_000):
        with UnitOfWork(engine) as uow:
            uow.invoices.add_many(
                invoice(number, tenant, created_at, first_day=first_day)
                for number in range(start, min(count, start + 20_000))
            )
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def settle_server(env: dict[str, str], workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`settle serve --workers N` on a free port, until /readyz answers; stopped (SIGTERM) afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "settle.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, "SETTLE_LOG_LEVEL": "warning", **env},
        cwd=ROOT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield base, server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """The server's worker processes (uvicorn's children), or the server itself when it has none."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    pids = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    workers = [pid for pid in pids if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]  # not the tracker
    return workers or [server.pid]


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every PostgreSQL process on this machine (the bench's own server)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() in {"postgres", "postmaster"}:
                    total += cpu_seconds(int(proc.name))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")
