"""The server's background work has one runner at a time across processes (settle/jobs.py SingleRunner): the
first to take the lease keeps it round after round, the others stand by; a runner that stops gives it back
and one that dies is replaced once its lease runs out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.jobs import SingleRunner

JOB = "server.background"
LEASE = timedelta(minutes=3)


def test_the_first_runner_keeps_the_work_and_the_others_stand_by(engine: Engine, clock: FixedClock) -> None:
    first, second, third = (SingleRunner(engine, clock, JOB, LEASE) for _ in range(3))

    rounds = []
    for _ in range(3):
        rounds.append([runner.take_turn() for runner in (first, second, third)])
        clock.advance(timedelta(minutes=1))

    assert rounds == [[True, False, False]] * 3


def test_a_stopping_runner_gives_the_work_to_another_at_its_next_round(engine: Engine, clock: FixedClock) -> None:
    first, second = SingleRunner(engine, clock, JOB, LEASE), SingleRunner(engine, clock, JOB, LEASE)
    assert first.take_turn() and not second.take_turn()

    first.release()

    assert second.take_turn() and not first.take_turn()


def test_a_dead_runners_work_is_taken_over_once_its_lease_runs_out(engine: Engine, clock: FixedClock) -> None:
    dead, alive = SingleRunner(engine, clock, JOB, LEASE), SingleRunner(engine, clock, JOB, LEASE)
    assert dead.take_turn()

    clock.advance(LEASE - timedelta(seconds=1))
    before = alive.take_turn()
    clock.advance(timedelta(seconds=1))
    after = alive.take_turn()

    assert (before, after) == (False, True)
