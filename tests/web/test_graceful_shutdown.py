"""Stopping a server (SIGTERM, as systemd, Kubernetes or a deploy does) while a payment is in flight: the
server takes no new connections, finishes the payment and answers it, then shuts the application down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from settle import db, demo
from settle.access.api_tokens import create_api_token
from settle.clock import SystemClock
from settle.invoices.model import InvoiceQuery
from settle.invoices.model import InvoiceStatus as S
from settle.uow import UnitOfWork

API = {"api-version": "2024-04-01"}
CONTOSO = f"/providers/Microsoft.Billing/billingAccounts/{demo.CONTOSO}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settle(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen([sys.executable, "-m", "settle.cli", *args], env=env, stdout=sink, stderr=sink)


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, f"{url} did not come up"
            time.sleep(0.1)


def test_sigterm_lets_the_payment_in_flight_finish_then_the_server_exits(tmp_path: Path) -> None:
    processor_port, port = _free_port(), _free_port()
    base = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    ledger = {
        "SETTLE_PROCESSOR_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "SETTLE_PROCESSOR_SECRET_KEY": "sk_sim_graceful-shutdown",
    }
    processor_env = {**base, **ledger, "SETTLE_PROCESSOR_FAULTS": "slow=1.0,slow_seconds=2.0"}  # every charge: 2 s
    env = {
        **base,
        "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}",
        "SETTLE_PROCESSOR_URL": f"http://127.0.0.1:{processor_port}",
        "SETTLE_PROCESSOR_SECRET_KEY": ledger["SETTLE_PROCESSOR_SECRET_KEY"],
        "SETTLE_SECRET_KEY": "graceful-shutdown-secret-key",
        "SETTLE_RECONCILE_EVERY_SECONDS": "0",
    }
    processor = _settle(processor_env, "processor", "serve", "--port", str(processor_port), log=tmp_path / "p.log")
    server: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(f"http://127.0.0.1:{processor_port}/", processor)
        for command in (["db", "upgrade"], ["demo"]):
            assert subprocess.run([sys.executable, "-m", "settle.cli", *command], env=env).returncode == 0
        engine = db.create_engine(env["SETTLE_DATABASE_URL"])
        with UnitOfWork(engine) as uow:
            token, _ = create_api_token(uow, SystemClock(), uow.users.get_by_email("admin@contoso.example").id, "t")
            card = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
            payable = InvoiceQuery(frozenset({demo.CONTOSO_BILLING}), statuses=frozenset({S.DUE, S.PAST_DUE}))
            number = uow.invoices.page(payable, date.today())[0].id
        server = _settle(env, "serve", "--port", str(port), log=tmp_path / "s.log")
        _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        answers: list[httpx.Response] = []
        paying = threading.Thread(target=lambda: answers.append(_pay(port, token, card, number, engine)))

        paying.start()
        _wait_for_payment_in_flight(engine, number, paying)  # then the charge is under way at the (slow) processor
        server.send_signal(signal.SIGTERM)
        paying.join(timeout=30)
        exit_code = server.wait(timeout=30)

        assert [answer.status_code for answer in answers] == [200], [answer.text for answer in answers]
        assert answers[0].json()["properties"]["status"] == "Succeeded"
        assert exit_code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
        assert "Application shutdown complete" in (tmp_path / "s.log").read_text()
        with UnitOfWork(engine, write=False) as uow:
            assert uow.invoices.get(number).amount_due.is_zero()
        engine.dispose()
    finally:
        for process in (server, processor):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def _wait_for_payment_in_flight(engine: Engine, number: str, paying: threading.Thread) -> None:
    """Until the payment's first transaction has committed (however busy the machine is)."""
    deadline = time.monotonic() + 60
    while True:
        with UnitOfWork(engine, write=False) as uow:
            if uow.payments.in_flight_invoices([number]):
                return
        assert paying.is_alive() and time.monotonic() < deadline, "the payment never got under way"
        time.sleep(0.02)


def _pay(port: int, token: str, card: str | None, number: str, engine: Engine) -> httpx.Response:
    with UnitOfWork(engine, write=False) as uow:
        due = uow.invoices.get(number).amount_due.to_decimal()
    body = f'{{"paymentMethodId": "/providers/Microsoft.Billing/paymentMethods/{card}", '
    body += f'"amount": {{"currency": "EUR", "value": {due}}}}}'
    return httpx.post(
        f"http://127.0.0.1:{port}{CONTOSO}/invoices/{number}/pay",
        params=API,
        content=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "sigterm", "Content-Type": "application/json"},
        timeout=30,
    )
