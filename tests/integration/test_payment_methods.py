"""Payment methods of a billing profile: add from a processor token, list, make default, replace, remove."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import ROLE_SCOPE, Role, Scope, ScopeKind
from settle.access.service import grant_role
from settle.accounts.model import BillingProfileNotFound
from settle.accounts.service import add_user
from settle.clock import FixedClock
from settle.errors import Forbidden
from settle.payments.model import PaymentMethodIsDefault, PaymentMethodNotFound
from settle.payments.service import (
    UnknownCardToken,
    add_card,
    list_payment_methods,
    make_default_payment_method,
    record_bank_transfer,
    remove_payment_method,
    replace_payment_method,
)
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.integration.factories import World, add_invoices, make_invoice, make_world


@pytest.fixture
def processor(clock: FixedClock, tmp_path: Path) -> SimulatedProcessor:
    return SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    return make_world(engine, clock)


def _add(
    engine: Engine,
    clock: FixedClock,
    processor: SimulatedProcessor,
    world: World,
    number: str = "4242424242424242",
    actor_id: str | None = None,
    **kwargs: object,
) -> str:
    token = processor.tokenize(number, 12, 2030, "123", "Ann Owner")
    with UnitOfWork(engine) as uow:
        method = add_card(
            uow,
            clock,
            processor,
            actor_id=actor_id or world.owner.id,
            profile_id=world.profile.id,
            token_id=token.token,
            **kwargs,
        )  # type: ignore[arg-type]
    return method.id


def _views(
    engine: Engine, clock: FixedClock, world: World, actor_id: str | None = None
) -> list[tuple[str, bool, bool]]:
    with UnitOfWork(engine, write=False) as uow:
        views = list_payment_methods(uow, clock, actor_id=actor_id or world.owner.id, profile_id=world.profile.id)
    return [(view.method.last4 or "", view.is_default, view.expired) for view in views]


def _user_with(engine: Engine, clock: FixedClock, role: Role, scope: Scope) -> str:
    with UnitOfWork(engine) as uow:
        user = add_user(
            uow, clock, verified=True, email=f"{role.value}@example.com", display_name="U", password="long enough pass"
        )
        grant_role(uow, clock, actor_id=None, user_id=user.id, role=role, scope=scope)
    return user.id


def test_the_first_card_becomes_the_default_and_the_list_puts_the_default_first(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    _add(engine, clock, processor, world)
    second = _add(engine, clock, processor, world, "5555555555554444")
    assert _views(engine, clock, world) == [("4242", True, False), ("4444", False, False)]
    with UnitOfWork(engine) as uow:
        make_default_payment_method(uow, clock, actor_id=world.owner.id, profile_id=world.profile.id, method_id=second)
    assert _views(engine, clock, world) == [("4444", True, False), ("4242", False, False)]


def test_card_details_come_from_the_processor_and_an_unknown_token_is_refused(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    with pytest.raises(UnknownCardToken), UnitOfWork(engine) as uow:
        add_card(uow, clock, processor, actor_id=world.owner.id, profile_id=world.profile.id, token_id="tok_forged")
    assert _views(engine, clock, world) == []


def test_an_expired_card_is_listed_as_expired(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    _add(engine, clock, processor, world)
    clock.advance(timedelta(days=366 * 5))
    assert _views(engine, clock, world) == [("4242", True, True)]


def test_the_default_of_a_profile_with_unpaid_invoices_must_be_replaced_before_removal(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    first = _add(engine, clock, processor, world)
    invoice = make_invoice(world, clock)
    add_invoices(engine, [invoice])
    with pytest.raises(PaymentMethodIsDefault), UnitOfWork(engine) as uow:
        remove_payment_method(uow, clock, actor_id=world.owner.id, profile_id=world.profile.id, method_id=first)
    token = processor.tokenize("5555555555554444", 1, 2031, "321", "Ann Owner")
    with UnitOfWork(engine) as uow:
        replace_payment_method(
            uow,
            clock,
            processor,
            actor_id=world.owner.id,
            profile_id=world.profile.id,
            old_method_id=first,
            token_id=token.token,
        )
    assert _views(engine, clock, world) == [("4444", True, False)]
    with UnitOfWork(engine) as uow:
        record_bank_transfer(uow, clock, invoice_number=invoice.id, amount=invoice.amount_due)
        remove_payment_method(
            uow,
            clock,
            actor_id=world.owner.id,
            profile_id=world.profile.id,
            method_id=uow.profiles.get(world.profile.id).default_payment_method_id or "",
        )
    assert _views(engine, clock, world) == []
    with UnitOfWork(engine, write=False) as uow:
        assert uow.profiles.get(world.profile.id).default_payment_method_id is None
        actions = [event.action for event in uow.audit.list()]
    assert actions.count("payment_method.removed") == 2 and "payment_method.made_default" in actions


def test_readers_see_the_cards_but_may_not_change_them_and_strangers_see_nothing(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    method = _add(engine, clock, processor, world)
    reader = _user_with(engine, clock, Role.BILLING_ACCOUNT_READER, Scope(world.account.id))
    manager = _user_with(engine, clock, Role.INVOICE_MANAGER, Scope(world.account.id, world.profile.id))
    stranger = make_world(engine, clock, name="Fabrikam").owner.id
    assert _views(engine, clock, world, reader) == [("4242", True, False)]
    for user in (reader, manager):
        with pytest.raises(Forbidden), UnitOfWork(engine) as uow:
            remove_payment_method(uow, clock, actor_id=user, profile_id=world.profile.id, method_id=method)
        with pytest.raises(Forbidden):
            _add(engine, clock, processor, world, actor_id=user)
    with pytest.raises(BillingProfileNotFound):
        _views(engine, clock, world, stranger)
    with pytest.raises(BillingProfileNotFound), UnitOfWork(engine) as uow:
        remove_payment_method(uow, clock, actor_id=stranger, profile_id=world.profile.id, method_id=method)
    assert _views(engine, clock, world) == [("4242", True, False)]


def test_a_method_of_another_profile_is_not_found(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World
) -> None:
    other = make_world(engine, clock, name="Fabrikam")
    theirs = _add(engine, clock, processor, other)
    with pytest.raises(PaymentMethodNotFound), UnitOfWork(engine) as uow:
        make_default_payment_method(uow, clock, actor_id=world.owner.id, profile_id=world.profile.id, method_id=theirs)


MANAGES = {
    Role.BILLING_ACCOUNT_OWNER,
    Role.BILLING_ACCOUNT_CONTRIBUTOR,
    Role.BILLING_PROFILE_OWNER,
    Role.BILLING_PROFILE_CONTRIBUTOR,
}
SEES_PROFILE = MANAGES | {
    Role.BILLING_ACCOUNT_READER,
    Role.BILLING_PROFILE_READER,
    Role.INVOICE_MANAGER,
    Role.INVOICE_SECTION_OWNER,
    Role.INVOICE_SECTION_CONTRIBUTOR,
    Role.INVOICE_SECTION_READER,
}


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_only_the_roles_of_design_3_may_change_payment_methods(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor, world: World, role: Role
) -> None:
    scope = {
        ScopeKind.BILLING_ACCOUNT: Scope(world.account.id),
        ScopeKind.BILLING_PROFILE: Scope(world.account.id, world.profile.id),
        ScopeKind.INVOICE_SECTION: Scope(world.account.id, world.profile.id, world.sections[0].id),
    }[ROLE_SCOPE[role]]
    user = _user_with(engine, clock, role, scope)
    if role in MANAGES:
        _add(engine, clock, processor, world, actor_id=user)
        assert _views(engine, clock, world) == [("4242", True, False)]
        return
    with pytest.raises(Forbidden if role in SEES_PROFILE else BillingProfileNotFound):
        _add(engine, clock, processor, world, actor_id=user)
    assert _views(engine, clock, world) == []
