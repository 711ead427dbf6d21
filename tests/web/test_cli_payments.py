"""The operator's payment commands, as a person types them: pay, reconcile, and the processor served alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.test_health import _free_port

NEWEST_CONTOSO_INVOICE = "G000100023"  # the demo's newest Contoso Billing invoice: always Due


def _settle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "settle.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}"}
    values.pop("SETTLE_PROCESSOR_URL", None)
    return values


def _demo(env: dict[str, str]) -> None:
    assert _settle(env, "db", "upgrade").returncode == 0
    loaded = _settle(env, "demo", "--reset")
    assert loaded.returncode == 0, loaded.stderr


def test_pay_as_the_admin_pays_once_and_a_reader_is_refused(env: dict[str, str]) -> None:
    _demo(env)
    refused = _settle(env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "reader@contoso.example", "--key", "k1")
    assert refused.returncode == 1 and "pay_invoices" in refused.stderr and "Traceback" not in refused.stderr
    paid = _settle(env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example", "--key", "k2")
    assert paid.returncode == 0, paid.stderr
    assert f"receipt {NEWEST_CONTOSO_INVOICE}-R1" in paid.stdout
    amount = paid.stdout.split()[1]  # "Paid 1722.56 EUR on …": what the first request paid
    again = _settle(
        env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example", "--key", "k2", "--amount", amount
    )
    assert f"receipt {NEWEST_CONTOSO_INVOICE}-R1" in again.stdout, again.stderr  # the same request: the same receipt
    other_key = _settle(env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example", "--key", "k3")
    assert other_key.returncode == 1 and "already paid" in other_key.stderr
    shown = _settle(env, "invoices", "show", NEWEST_CONTOSO_INVOICE)
    assert "Paid" in shown.stdout
    assert "Checked 0 payment(s)" in _settle(env, "reconcile").stdout


PROCESSOR_KEY = "sk_sim_cli-tests-processor-key"


@pytest.fixture
def processor_server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    server_env = {
        **env,
        "SETTLE_PROCESSOR_DATABASE_URL": f"sqlite:///{tmp_path / 'alone-processor.db'}",
        "SETTLE_PROCESSOR_SECRET_KEY": PROCESSOR_KEY,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "settle.cli", "processor", "serve", "--port", str(port)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v1/charges/none", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the processor did not start"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_settle_pays_through_a_processor_served_alone(env: dict[str, str], processor_server: str) -> None:
    env = {**env, "SETTLE_PROCESSOR_URL": processor_server, "SETTLE_PROCESSOR_SECRET_KEY": PROCESSOR_KEY}
    _demo(env)  # the demo card is tokenised at that processor
    paid = _settle(env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example")
    assert paid.returncode == 0, paid.stderr
    assert "receipt" in paid.stdout
    anonymous = httpx.get(f"{processor_server}/v1/charges/anything", timeout=10)
    assert anonymous.status_code == 401  # served alone, it is as closed as built in


def test_a_processor_served_alone_refuses_to_start_without_a_secret_key(env: dict[str, str]) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "settle.cli", "processor", "serve", "--port", str(_free_port())],
        env={key: value for key, value in env.items() if key != "SETTLE_PROCESSOR_SECRET_KEY"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 1 and "SETTLE_PROCESSOR_SECRET_KEY" in started.stderr
    assert "Traceback" not in started.stderr


def test_settle_with_the_wrong_processor_key_charges_nothing(env: dict[str, str], processor_server: str) -> None:
    env = {**env, "SETTLE_PROCESSOR_URL": processor_server, "SETTLE_PROCESSOR_SECRET_KEY": PROCESSOR_KEY}
    _demo(env)
    unconfigured = {key: value for key, value in env.items() if key != "SETTLE_PROCESSOR_SECRET_KEY"}
    refused = _settle(unconfigured, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example")
    assert refused.returncode != 0 and "SETTLE_PROCESSOR_SECRET_KEY" in refused.stderr
    wrong = {**env, "SETTLE_PROCESSOR_SECRET_KEY": "sk_sim_guessed"}
    paid = _settle(wrong, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example")
    assert (
        "receipt" not in paid.stdout and "Paid" not in _settle(env, "invoices", "show", NEWEST_CONTOSO_INVOICE).stdout
    )
    finished = _settle(env, "reconcile", "--older-than", "0")  # with the right key the payment ends: not charged
    assert finished.returncode == 0 and "Checked 1 payment(s): 0 succeeded, 1 failed" in finished.stdout
