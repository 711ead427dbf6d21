"""The operator's autopay and refund commands, as a person types them, on the demo data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle import db, demo
from settle.clock import SystemClock, today
from settle.invoices.model import Invoice, InvoiceQuery
from settle.uow import UnitOfWork
from tests.web.test_cli_payments import _demo, _settle


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}"}
    values.pop("SETTLE_PROCESSOR_URL", None)
    return values


def _contoso_billing(engine: Engine) -> list[Invoice]:
    with UnitOfWork(engine, write=False) as uow:
        return uow.invoices.page(InvoiceQuery(frozenset({demo.CONTOSO_BILLING}), limit=1000), today(SystemClock()))


def test_autopay_run_charges_what_is_due_by_the_date_once_and_a_payment_is_refunded(env: dict[str, str]) -> None:
    _demo(env)
    engine = db.create_engine(env["SETTLE_DATABASE_URL"])
    first_due = min(i.due_date for i in _contoso_billing(engine) if i.due_date >= today(SystemClock()))
    today_run = _settle(env, "autopay", "run")
    assert today_run.returncode == 0, today_run.stderr
    assert "0 paid" in today_run.stdout  # what was past due before autopay was on is left for Pay now
    on_due_date = _settle(env, "autopay", "run", "--date", str(first_due))
    assert on_due_date.returncode == 0 and "1 paid" in on_due_date.stdout, on_due_date.stdout
    assert "0 paid" in _settle(env, "autopay", "run", "--date", str(first_due)).stdout  # again: nothing twice
    with UnitOfWork(engine, write=False) as uow:
        numbers = [invoice.id for invoice in _contoso_billing(engine)]
        [payment] = [p for p, _ in uow.payments.with_card_brands(numbers) if p.automatic]
    refunded = _settle(env, "payments", "refund", payment.id, "--amount", "1.00", "--key", "r1")
    assert refunded.returncode == 0, refunded.stderr
    assert f"refund receipt {payment.invoice_id}-RF1" in refunded.stdout and "amount due" in refunded.stdout
    too_much = _settle(env, "payments", "refund", payment.id, "--amount", "999999.00")
    assert (
        too_much.returncode == 1 and "can still be refunded" in too_much.stderr and "Traceback" not in too_much.stderr
    )
    off = _settle(env, "autopay", "set", demo.CONTOSO_BILLING, "off", "--as", "admin@contoso.example")
    assert off.returncode == 0 and "is off" in off.stdout
    refused = _settle(env, "autopay", "set", demo.CONTOSO_BILLING, "on", "--as", "reader@contoso.example")
    assert refused.returncode == 1 and "manage_payment_methods" in refused.stderr
    engine.dispose()
