"""What the fault tests share: Settle and the simulated processor as processes of their own (started,
waited for, killed), a private PostgreSQL cluster, a world of due invoices to pay, the HTTP driver's
Pay call, and the invariants of DESIGN §4 checked against Settle's tables and the processor's ledger.

Everything listens on 127.0.0.1 only. SETTLE_SOAK=1 (`make soak`) runs the longer counts."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settle import db
from settle.access.api_tokens import create_api_token
from settle.accounts.service import add_billing_profile, add_invoice_section, add_user, create_billing_account
from settle.clock import SystemClock
from settle.invoices.model import Invoice, InvoiceLine
from settle.invoices.store import invoices as invoice_rows
from settle.money import Money
from settle.payments.service import make_default_payment_method, save_card
from settle.payments.store import payments as payment_rows
from settle.processor.client import HttpProcessor
from settle.processor.interface import ChargeStatus
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork

SOAK = os.environ.get("SETTLE_SOAK", "") not in ("", "0")
VISA = "4242424242424242"  # always succeeds
DECLINED = "4000000000000002"  # always declined
SECRET_KEY = "faults-suite-secret-key-not-for-production"
PROCESSOR_SECRET_KEY = "sk_sim_faults-suite-processor-key-not-for-production"  # both sides hold it
PASSWORD = "faults-password-long-enough"
API = "api-version=2024-04-01"
SUMMARY: list[str] = []  # one line per item, written at the end of the run by conftest.py
SUMMARY_PROPERTY = "faults_summary"  # the report property that carries them to tests/conftest.py


def scaled(ci: int, soak: int) -> int:
    return soak if SOAK else ci


def summarise(item: str, trials: int, faults: int, violations: int, **figures: object) -> None:
    extra = "".join(f" {name}={value}" for name, value in figures.items())
    SUMMARY.append(f"faults: {item} trials={trials} faults={faults} violations={violations}{extra}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settle_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "settle.cli", *args]


class Service:
    """A server process of ours on 127.0.0.1: started, waited for until it answers, killed."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], port: int, logs: Path, probe: str) -> None:
        self.name, self.args, self.env, self.port, self.probe = name, list(args), env, port, probe
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        assert self.process is None or self.process.poll() is not None, f"{self.name} is running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        self.wait_until_up(timeout)

    def wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}: see {self.log_path}")
            try:
                if httpx.get(self.url + self.probe, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer within {timeout} s: see {self.log_path}")
            time.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no goodbye, no clean-up, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def server_env(database_url: str, processor_url: str, **extra: str) -> dict[str, str]:
    """A `settle` process's environment: its database, the processor served elsewhere (none: the built-in
    one), no background reconcile (the tests run `settle reconcile` themselves, after the faults)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    return {
        **env,
        "SETTLE_DATABASE_URL": database_url,
        "SETTLE_SECRET_KEY": SECRET_KEY,
        "SETTLE_PROCESSOR_SECRET_KEY": PROCESSOR_SECRET_KEY,
        "SETTLE_RECONCILE_EVERY_SECONDS": "0",
        **({"SETTLE_PROCESSOR_URL": processor_url} if processor_url else {}),
        **extra,
    }


def settle_server(name: str, database_url: str, processor_url: str, logs: Path, *args: str, **extra: str) -> Service:
    port = free_port()
    command = settle_command("serve", "--host", "127.0.0.1", "--port", str(port), *args)
    return Service(name, command, server_env(database_url, processor_url, **extra), port, logs, "/healthz")


def processor_server(ledger_url: str, logs: Path, faults: str = "", name: str = "processor") -> Service:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    env |= {
        "SETTLE_PROCESSOR_DATABASE_URL": ledger_url,
        "SETTLE_PROCESSOR_FAULTS": faults,
        "SETTLE_PROCESSOR_SECRET_KEY": PROCESSOR_SECRET_KEY,
    }
    command = settle_command("processor", "serve", "--host", "127.0.0.1", "--port", str(port))
    return Service(name, command, env, port, logs, "/v1/charges/readiness-probe")


def reconcile(database_url: str, processor_url: str) -> str:
    """`settle reconcile` as an operator runs it after an incident: every payment in flight is finished."""
    result = subprocess.run(
        settle_command("reconcile", "--older-than", "0"),
        env=server_env(database_url, processor_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# ---- A private PostgreSQL ----


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (Debian's binaries, a temporary directory, a free port),
    so that stopping it or filling its connections touches nobody else's tests."""

    def __init__(self, max_connections: int = 300) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
        if not found:
            if os.environ.get("CI"):
                raise AssertionError("CI needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)")
            pytest.skip("PostgreSQL's server binaries are not installed")
        self.bin = Path(found[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="settle-faults-pg-"))
        self.port = free_port()
        self.max_connections = max_connections
        if os.geteuid() == 0:  # initdb refuses root: the cluster is postgres's
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.root / "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} failed: {result.stdout}\n{result.stderr}")
        return result

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={self.max_connections}"
        )
        self._run("pg_ctl", "-D", str(self.root / "data"), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "stop", check=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, migrate: bool = True) -> str:
        name = f"settle_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url = self.url(name)
        if migrate:
            engine = db.create_engine(url)
            db.upgrade(engine)
            engine.dispose()
        return url

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# ---- The world the drivers pay in ----


