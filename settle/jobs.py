"""Holding a job's lease (settle/leases.py) while the job runs: taken at the start, renewed as the job
goes, given back at the end, each in a short transaction of its own."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from settle.clock import Clock
from settle.errors import N_, ErrorKind, SettleError
from settle.uow import UnitOfWork

log = logging.getLogger(__name__)


class LeaseLost(SettleError):
    kind = ErrorKind.CONFLICT
    code = "LeaseLost"
    message = N_("The job '{name}' stopped: its lease ran out and another runner took it over.")


def holder_name() -> str:
    """Who holds a lease: this machine and process, and a random part for each run."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class Lease:
    engine: Engine
    clock: Clock
    name: str
    holder: str
    duration: timedelta

    def renew(self) -> None:
        """Hold on for another `duration`; LeaseLost if another runner has taken over (stop then)."""
        now = self.clock.now()
        with UnitOfWork(self.engine) as uow:
            if not uow.leases.renew(self.name, self.holder, now, now + self.duration):
                raise LeaseLost(name=self.name)

    def complete(self, day: date) -> None:
        with UnitOfWork(self.engine) as uow:
            uow.leases.complete(self.name, self.holder, day)


@contextmanager
def hold(
    engine: Engine, clock: Clock, name: str, duration: timedelta, holder: str | None = None
) -> Iterator[Lease | None]:
    """The lease of job `name` for the block, or None if another runner holds it now."""
    lease = Lease(engine, clock, name, holder or holder_name(), duration)
    now = clock.now()
    with UnitOfWork(engine) as uow:
        taken = uow.leases.acquire(name, lease.holder, now, now + duration)
    if not taken:
        yield None
        return
    try:
        yield lease
    finally:
        with UnitOfWork(engine) as uow:
            uow.leases.release(name, lease.holder, clock.now())


def completed_on(engine: Engine, name: str) -> date | None:
    """The last day daily job `name` ran to the end."""
    with UnitOfWork(engine, write=False) as uow:
        return uow.leases.completed_on(name)


class SingleRunner:
    """Work that one process at a time does, round after round (the server's background loop): the first
    process to take the lease keeps it by taking it again each round; if it stops, or dies and its lease
    runs out, another takes over. Each round's jobs are safe to run twice, so a runner that overran its
    lease does no harm; the lease is there so that N workers do not all do the same work N times."""

    def __init__(self, engine: Engine, clock: Clock, name: str, duration: timedelta) -> None:
        self.engine, self.clock, self.name, self.duration = engine, clock, name, duration
        self.holder = holder_name()
        self.running = False

    def take_turn(self) -> bool:
        """True when this process is the runner for the coming round (the lease is taken or kept)."""
        now = self.clock.now()
        with UnitOfWork(self.engine) as uow:
            running = uow.leases.acquire(self.name, self.holder, now, now + self.duration)
        if running != self.running:  # logged when it changes hands, so operators see who runs it
            change = "runs" if running else "no longer runs"
            log.info("this process %s the job '%s'", change, self.name, extra={"job": self.name, "runner": self.holder})
            self.running = running
        return running

    def release(self) -> None:
        """Give the lease back (at shutdown) so another process takes over at its next round."""
        if not self.running:
            return
        with UnitOfWork(self.engine) as uow:
            uow.leases.release(self.name, self.holder, self.clock.now())
