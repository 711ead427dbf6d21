"""A sender killed between the SMTP server's "accepted" and the outbox's "sent"."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.notify.model import OutboxStatus
from settle.notify.sender import LEASE, send_due
from settle.notify.service import enqueue_invoices_issued, list_outbox
from settle.uow import UnitOfWork
from tests.integration.documents.billing import make_billing
from tests.integration.notify.smtp_server import smtp_server

SENDER = "Settle Billing <billing@settle.example>"
BASE = "https://billing.example"


def test_a_sender_killed_after_the_server_accepted_a_message_sends_it_again_once_with_the_same_message_id(
    engine: Engine, clock: FixedClock, tmp_path: Path, database_url: str
) -> None:
    """The design takes the at-least-once side of the line between "the server accepted it" and
    "the outbox says sent". Nothing can make those two one atomic step: the SMTP server and the
    database do not share a transaction. Marking sent first would turn this crash into a lost e-mail
    (a receipt nobody ever gets, silently); marking sent after, as Settle does, turns it into one
    more copy of the same e-mail, sent after the dead sender's lease runs out. That copy carries the
    same Message-ID (made from the outbox row's id) and Date, and is the same bytes, so mail systems
    and people can see it is one message. So: no message lost, at most one duplicate per crash."""
    billing = make_billing(engine, clock, tmp_path, language="da")
    invoices = [billing.invoice() for _ in range(3)]
    with UnitOfWork(engine) as uow:
        enqueue_invoices_issued(uow, clock, invoices)

    with smtp_server() as (inbox, port):
        url = f"smtp://127.0.0.1:{port}"
        script = Path(__file__).with_name("kill_after_send.py")
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
        args = [database_url, url, SENDER, BASE, clock.now().isoformat()]
        result = subprocess.run([sys.executable, str(script), *args], env=env, timeout=120)
        assert result.returncode == -9  # killed by SIGKILL, not finished
        assert len(inbox.received) == 1  # the server has the first message...
        with UnitOfWork(engine, write=False) as uow:
            assert [m.status for m in list_outbox(uow)] == [OutboxStatus.PENDING] * 3  # ...the outbox does not know

        assert send_due(engine, clock, url, sender=SENDER, base_url=BASE).sent == 0  # the dead sender's lease holds
        clock.advance(LEASE)
        assert send_due(engine, clock, url, sender=SENDER, base_url=BASE).sent == 3
        assert send_due(engine, clock, url, sender=SENDER, base_url=BASE).sent == 0  # nothing left to send

    copies = Counter(message["Message-ID"] for message in inbox.received)
    assert len(copies) == 3 and sorted(copies.values()) == [1, 1, 2]  # every message, one of them twice
    first, again = [m for m in inbox.received if copies[m["Message-ID"]] == 2]
    assert first.as_bytes() == again.as_bytes()
    with UnitOfWork(engine, write=False) as uow:
        assert [m.status for m in list_outbox(uow)] == [OutboxStatus.SENT] * 3
