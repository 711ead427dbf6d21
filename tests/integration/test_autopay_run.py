"""The autopay run over 1,000 due invoices paid with a mix of test cards: each good one charged exactly
once, even when the run dies half-way and is started again, and when two runners start at once;
checked against the processor's own ledger."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.clock import FixedClock, today
from settle.jobs import hold
from settle.money import Money, total
from settle.payments.autopay import AUTOPAY_JOB, AutopayReport, charge_due_invoices, run_autopay
from settle.payments.paying import reconcile
from settle.processor.interface import Charge, ChargeStatus
from settle.processor.simulated import SimulatedProcessor
from tests.integration.autopay_world import DECLINED, EXPIRED, INSUFFICIENT, VISA, Autopay
from tests.integration.factories import make_world

INVOICES = 1000
# Eight billing profiles, each paying with one card: five good ones, a decline, insufficient funds, expired.
CARDS = (VISA, VISA, DECLINED, VISA, INSUFFICIENT, VISA, EXPIRED, VISA)


class Crash(BaseException):
    """The process dies (a BaseException: nothing on the way catches it)."""


class DiesAfterCharges:
    """The processor, until the run has charged `survives` cards: then the run dies right after the
    processor charged one, before Settle recorded it (the worst moment)."""

    def __init__(self, inner: SimulatedProcessor, survives: int) -> None:
        self.inner, self.left = inner, survives

    def charge(self, token: str, amount: Money, idempotency_key: str, description: str) -> Charge:
        charge = self.inner.charge(token, amount, idempotency_key, description)
        self.left -= 1
        if self.left < 0:
            raise Crash()
        return charge

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@dataclass
class Fleet(Autopay):
    good: dict[str, Money] = field(default_factory=dict)  # the invoices paid with a good card: their totals


def _fleet(engine: Engine, clock: FixedClock, tmp_path: Path, invoices: int) -> Fleet:
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    fleet = Fleet(engine, clock, processor, make_world(engine, clock))
    for index, number in enumerate(CARDS):
        count = invoices // len(CARDS) + (1 if index < invoices % len(CARDS) else 0)
        made = fleet.invoices(fleet.profile(number), count)
        if number == VISA:
            fleet.good.update({invoice.id: invoice.total for invoice in made})
    return fleet


@pytest.fixture
def autopay(engine: Engine, clock: FixedClock, tmp_path: Path) -> Fleet:
    return _fleet(engine, clock, tmp_path, INVOICES)


def _assert_each_good_invoice_charged_exactly_once(autopay: Fleet) -> None:
    good = autopay.good
    succeeded = autopay.charges_per_invoice(ChargeStatus.SUCCEEDED)
    assert set(succeeded) == set(good) and set(succeeded.values()) == {1}  # the processor's own ledger
    assert autopay.processor.total_charged("EUR") == total(list(good.values()), "EUR")
    declined = autopay.charges_per_invoice(ChargeStatus.DECLINED)
    assert set(declined).isdisjoint(good) and set(declined.values()) == {1}  # one attempt each today
    for number in list(good)[:: len(good) // 25]:  # and Settle agrees: those are paid
        assert autopay.invoice(number).amount_due.is_zero()


def test_a_run_over_1000_invoices_charges_each_good_one_once(autopay: Fleet) -> None:
    started = time.perf_counter()
    report = autopay.run()
    elapsed = time.perf_counter() - started
    assert (report.considered, report.succeeded, report.declined, report.in_progress) == (INVOICES, 625, 375, 0)
    _assert_each_good_invoice_charged_exactly_once(autopay)
    again = autopay.run()  # the same day again: nothing new to charge
    assert (again.considered, again.succeeded, again.declined, again.not_now) == (375, 0, 0, 375)
    _assert_each_good_invoice_charged_exactly_once(autopay)
    print(f"autopay run over {INVOICES} invoices: {elapsed:.1f} s ({elapsed / INVOICES * 1000:.1f} ms an invoice)")


def test_a_runner_that_died_holding_the_lease_keeps_others_out_until_it_runs_out(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    autopay = _fleet(engine, clock, tmp_path, 40)
    dead = hold(engine, clock, AUTOPAY_JOB, timedelta(minutes=10), holder="dead-host:1:x")
    assert dead.__enter__() is not None  # taken, and never given back (the process was killed)
    assert autopay.run().busy
    clock.advance(timedelta(minutes=11))
    report = autopay.run()
    assert not report.busy and report.succeeded == len(autopay.good) == 25
    _assert_each_good_invoice_charged_exactly_once(autopay)


def _at_once(*work: object) -> list[AutopayReport]:
    """Run the callables in threads released at the same moment; their results in order."""
    start = threading.Barrier(len(work))
    results: list[AutopayReport | BaseException | None] = [None] * len(work)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work[index]()  # type: ignore[operator]
        except BaseException as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert all(isinstance(result, AutopayReport) for result in results), results
    return [result for result in results if isinstance(result, AutopayReport)]


def test_a_run_killed_half_way_then_started_again_by_two_runners_at_once_charges_nothing_twice(
    autopay: Fleet,
) -> None:
    dying = DiesAfterCharges(autopay.processor, survives=INVOICES // 2)
    with pytest.raises(Crash):
        run_autopay(autopay.engine, dying, autopay.clock)  # type: ignore[arg-type]
    assert len(autopay.processor.charges()) == INVOICES // 2 + 1  # the last one charged, not recorded
    reports = _at_once(autopay.run, autopay.run)  # the run is started again, twice, at the same moment
    assert sorted(report.busy for report in reports) == [False, True]
    restarted = next(report for report in reports if not report.busy)
    assert restarted.in_progress == 0 and restarted.succeeded + restarted.declined == INVOICES // 2 - 1
    autopay.clock.advance(timedelta(minutes=10))
    finished = reconcile(autopay.engine, autopay.processor, autopay.clock)  # as the server does each minute
    assert (finished.checked, finished.still_open) == (1, 0)  # the payment the crash left pending
    _assert_each_good_invoice_charged_exactly_once(autopay)


def test_even_two_runners_without_the_lease_charge_each_invoice_once(autopay: Fleet) -> None:
    """The lease is for efficiency: exactly once comes from the attempts' key in the database."""
    day = today(autopay.clock)

    def runner() -> AutopayReport:
        return charge_due_invoices(autopay.engine, autopay.processor, autopay.clock, day=day)

    reports = _at_once(runner, runner)
    assert sum(report.succeeded for report in reports) == 625
    assert sum(report.declined for report in reports) == INVOICES - 625
    _assert_each_good_invoice_charged_exactly_once(autopay)
