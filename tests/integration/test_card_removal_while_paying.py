"""A card is not removed while it pays: the removal waits for transaction A's lock on the card, then sees
the payment in flight and is refused until the payment has its outcome. (The card-removal race of
tests/faults found charges made with a card after its removal had been committed.)"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle import ids
from settle.clock import FixedClock
from settle.money import Money
from settle.payments.model import (
    InProgress,
    Payment,
    PaymentMethod,
    PaymentMethodFamily,
    PaymentMethodInUse,
    PaymentMethodNotFound,
    PaymentStatus,
    PayRequest,
)
from settle.payments.paying import pay_invoice, reconcile
from settle.payments.service import remove_own_payment_method, remove_payment_method, save_card
from settle.processor.faults import Fault, Faults
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.integration.factories import World, add_invoices, make_invoice, make_world


@pytest.fixture
def processor(clock: FixedClock, tmp_path: Path) -> SimulatedProcessor:
    return SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    return make_world(engine, clock)


def _card(engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World) -> PaymentMethod:
    token = processor.tokenize("4242424242424242", 12, 2030, "123", "Card Holder")
    with UnitOfWork(engine) as uow:
        return save_card(uow, clock, owner_id=world.owner.id, token=token, linked_to=[world.profile.id])


def _remove(engine: Engine, clock: FixedClock, world: World, card: PaymentMethod) -> None:
    with UnitOfWork(engine) as uow:
        remove_payment_method(uow, clock, actor_id=world.owner.id, profile_id=world.profile.id, method_id=card.id)


def test_a_card_with_a_payment_in_flight_is_removed_only_after_the_payment_ends(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    invoice = make_invoice(world, clock)
    add_invoices(engine, [invoice])
    card = _card(engine, clock, processor, world)
    processor.faults = Faults.scripted(Fault.TIMEOUT_BEFORE)  # the outcome stays unknown: pending
    request = PayRequest(invoice.id, card.id, invoice.amount_due, "key-1")
    assert isinstance(pay_invoice(engine, processor, clock, actor_id=world.owner.id, request=request), InProgress)

    with pytest.raises(PaymentMethodInUse), UnitOfWork(engine) as uow:
        remove_own_payment_method(uow, clock, actor_id=world.owner.id, method_id=card.id)
    with pytest.raises(PaymentMethodInUse):
        _remove(engine, clock, world, card)

    clock.advance(timedelta(minutes=10))
    reconcile(engine, processor, clock)  # nothing was charged: the payment fails
    _remove(engine, clock, world, card)
    with UnitOfWork(engine, write=False) as uow:
        assert uow.payment_methods.find(card.id) is None


def test_a_removal_waits_for_transaction_a_holding_the_card_then_is_refused(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    invoice = make_invoice(world, clock)
    add_invoices(engine, [invoice])
    card = _card(engine, clock, processor, world)
    refusals: list[Exception] = []

    def removal() -> None:
        try:
            _remove(engine, clock, world, card)
        except PaymentMethodInUse as refused:
            refusals.append(refused)

    remover = threading.Thread(target=removal)
    with UnitOfWork(engine) as uow:  # transaction A, as pay_invoice runs it, up to its commit
        found = uow.payment_methods.find_linked(card.id, world.profile.id, lock=True)
        assert found is not None
        remover.start()
        remover.join(timeout=0.5)
        assert remover.is_alive(), "the removal did not wait for transaction A"
        uow.payments.add(_pending(invoice.id, world, card, clock))
    remover.join(timeout=30)
    assert [type(refused) for refused in refusals] == [PaymentMethodInUse]


def test_a_payment_waits_for_a_removal_holding_the_card_then_finds_no_card(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    card = _card(engine, clock, processor, world)
    found: list[PaymentMethod | None] = []

    def transaction_a() -> None:
        with UnitOfWork(engine) as uow:
            found.append(uow.payment_methods.find_linked(card.id, world.profile.id, lock=True))

    payer = threading.Thread(target=transaction_a)
    with UnitOfWork(engine) as uow:  # the removal, up to its commit
        uow.payment_methods.lock(card.id)
        payer.start()
        payer.join(timeout=0.5)
        assert payer.is_alive(), "transaction A did not wait for the removal"
        uow.payment_methods.unlink(card.id, world.profile.id)
        uow.payment_methods.update(replace(card, removed_at=clock.now()))
    payer.join(timeout=30)
    assert found == [None]
    with pytest.raises(PaymentMethodNotFound), UnitOfWork(engine, write=False) as uow:
        uow.payment_methods.get(card.id)


def _pending(invoice_id: str, world: World, card: PaymentMethod, clock: FixedClock) -> Payment:
    return Payment(
        id=ids.opaque_id(),
        invoice_id=invoice_id,
        billing_profile_id=world.profile.id,
        amount=Money(100, "EUR"),
        family=PaymentMethodFamily.CREDIT_CARD,
        status=PaymentStatus.PENDING,
        created_at=clock.now(),
        payer_id=world.owner.id,
        idempotency_key="key-a",
        payment_method_id=card.id,
    )
