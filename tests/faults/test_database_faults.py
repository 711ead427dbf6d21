"""Item 3, database faults: PostgreSQL (a private cluster: the machine's own serves other tests) stops in
the middle of a load of payments, API reads and portal pages, and starts again. While it is down every
answer is a clean 503 with Retry-After (Azure's envelope in the API, a page in the portal), never a
500; the server recovers by itself when the database is back (pool pre-ping); no payment is lost."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.faults.harness import (
    API,
    PASSWORD,
    Answer,
    PrivatePostgres,
    World,
    build_world,
    check_invariants,
    pay,
    processor_server,
    read_answer,
    reconcile,
    running,
    scaled,
    settle_server,
    summarise,
    unclear,
)

OUTAGE_SECONDS = scaled(4, 20)
CLIENTS = 6
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Seen:
    kind: str  # pay, read, page
    started: float
    ended: float
    answer: Answer


@pytest.fixture
def own_cluster() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres(max_connections=100)
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.destroy()


def test_database_restart_mid_load_answers_503_and_recovers_without_losing_a_payment(
    own_cluster: PrivatePostgres, logs: Path
) -> None:
    database_url = own_cluster.create_database()
    ledger_url = f"sqlite:///{logs / 'ledger.db'}"  # the processor's ledger is not in the database that stops
    processor = processor_server(ledger_url, logs)
    server = settle_server("settle", database_url, processor.url, logs)
    with running(processor, server):
        world = build_world(database_url, processor.url, invoices=scaled(1_500, 15_000), prefix="D")
        load = Load(server.url, world)
        load.start()
        time.sleep(2)
        stopped = time.monotonic()
        own_cluster.stop("fast")
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        back = time.monotonic()
        own_cluster.start()
        started = time.monotonic()
        recovered = load.wait_for_success(after=started, timeout=30)
        time.sleep(2)
        load.stop()
        # Payments the outage interrupted are finished as an operator would, then nothing may be lost.
        report = reconcile(database_url, processor.url)
    ledger = check_invariants(world, ledger_url)

    during = [seen for seen in load.seen if seen.started >= down and seen.ended <= back]
    wrong_during = [seen for seen in during if seen.answer.status != 503 or not seen.answer.retry_after]
    unclear_answers = [f"{seen.kind}: {why}" for seen in load.seen if (why := unclear(seen.answer))]
    violations = ledger.violations + unclear_answers + [f"during the outage: {seen}" for seen in wrong_during]
    summarise(
        "database-faults",
        trials=len(load.seen),
        faults=1,
        violations=len(violations),
        outage_answers=len(during),
        recovered_s=f"{recovered - started:.1f}",
    )
    print(
        f"\ndatabase faults: stop took {down - stopped:.1f} s, {len(during)} answers while down; "
        f"{Counter((seen.kind, seen.answer.status) for seen in load.seen)}; recovered {recovered - started:.1f} s "
        f"after the restart; {report}"
    )
    assert len(during) >= 10 and {seen.kind for seen in during} == {"pay", "read", "page"}
    assert not violations, violations[:10]
    assert ledger.paid > 0


class Load:
    """Clients paying invoices (retrying with the same key until the answer is final), reading the API
    and opening the portal's invoices page, until stopped; every answer is kept with its timing."""

    def __init__(self, base_url: str, world: World) -> None:
        self.base_url, self.world = base_url, world
        self.seen: list[Seen] = []
        self.numbers = iter(list(world.invoices))
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(n,)) for n in range(CLIENTS)]
        self.cookies = _portal_session(base_url, world)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def wait_for_success(self, after: float, timeout: float) -> float:
        """When every kind of request succeeded again after the database came back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                fine = {seen.kind for seen in self.seen if seen.started > after and seen.answer.status in (200, 202)}
                if fine == {"pay", "read", "page"}:
                    return max(seen.ended for seen in self.seen)
            time.sleep(0.1)
        raise AssertionError(f"the server did not recover within {timeout} s of the database's restart")

    def _client(self, n: int) -> None:
        card = next(iter(self.world.cards.values()))
        with httpx.Client(timeout=60, cookies=self.cookies) as client:
            number, key = None, ""
            turn = 0
            while not self.stopping.is_set():
                turn += 1
                kind = ("pay", "pay", "read", "page")[(turn + n) % 4]
                started = time.monotonic()
                if kind == "pay":
                    if number is None:
                        with self.lock:
                            number, key = next(self.numbers), uuid.uuid4().hex
                    answer = pay(client, self.base_url, self.world, number, card, key)
                    if answer.status not in (0, 503):  # final (or a payment the reconcile finishes): next one
                        number = None
                elif kind == "read":
                    answer = self._read(client)
                else:
                    answer = self._page(client)
                with self.lock:
                    self.seen.append(Seen(kind, started, time.monotonic(), answer))
                time.sleep(0.01)

    def _read(self, client: httpx.Client) -> Answer:
        path = f"/providers/Microsoft.Billing/billingAccounts/{self.world.account_id}/invoices?{API}"
        period = "&periodStartDate=2020-01-01&periodEndDate=2030-12-31"
        try:
            return read_answer(client.get(self.base_url + path + period, headers=self.world.headers))
        except httpx.TransportError as error:
            return Answer(0, type(error).__name__)

    def _page(self, client: httpx.Client) -> Answer:
        try:
            response = client.get(f"{self.base_url}/billing/invoices")
        except httpx.TransportError as error:
            return Answer(0, type(error).__name__)
        if response.status_code == 200:
            return Answer(200, "page")
        html = "text/html" in response.headers.get("content-type", "")
        retry_after = response.headers.get("retry-after")
        return Answer(response.status_code, "page" if html else "", "page" if html else "", retry_after)


def _portal_session(base_url: str, world: World) -> dict[str, str]:
    """Sign in to the portal as the world's owner: the cookies of the session."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = CSRF.search(client.get("/signin").text)
        assert token is not None
        form = {"email": world.owner_email, "password": PASSWORD, "next": "/", "csrf_token": token.group(1)}
        signed_in = client.post("/signin", data=form)
        assert signed_in.status_code == 303, signed_in.text
        return dict(client.cookies)
