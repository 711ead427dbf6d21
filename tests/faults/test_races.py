"""Item 4, races, against two `settle serve` processes on one PostgreSQL database: 200 Pay now presses on
one invoice at once (one charge); a card removed while it pays (no charge with a removed card, or the
removal refused); a payer's role removed while their payments are in flight (the permission checked
inside transaction A wins)."""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from settle import db
from settle.access.api_tokens import create_api_token
from settle.access.model import Role, Scope
from settle.access.roles import add_role_assignment, remove_role_assignment
from settle.access.store import audit_events
from settle.accounts.service import add_user
from settle.clock import SystemClock
from settle.payments.store import payment_methods, payments
from settle.processor.client import HttpProcessor
from settle.processor.simulated import SimulatedProcessor
from settle.processor.store import charges
from settle.uow import UnitOfWork
from tests.faults.harness import (
    API,
    PASSWORD,
    PROCESSOR_SECRET_KEY,
    Answer,
    PrivatePostgres,
    Service,
    World,
    add_saved_card,
    build_world,
    check_invariants,
    pay,
    processor_server,
    read_answer,
    scaled,
    settle_server,
    summarise,
    unclear,
)

PRESSES = 200
ROUNDS = scaled(40, 400)
ROLE_PAYMENTS = scaled(60, 600)


@dataclass
class Stage:
    world: World
    processor: Service
    servers: list[Service]
    ledger_url: str


@pytest.fixture(scope="module")
def stage(cluster: PrivatePostgres) -> Iterator[Stage]:
    logs = Path(tempfile.mkdtemp(prefix="settle-faults-races-"))
    database_url = cluster.create_database()
    ledger_url = f"sqlite:///{logs / 'ledger.db'}"
    processor = processor_server(ledger_url, logs)
    servers = [settle_server(f"settle-{n}", database_url, processor.url, logs) for n in (1, 2)]
    try:
        for service in (processor, *servers):
            service.start()
        world = build_world(database_url, processor.url, invoices=1 + ROUNDS + ROLE_PAYMENTS, prefix="R")
        yield Stage(world, processor, servers, ledger_url)
    finally:
        for service in (*servers, processor):
            service.stop()
    shutil.rmtree(logs, ignore_errors=True)


def test_two_hundred_concurrent_pay_now_presses_on_one_invoice_charge_it_once(stage: Stage) -> None:
    world, number = stage.world, next(iter(stage.world.invoices))
    card = next(iter(world.cards.values()))
    start = threading.Barrier(PRESSES)

    def press(n: int) -> Answer:
        with httpx.Client(timeout=120) as client:
            start.wait()
            return pay(client, stage.servers[n % 2].url, world, number, card, f"press-{n}-{uuid.uuid4().hex}")

    with ThreadPoolExecutor(max_workers=PRESSES) as pool:
        answers = list(pool.map(press, range(PRESSES)))

    statuses = Counter((answer.status, answer.code) for answer in answers)
    charges = _charges_for(stage, world, [number])
    violations = [why for answer in answers if (why := unclear(answer))]
    if statuses[(200, "Succeeded")] != 1 or len(charges) != 1:
        violations.append(f"{len(charges)} charges, answers {dict(statuses)}")
    violations += [f"{s} {c}" for (s, c) in statuses if s != 409 and (s, c) != (200, "Succeeded")]
    summarise("races-pay-now", trials=PRESSES, faults=PRESSES - 1, violations=len(violations))
    assert not violations, violations


def test_removing_a_card_while_it_pays_never_leaves_a_charge_after_the_removal(stage: Stage) -> None:
    """Each round: a new card, and at the same moment Pay now with it (one server) and its removal
    (the other). Either the removal comes first and the payment is refused, or the payment does and the
    removal is refused while it is in flight, or the payment ended before the removal began."""
    world = stage.world
    numbers = list(world.invoices)[1 : 1 + ROUNDS]
    jitter = random.Random(3)
    tokenizer = HttpProcessor(stage.processor.url, PROCESSOR_SECRET_KEY)
    engine = db.create_engine(world.database_url)
    outcomes: Counter[str] = Counter()
    cards: dict[str, str] = {}
    try:
        for number in numbers:
            card = add_saved_card(engine, tokenizer, world, "4242424242424242")
            cards[number] = card
            paid, removed = _race(stage, number, card, delay=jitter.uniform(0, 0.03))
            outcomes[f"pay {paid.status} {paid.code} / remove {removed.status} {removed.code}"] += 1
        removed_at = _removal_times(engine, list(cards.values()))
        charged_after = _charged_after_removal(stage, engine, removed_at)
    finally:
        tokenizer.close()
        engine.dispose()

    ledger = check_invariants(world, stage.ledger_url)
    violations = [*charged_after, *ledger.violations]
    summarise("races-remove-card", trials=len(numbers), faults=len(numbers), violations=len(violations))
    print(f"\ncard removal races: {dict(outcomes)}")
    assert not violations, (violations[:10], dict(outcomes))


def _race(stage: Stage, number: str, card: str, delay: float) -> tuple[Answer, Answer]:
    world = stage.world
    start = threading.Barrier(2)

    def paying() -> Answer:
        with httpx.Client(timeout=60) as client:
            start.wait()
            return pay(client, stage.servers[0].url, world, number, card, uuid.uuid4().hex)

    def removing() -> Answer:
        path = f"/providers/Microsoft.Billing/paymentMethods/{card}?{API}"
        with httpx.Client(timeout=60) as client:
            start.wait()
            time.sleep(delay)
            response = client.delete(stage.servers[1].url + path, headers=world.headers)
        return Answer(204, "Removed") if response.status_code == 204 else read_answer(response)

    with ThreadPoolExecutor(max_workers=2) as pool:
        paid, removed = pool.submit(paying), pool.submit(removing)
        return paid.result(), removed.result()