@dataclass
class World:
    """A billing account with its owner (who pays), saved cards and due invoices, and the owner's API token."""

    database_url: str
    account_id: str
    profile_id: str
    owner_id: str
    owner_email: str
    token: str
    cards: dict[str, str]  # card number → payment method id
    invoices: dict[str, Money] = field(default_factory=dict)  # number → amount due

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def pay_path(self, number: str) -> str:
        return f"/providers/Microsoft.Billing/billingAccounts/{self.account_id}/invoices/{number}/pay?{API}"


def build_world(
    database_url: str, processor_url: str, invoices: int, cards: Sequence[str] = (VISA,), prefix: str = "F"
) -> World:
    """The owner, an account and profile in EUR, the cards (tokenised at the processor, the first the
    default) and `invoices` due invoices of different amounts."""
    clock = SystemClock()
    engine = db.create_engine(database_url)
    tokenizer = HttpProcessor(processor_url, PROCESSOR_SECRET_KEY)
    try:
        with UnitOfWork(engine) as uow:
            email = f"owner-{uuid.uuid4().hex[:8]}@faults.example"
            owner = add_user(uow, clock, verified=True, email=email, display_name="Owner", password=PASSWORD)
            account = create_billing_account(uow, clock, display_name="Faults Ltd", administrator_id=owner.id)
            profile = add_billing_profile(
                uow, clock, billing_account_id=account.id, display_name="Main", currency="EUR"
            )
            section = add_invoice_section(uow, clock, billing_profile_id=profile.id, display_name="Compute")
            token, _ = create_api_token(uow, clock, owner.id, "faults")
        world = World(database_url, account.id, profile.id, owner.id, email, token, {})
        for number in cards:
            world.cards[number] = add_saved_card(engine, tokenizer, world, number)
        with UnitOfWork(engine) as uow:
            make_default_payment_method(
                uow, clock, actor_id=owner.id, profile_id=profile.id, method_id=world.cards[cards[0]]
            )
        due = [_invoice(f"{prefix}{n:08d}", account.id, profile.id, section.id, n) for n in range(invoices)]
        with UnitOfWork(engine) as uow:
            uow.invoices.add_many(due)
        world.invoices = {invoice.id: invoice.amount_due for invoice in due}
        return world
    finally:
        tokenizer.close()
        engine.dispose()


def add_saved_card(engine: Engine, tokenizer: HttpProcessor, world: World, number: str) -> str:
    clock = SystemClock()
    token = tokenizer.tokenize(number, 12, clock.now().year + 3, "123", "Card Holder")
    with UnitOfWork(engine) as uow:
        return save_card(uow, clock, owner_id=world.owner_id, token=token, linked_to=[world.profile_id]).id


def _invoice(number: str, account_id: str, profile_id: str, section_id: str, n: int) -> Invoice:
    now = SystemClock().now()
    day = now.date() - timedelta(days=5)
    return Invoice.issue(
        number=number,
        billing_account_id=account_id,
        billing_profile_id=profile_id,
        currency="EUR",
        invoice_date=day,
        due_date=day + timedelta(days=30),
        period_start=day - timedelta(days=30),
        period_end=day - timedelta(days=1),
        lines=[InvoiceLine(section_id, "Compute", Money(1_000 + (n * 37) % 99_000, "EUR"))],
        created_at=now,
        tax_rate=Decimal("0.21"),
    )


# ---- Paying over HTTP ----


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (the connection failed or was cut)
    code: str  # the error's code, the payment's status, or the transport error's name
    message: str = ""
    retry_after: str | None = None


def pay_body(card_id: str, amount: Money) -> bytes:
    return (
        f'{{"paymentMethodId": "/providers/Microsoft.Billing/paymentMethods/{card_id}", '
        f'"amount": {{"currency": "{amount.currency}", "value": {amount.to_decimal()}}}}}'
    ).encode()


def pay(client: httpx.Client, base_url: str, world: World, number: str, card_id: str, key: str) -> Answer:
    """Press Pay now through the API: the answer as the client sees it."""
    headers = {**world.headers, "Idempotency-Key": key}
    body = pay_body(card_id, world.invoices[number])
    try:
        response = client.post(base_url + world.pay_path(number), content=body, headers=headers)
    except httpx.TransportError as error:
        return Answer(0, type(error).__name__)
    return read_answer(response)


