"""Two Settle servers on one PostgreSQL, as behind a load balancer (one of them with two workers): a sign-in
made on one works on the other, failed sign-ins count across both, a payment made on one is the same payment
on the other, and the background work (reconcile, payment jobs, mail) has one runner at a time, which
another server takes over when it stops."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from settle import db, demo
from settle.access.api_tokens import create_api_token
from settle.clock import SystemClock
from settle.uow import UnitOfWork
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.postgres

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
API = {"api-version": "2024-04-01"}
ADMIN = "admin@contoso.example"
METRICS_TOKEN = "two-servers-metrics-token"
CONTOSO = f"/providers/Microsoft.Billing/billingAccounts/{demo.CONTOSO}"


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """A database for Settle and one for the processor's ledger, both shared by the two servers."""
    if not POSTGRES_URL:
        pytest.skip("SETTLE_TEST_POSTGRES_URL is not set")
    stem = f"settle_two_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    names = [stem, f"{stem}_ledger"]
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    urls = [make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False) for name in names]
    yield urls[0], urls[1]
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(env: dict[str, str], log: Path, workers: int) -> Server:
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "settle.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{server.base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.process.poll() is None, server.log.read_text()
        assert time.monotonic() < deadline, "the server did not get ready"
        time.sleep(0.2)