def _removal_times(engine: sa.Engine, cards: list[str]) -> dict[str, datetime]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(payment_methods.c.id, payment_methods.c.removed_at).where(payment_methods.c.id.in_(cards))
        ).all()
    return {row.id: row.removed_at for row in rows if row.removed_at is not None}


def _charged_after_removal(stage: Stage, engine: sa.Engine, removed_at: dict[str, datetime]) -> list[str]:
    """A charge the processor made with a card after Settle had removed it."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(payments.c.id, payments.c.payment_method_id).where(
                payments.c.payment_method_id.in_(list(removed_at))
            )
        ).all()
    by_key = {row.id: row.payment_method_id for row in rows}
    ledger = db.create_engine(stage.ledger_url)  # the charges' own times, which a Charge leaves out
    try:
        with ledger.connect() as connection:
            charged = connection.execute(sa.select(charges.c.idempotency_key, charges.c.created_at)).all()
    finally:
        ledger.dispose()
    return [
        f"payment {key} charged {moment} with card {by_key[key]} removed {removed_at[by_key[key]]}"
        for key, moment in charged
        if key in by_key and moment > removed_at[by_key[key]]
    ]


def test_a_role_removed_while_payments_are_in_flight_the_check_in_transaction_a_wins(stage: Stage) -> None:
    """A contributor pays invoices one after another, several at once, while the owner removes their
    role. Each payment whose transaction A ran before the removal goes through to the charge, even if
    the charge comes after the removal; every later one is refused (404: the invoice is out of sight)
    and leaves no payment behind. Nothing is left half done."""
    world = stage.world
    numbers = list(world.invoices)[1 + ROUNDS :]
    engine = db.create_engine(world.database_url)
    clock = SystemClock()
    with UnitOfWork(engine) as uow:
        email = f"contributor-{uuid.uuid4().hex[:6]}@faults.example"
        contributor = add_user(uow, clock, verified=True, email=email, display_name="Contributor", password=PASSWORD)
        granted = add_role_assignment(
            uow, clock, world.owner_id, email, Role.BILLING_ACCOUNT_CONTRIBUTOR, Scope(world.account_id)
        )
        token, _ = create_api_token(uow, clock, contributor.id, "races")
    payer = World(world.database_url, world.account_id, world.profile_id, contributor.id, email, token, world.cards)
    payer.invoices = {number: world.invoices[number] for number in numbers}
    card = next(iter(world.cards.values()))
    queue = iter(numbers)
    lock = threading.Lock()
    answers: list[tuple[str, Answer]] = []

    def paying(n: int) -> None:
        with httpx.Client(timeout=60) as client:
            while True:
                with lock:
                    number = next(queue, None)
                if number is None:
                    return
                answer = pay(client, stage.servers[n % 2].url, payer, number, card, uuid.uuid4().hex)
                with lock:
                    answers.append((number, answer))

    threads = [threading.Thread(target=paying, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    while len(answers) < len(numbers) // 3:
        time.sleep(0.01)
    with UnitOfWork(engine) as uow:
        remove_role_assignment(uow, clock, world.owner_id, granted.id)  # type: ignore[union-attr]
    for thread in threads:
        thread.join(timeout=120)
    with httpx.Client(timeout=60) as client:  # once the removal is committed, no new payment starts
        after = pay(client, stage.servers[0].url, payer, numbers[-1], card, uuid.uuid4().hex)
    with engine.connect() as connection:
        removed = connection.scalar(
            sa.select(audit_events.c.occurred_at).where(audit_events.c.action == "role_assignment.deleted")
        )
        paid = connection.execute(
            sa.select(payments.c.invoice_id, payments.c.created_at, payments.c.completed_at).where(
                payments.c.payer_id == contributor.id
            )
        ).all()
    engine.dispose()

    ledger = check_invariants(payer, stage.ledger_url)
    outcomes = Counter(f"{answer.status} {answer.code}" for _, answer in answers)
    finished_after = [row for row in paid if row.completed_at and row.completed_at > removed]
    refused = {number for number, answer in answers if answer.status >= 400}
    violations = [
        *ledger.violations,
        *[why for _, answer in answers if (why := unclear(answer))],
        *[outcome for outcome in outcomes if outcome not in ("200 Succeeded", "404 InvoiceNotFound")],
        *[f"refused, yet a payment was recorded: {row.invoice_id}" for row in paid if row.invoice_id in refused],
    ]
    if (after.status, after.code) != (404, "InvoiceNotFound"):
        violations.append(f"a payment after the removal was answered {after}")
    summarise("races-remove-role", trials=len(answers), faults=1, violations=len(violations))
    print(
        f"\nrole removal: {dict(outcomes)}; {len(paid)} payment(s) passed transaction A before the removal "
        f"was committed, {len(finished_after)} of them charged and recorded after it"
    )
    assert outcomes["200 Succeeded"] > 0 and outcomes["404 InvoiceNotFound"] > 0, dict(outcomes)
    assert not violations, violations[:10]


def _charges_for(stage: Stage, world: World, numbers: list[str]) -> list[str]:
    engine = db.create_engine(world.database_url)
    with engine.connect() as connection:
        keys = set(connection.scalars(sa.select(payments.c.id).where(payments.c.invoice_id.in_(numbers))).all())
    engine.dispose()
    ledger = SimulatedProcessor(stage.ledger_url, SystemClock())
    try:
        return [charge.reference for charge in ledger.charges() if charge.idempotency_key in keys]
    finally:
        ledger.close()
