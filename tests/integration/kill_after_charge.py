"""Run by a test as its own process: pay an invoice, and die by SIGKILL right after the processor
has charged the card and before Settle records the outcome (the window DESIGN §4 step 6 covers)."""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime

from settle import db
from settle.clock import FixedClock
from settle.money import Money
from settle.payments.model import PayRequest
from settle.payments.paying import pay_invoice
from settle.processor.interface import Charge
from settle.processor.simulated import SimulatedProcessor


class DiesAfterCharging:
    def __init__(self, inner: SimulatedProcessor) -> None:
        self.inner = inner

    def charge(self, token: str, amount: Money, idempotency_key: str, description: str) -> Charge:
        self.inner.charge(token, amount, idempotency_key, description)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def main() -> None:
    database_url, processor_url, actor_id, number, method_id, minor, currency = sys.argv[1:8]
    clock = FixedClock(datetime.fromisoformat(sys.argv[8]).astimezone(UTC))
    processor = DiesAfterCharging(SimulatedProcessor(processor_url, clock))
    request = PayRequest(number, method_id, Money(int(minor), currency), "kill-test-key")
    pay_invoice(db.create_engine(database_url), processor, clock, actor_id=actor_id, request=request)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