@pytest.fixture
def servers(databases: tuple[str, str], tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    settle_url, ledger_url = databases
    env = {
        **os.environ,
        "SETTLE_DATABASE_URL": settle_url,
        "SETTLE_PROCESSOR_DATABASE_URL": ledger_url,
        "SETTLE_SECRET_KEY": "two-servers-share-this-secret-key",
        "SETTLE_RECONCILE_EVERY_SECONDS": "1",
        "SETTLE_LOG_LEVEL": "info",
        "SETTLE_METRICS_TOKEN": METRICS_TOKEN,
        "SETTLE_PROCESSOR_SECRET_KEY": "sk_sim_two-servers-share-this-processor-key",
    }
    for command in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([sys.executable, "-m", "settle.cli", *command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    first, second = _start(env, tmp_path / "a.log", 1), _start(env, tmp_path / "b.log", 2)
    try:
        _wait_ready(first)
        _wait_ready(second)
        yield first, second
    finally:
        first.stop()
        second.stop()


def _csrf(client: httpx.Client) -> str:
    found = CSRF.search(client.get("/signin").text)
    assert found is not None
    return found.group(1)


def _sign_in(client: httpx.Client, password: str) -> httpx.Response:
    form = {"email": ADMIN, "password": password, "next": "/", "csrf_token": _csrf(client)}
    return client.post("/signin", data=form)


def test_a_sign_in_on_one_server_works_on_the_other(servers: tuple[Server, Server]) -> None:
    first, second = servers
    with httpx.Client(base_url=first.base) as on_first, httpx.Client(base_url=second.base) as on_second:
        assert _sign_in(on_first, demo.PASSWORD).status_code == 303
        on_second.cookies = on_first.cookies
        page = on_second.get("/billing/invoices")
        signed_out = httpx.get(f"{second.base}/billing/invoices")

    assert page.status_code == 200 and "G0001" in page.text
    assert signed_out.status_code == 303  # without the cookie: to the sign-in page


def test_failed_sign_ins_count_across_both_servers(servers: tuple[Server, Server]) -> None:
    first, second = servers
    with httpx.Client(base_url=first.base) as on_first, httpx.Client(base_url=second.base) as on_second:
        failures = [_sign_in(client, "wrong-password").status_code for client in (on_first, on_second) * 2]
        failures.append(_sign_in(on_first, "wrong-password").status_code)
        throttled = _sign_in(on_second, demo.PASSWORD)

    assert all(status in (400, 401) for status in failures), failures
    assert throttled.status_code == 429  # the sixth attempt, even with the right password
    assert int(throttled.headers["Retry-After"]) > 0


def test_a_payment_made_on_one_server_is_the_same_payment_on_the_other(
    servers: tuple[Server, Server], databases: tuple[str, str]
) -> None:
    first, second = servers
    engine = db.create_engine(databases[0])
    with UnitOfWork(engine) as uow:
        token, _ = create_api_token(uow, SystemClock(), uow.users.get_by_email(ADMIN).id, "two servers")
        card = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
    engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(
        f"{first.base}{CONTOSO}/billingProfiles/{demo.CONTOSO_BILLING}/invoices",
        params={**API, "filter": "status eq 'Due'"},
        headers=headers,
    ).json()["value"]
    invoice = next(bill for bill in listed if bill["properties"]["amountDue"]["value"] > 0)
    due = invoice["properties"]["amountDue"]["value"]
    body = {
        "paymentMethodId": f"/providers/Microsoft.Billing/paymentMethods/{card}",
        "amount": {"currency": "EUR", "value": due},
    }

    def pay(server: Server, key: str) -> httpx.Response:
        return httpx.post(
            f"{server.base}{CONTOSO}/invoices/{invoice['name']}/pay",
            params=API,
            json=body,
            headers={**headers, "Idempotency-Key": key},
            timeout=30,
        )

    paid, again, other_key = pay(first, "two-servers-1"), pay(second, "two-servers-1"), pay(second, "two-servers-2")
    seen = httpx.get(f"{second.base}{CONTOSO}/invoices/{invoice['name']}", params=API, headers=headers).json()

    assert paid.status_code == 200 and paid.json()["properties"]["status"] == "Succeeded"
    assert (again.status_code, again.json()["name"]) == (200, paid.json()["name"])  # the stored answer
    assert (other_key.status_code, other_key.json()["error"]["code"]) == (409, "AlreadyPaid")
    assert seen["properties"]["status"] == "Paid" and seen["properties"]["amountDue"]["value"] == 0
    assert [
        entry["properties"]["paymentId"] if "paymentId" in entry.get("properties", {}) else None for entry in []
    ] == []


def _readyz_count(server: Server) -> float:
    text = httpx.get(f"{server.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    found = re.search(r'settle_http_requests_total\{method="GET",route="/readyz",status="200"\} ([\d.]+)', text)
    return float(found.group(1)) if found else 0.0


def test_the_metrics_of_a_servers_two_workers_add_up(servers: tuple[Server, Server]) -> None:
    _, two_workers = servers
    before = _readyz_count(two_workers)
    with httpx.Client(base_url=two_workers.base) as client:  # each request on a new connection: either worker
        for _ in range(12):
            assert client.get("/readyz", headers={"Connection": "close"}).status_code == 200

    assert _readyz_count(two_workers) - before == 12


def _runners(server: Server) -> list[tuple[str, str]]:
    """(runner, "runs" or "no longer runs") as the server's processes logged them, in order."""
    return [
        (entry["runner"], entry["message"].split(" the job")[0].removeprefix("this process "))
        for entry in server.log_entries()
        if entry.get("job") == "server.background"
    ]


def test_the_background_work_has_one_runner_at_a_time_and_another_takes_over(
    servers: tuple[Server, Server], databases: tuple[str, str]
) -> None:
    first, second = servers
    deadline = time.monotonic() + 60
    while not any(change == "runs" for server in servers for _, change in _runners(server)):
        assert time.monotonic() < deadline, "no server took the background work"  # however busy the machine is
        time.sleep(0.2)
    time.sleep(4)  # then a few rounds of every process (one a second): still that one runner
    started = {runner for server in servers for runner, change in _runners(server) if change == "runs"}
    engine = db.create_engine(databases[0])
    with engine.connect() as connection:
        holder = connection.scalar(sa.text("SELECT holder FROM job_leases WHERE name = 'server.background'"))

    assert len(started) == 1, started  # three processes, one runner
    assert started == {holder}
    running, waiting = (first, second) if any(runner == holder for runner, _ in _runners(first)) else (second, first)

    running.stop()  # gives the lease back on its way out
    deadline = time.monotonic() + 15
    while not any(change == "runs" for _, change in _runners(waiting)):
        assert time.monotonic() < deadline, "no other server took the background work over"
        time.sleep(0.5)
    with engine.connect() as connection:
        successor = connection.scalar(sa.text("SELECT holder FROM job_leases WHERE name = 'server.background'"))
    engine.dispose()
    assert successor != holder
    assert {runner for runner, change in _runners(waiting) if change == "runs"} == {successor}
