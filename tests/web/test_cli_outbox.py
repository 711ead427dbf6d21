"""`settle outbox`: an operator sees the mail a payment wrote, and sends it to a real SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.notify.smtp_server import smtp_server
from tests.web.test_cli_payments import NEWEST_CONTOSO_INVOICE


def _settle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "settle.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_mail_waits_in_the_outbox_until_smtp_is_configured_then_goes_out(tmp_path: Path) -> None:
    env = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}"}
    env.pop("SETTLE_SMTP_URL", None)
    assert _settle(env, "db", "upgrade").returncode == 0
    assert _settle(env, "demo").returncode == 0
    paid = _settle(env, "pay", NEWEST_CONTOSO_INVOICE, "--as", "admin@contoso.example")
    assert paid.returncode == 0, paid.stderr
    waiting = _settle(env, "outbox", "send")
    assert "SETTLE_SMTP_URL is not set" in waiting.stdout
    listed = _settle(env, "outbox", "list", "--status", "pending")
    assert listed.stdout.count("payment_succeeded") == 2  # the payer and accounts payable
    assert "invoice_past_due" in listed.stdout  # Contoso's past-due invoice, noticed once
    with smtp_server() as (inbox, port):
        sent = _settle({**env, "SETTLE_SMTP_URL": f"smtp://127.0.0.1:{port}"}, "outbox", "send")
        assert sent.returncode == 0, sent.stderr
        assert "failed 0" in sent.stdout
        assert len(inbox.received) >= 3
    still_waiting = _settle(env, "outbox", "list", "--status", "pending").stdout
    assert "payment_succeeded" not in still_waiting and "invoice_past_due" not in still_waiting