def read_answer(response: httpx.Response) -> Answer:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    retry_after = response.headers.get("retry-after")
    if response.status_code < 400 and isinstance(body, dict) and "properties" in body:
        return Answer(response.status_code, str(body["properties"].get("status")), retry_after=retry_after)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return Answer(response.status_code, str(error.get("code")), str(error.get("message") or ""), retry_after)
    return Answer(response.status_code, "", response.text[:200], retry_after)


def unclear(answer: Answer) -> str | None:
    """Why an answer does not tell its user clearly what happened, or None if it does: a 500, an
    error without Azure's envelope and a message, or a 503 without Retry-After."""
    if answer.status == 0 or answer.status in (200, 202):
        return None
    if answer.status >= 500 and answer.status != 503:
        return f"{answer.status} {answer.code} {answer.message}"
    if not answer.code or not answer.message:
        return f"{answer.status} without the error envelope: {answer.message}"
    if answer.status == 503 and not answer.retry_after:
        return f"503 {answer.code} without Retry-After"
    return None


# ---- The invariants ----


@dataclass
class Ledger:
    """What Settle recorded and what the processor charged, side by side."""

    paid: int = 0
    payable: int = 0
    charges: int = 0
    pending: int = 0
    violations: list[str] = field(default_factory=list)


def check_invariants(world: World, ledger_url: str) -> Ledger:
    """DESIGN §4: every invoice Paid with exactly one succeeded charge, or payable with none; the sum
    of the charges is the sum of the payments Settle recorded; nothing left pending."""
    engine = db.create_engine(world.database_url)
    try:
        with engine.connect() as connection:
            numbers = list(world.invoices)
            bills = {
                row.id: row for row in connection.execute(sa.select(invoice_rows).where(invoice_rows.c.id.in_(numbers)))
            }
            rows = connection.execute(sa.select(payment_rows).where(payment_rows.c.invoice_id.in_(numbers))).all()
            everyone = set(connection.scalars(sa.select(payment_rows.c.id)))
    finally:
        engine.dispose()
    processor = SimulatedProcessor(ledger_url, SystemClock())
    try:
        charges = [charge for charge in processor.charges() if charge.status is ChargeStatus.SUCCEEDED]
    finally:
        processor.close()
    ledger = Ledger()
    if unknown := {charge.idempotency_key for charge in charges} - everyone:
        ledger.violations.append(f"{len(unknown)} charge(s) Settle has no payment for: {sorted(unknown)[:3]}")
    ours = {row.id for row in rows}  # the ledger may hold other tests' charges too
    charged = {charge.idempotency_key: charge.amount for charge in charges if charge.idempotency_key in ours}
    return _compare(world, bills, rows, charged, ledger)


def _compare(world: World, bills: dict[str, Any], rows: list[Any], charged: dict[str, Money], ledger: Ledger) -> Ledger:
    ledger.charges = len(charged)
    problems = ledger.violations
    succeeded = {row.id: row for row in rows if row.status == "succeeded"}
    ledger.pending = sum(1 for row in rows if row.status in ("pending", "requires_action"))
    if ledger.pending:
        problems.append(f"{ledger.pending} payment(s) still in flight after reconcile")
    by_invoice: dict[str, list[str]] = {}
    for row in rows:
        if row.id in charged:
            by_invoice.setdefault(row.invoice_id, []).append(row.id)
    if forgotten := set(charged) - set(succeeded):
        problems.append(f"{len(forgotten)} charge(s) recorded as not succeeded: {sorted(forgotten)[:3]}")
    if phantom := set(succeeded) - set(charged):
        problems.append(f"{len(phantom)} succeeded payment(s) without a charge: {sorted(phantom)[:3]}")
    for number, total in world.invoices.items():
        bill, charges = bills[number], by_invoice.get(number, [])
        due = Money(bill.amount_due_minor, bill.currency)
        if due.is_zero() and len(charges) == 1:
            ledger.paid += 1
        elif due == total and not charges:
            ledger.payable += 1
        else:
            problems.append(f"{number}: amount due {due} of {total} with {len(charges)} charge(s)")
    charged_sum = sum(charged.values(), Money.zero("EUR"))
    recorded_sum = sum(
        (Money(row.amount_minor, row.currency) for row in succeeded.values()),
        Money.zero("EUR"),
    )
    if charged_sum != recorded_sum:
        problems.append(f"charged {charged_sum}, Settle recorded {recorded_sum}")
    return ledger


@contextlib.contextmanager
def running(*services: Service) -> Iterator[None]:
    """Start services in order; stop them all at the end, whatever happened."""
    try:
        for service in services:
            service.start()
        yield
    finally:
        for service in reversed(services):
            service.stop()
