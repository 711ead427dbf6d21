"""Item 1, the kill storm: a driver pays a stream of invoices through the API of three `settle serve`
processes on PostgreSQL while a loop kill -9s each of them at random moments and starts it again. The
processor is a process of its own, so its ledger outlives every crash. Afterwards `settle reconcile`
runs, and DESIGN §4 must hold: each invoice Paid with exactly one charge or payable with none, the
charges adding up to the payments Settle recorded, nothing pending."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.faults.harness import (
    Answer,
    PrivatePostgres,
    Service,
    World,
    build_world,
    check_invariants,
    pay,
    processor_server,
    reconcile,
    running,
    scaled,
    settle_server,
    summarise,
    unclear,
)

KILLS = scaled(50, 500)
SERVERS = 3  # while one starts again (a second or two of imports), the others serve
PAYERS = 2
SEED = 20260315


def test_kill_storm_loses_no_payment_and_charges_none_twice(cluster: PrivatePostgres, logs: Path) -> None:
    database_url = cluster.create_database()
    ledger_url = f"sqlite:///{logs / 'ledger.db'}"
    processor = processor_server(ledger_url, logs)
    with running(processor):
        world = build_world(database_url, processor.url, invoices=scaled(1_000, 10_000), prefix="K")
        servers = [settle_server(f"settle-{n}", database_url, processor.url, logs) for n in range(SERVERS)]
        storm = Storm(servers, KILLS)
        try:
            answers = storm.run(world)
        finally:
            for server in servers:
                server.kill()
        report = reconcile(database_url, processor.url)
        ledger = check_invariants(world, ledger_url)

    unclear_answers = [why for answer in answers if (why := unclear(answer))]
    outcomes = Counter(answer.code if answer.status else "no answer" for answer in answers)
    violations = ledger.violations + unclear_answers
    summarise(
        "kill-storm",
        trials=len(answers),
        faults=storm.kills,
        violations=len(violations),
        paid=ledger.paid,
        payable=ledger.payable,
    )
    print(f"\nkill storm: {dict(outcomes)}; {report}")
    assert storm.kills >= KILLS
    assert ledger.paid > 0 and not violations, violations[:10]


class Storm:
    """Servers, each killed at a random moment after it comes up, and started again, until
    `kills` kills; meanwhile the payers pay, retrying with the same key on whichever server answers."""

    def __init__(self, servers: list[Service], kills: int) -> None:
        self.servers, self.target = servers, kills
        self.kills = 0
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.random = random.Random(SEED)

    def run(self, world: World) -> list[Answer]:
        for server in self.servers:
            server.start()
        numbers = iter(list(world.invoices))
        answers: list[Answer] = []
        killers = [threading.Thread(target=self._kill_loop, args=(server,)) for server in self.servers]
        payers = [threading.Thread(target=self._pay_loop, args=(world, numbers, answers)) for _ in range(PAYERS)]
        for thread in killers + payers:
            thread.start()
        for thread in killers:
            thread.join(timeout=600)
        self.done.set()
        for thread in payers:
            thread.join(timeout=120)
        return answers

    def _kill_loop(self, server: Service) -> None:
        while not self.done.is_set():
            with self.lock:
                wait = self.random.uniform(0.05, 0.6)
            time.sleep(wait)
            server.kill()
            with self.lock:
                self.kills += 1
                if self.kills >= self.target:
                    self.done.set()
                    return
            server.start()

    def _pay_loop(self, world: World, numbers: Iterator[str], answers: list[Answer]) -> None:
        card = next(iter(world.cards.values()))
        with httpx.Client(timeout=60) as client:
            while not self.done.is_set():
                with self.lock:
                    number = next(numbers, None)
                if number is None:
                    return
                key = uuid.uuid4().hex
                first = self.random.randrange(len(self.servers))
                for attempt in range(40):  # the same key on each retry: it never pays twice
                    server = self.servers[(first + attempt) % len(self.servers)]
                    answer = pay(client, server.url, world, number, card, key)
                    if answer.status:
                        break
                    time.sleep(0.05)
                with self.lock:
                    answers.append(answer)
