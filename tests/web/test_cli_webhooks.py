"""`settle webhooks`: an operator registers the provider's receiver, a payment reaches it signed with
the secret shown once, and the operator lists, inspects and resends deliveries."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from settle.notify.webhooks.signature import verify
from tests.integration.notify.webhook_receiver import free_port, webhook_receiver
from tests.web.test_cli_payments import NEWEST_CONTOSO_INVOICE


def _settle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "settle.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _secret_shown(output: str) -> str:
    lines = output.splitlines()
    return lines[next(n for n, line in enumerate(lines) if line.startswith("Signing secret (shown only now")) + 1]


def test_an_operator_registers_a_receiver_that_gets_a_payment_signed_and_resends_it(tmp_path: Path) -> None:
    env = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}"}
    assert _settle(env, "db", "upgrade").returncode == 0
    assert _settle(env, "demo").returncode == 0
    refused = _settle(env, "webhooks", "add", "ftp://erp.example/hook", "--events", "invoice.paid")
    assert refused.returncode == 1 and "http:// or https://" in refused.stderr
    unknown = _settle(env, "webhooks", "add", "https://erp.example/hook", "--events", "invoice.payed")
    assert unknown.returncode == 1 and "invoice.paid" in unknown.stderr  # the events there are, listed
    with webhook_receiver() as receiver:
        added = _settle(env, "webhooks", "add", receiver.url, "--events", "invoice.paid,payment.succeeded")
        assert added.returncode == 0, added.stderr
        secret = _secret_shown(added.stdout)
        assert secret.startswith("whsec_")
        own = {**env, "ERP_HOOK_SECRET": "whsec_chosen-by-the-operator-0123456789"}
        other = _settle(own, "webhooks", "add", "https://crm.example/hook", "--events", "refund.succeeded",
                        "--secret-from-env", "ERP_HOOK_SECRET")  # fmt: skip
        assert other.returncode == 0 and "whsec_" not in other.stdout  # a secret the operator has is not shown
        listed = _settle(env, "webhooks", "list").stdout
        assert receiver.url in listed and "https://crm.example/hook" in listed and secret not in listed

        assert _settle(env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example").returncode == 0
        sent = _settle(env, "webhooks", "send")
        assert sent.returncode == 0 and "delivered 2" in sent.stdout, sent.stdout + sent.stderr
        [paid] = receiver.of_type("invoice.paid")
        assert verify(secret, paid.headers["Settle-Signature"], paid.body, datetime.now(UTC))
        assert paid.event["data"]["name"] == NEWEST_CONTOSO_INVOICE

        delivered = _settle(env, "webhooks", "deliveries", "--status", "delivered").stdout
        assert paid.delivery in delivered and "invoice.paid" in delivered
        shown = _settle(env, "webhooks", "show", paid.delivery).stdout
        assert "200" in shown and NEWEST_CONTOSO_INVOICE in shown
        resent = _settle(env, "webhooks", "resend", paid.delivery)
        assert resent.returncode == 0, resent.stderr
        assert "delivered 1" in _settle(env, "webhooks", "send").stdout
        assert len(receiver.of_type("invoice.paid")) == 2
    endpoint_id = added.stdout.split("Added webhook endpoint ")[1].split(":")[0]
    removed = _settle(env, "webhooks", "remove", endpoint_id)
    assert removed.returncode == 0 and receiver.url not in _settle(env, "webhooks", "list").stdout
    assert paid.delivery in _settle(env, "webhooks", "deliveries", "--endpoint", endpoint_id).stdout  # the log stays
    missing = _settle(env, "webhooks", "resend", "no-such-delivery")
    assert missing.returncode == 1 and "was not found" in missing.stderr


def test_the_server_s_background_round_delivers_a_payment_to_the_receiver(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}",
        "SETTLE_RECONCILE_EVERY_SECONDS": "1",
    }
    assert _settle(env, "db", "upgrade").returncode == 0
    assert _settle(env, "demo").returncode == 0
    with webhook_receiver() as receiver:
        secret = _secret_shown(_settle(env, "webhooks", "add", receiver.url, "--events", "invoice.paid").stdout)
        assert _settle(env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example").returncode == 0
        log = (tmp_path / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "settle.cli", "serve", "--port", str(free_port())],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 60
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    assert len(receiver.received) == 1, (tmp_path / "server.log").read_text()
    [paid] = receiver.received
    assert paid.headers["Settle-Event"] == "invoice.paid"
    assert verify(secret, paid.headers["Settle-Signature"], paid.body, datetime.now(UTC))
