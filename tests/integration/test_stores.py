"""Stores keep what the models say, and the database itself refuses what must never happen."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from settle import ids
from settle.access.model import Role, Scope
from settle.access.service import RoleAlreadyAssigned, grant_role
from settle.accounts.model import EmailTaken, PasswordTooShort
from settle.accounts.service import add_user
from settle.clock import FixedClock
from settle.invoices.model import InvoiceHasPayments, InvoiceStatus, PaymentExceedsAmountDue
from settle.invoices.service import void_invoice
from settle.money import Money
from settle.payments.model import Payment, PaymentMethodFamily, PaymentStatus
from settle.payments.service import record_bank_transfer
from settle.uow import UnitOfWork
from tests.card_numbers import card_numbers_in_database
from tests.integration.factories import add_invoices, make_invoice, make_world


def test_invoice_round_trips_with_exact_amounts_and_lines(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock, currency="KWD")
    invoice = make_invoice(world, clock, amounts=(1_234_567, 1), tax_rate="0.05")
    add_invoices(engine, [invoice])
    with UnitOfWork(engine, write=False) as uow:
        assert uow.invoices.get(invoice.id) == invoice


def test_account_and_profile_round_trip_with_addresses(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    with UnitOfWork(engine, write=False) as uow:
        assert uow.accounts.get(world.account.id) == world.account
        assert uow.profiles.get(world.profile.id) == world.profile
        assert uow.sections.list_for_profile(world.profile.id) == sorted(world.sections, key=lambda s: s.display_name)


def test_partial_bank_transfers_then_the_rest_make_the_invoice_paid(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    invoice = make_invoice(world, clock, amounts=(10_000,), tax_rate="0")
    add_invoices(engine, [invoice])
    with UnitOfWork(engine) as uow:
        first, partly = record_bank_transfer(
            uow, clock, invoice_number=invoice.id, amount=Money(2_500, "EUR"), reference="T1"
        )
        clock.advance(timedelta(minutes=1))
        second, paid = record_bank_transfer(uow, clock, invoice_number=invoice.id, amount=Money(7_500, "EUR"))
    assert partly.status(clock.now().date()) is InvoiceStatus.PARTIALLY_PAID
    assert paid.status(clock.now().date()) is InvoiceStatus.PAID
    assert (first.receipt_number, second.receipt_number) == (f"{invoice.id}-R1", f"{invoice.id}-R2")
    with UnitOfWork(engine, write=False) as uow:
        assert uow.invoices.get(invoice.id).amount_due.is_zero()
        assert [p.amount.minor for p in uow.payments.list_for_invoice(invoice.id)] == [2_500, 7_500]
        assert [e.action for e in uow.audit.list(resource=f"invoices/{invoice.id}")] == ["payment.recorded"] * 2


def test_a_transfer_above_the_amount_due_changes_nothing(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    invoice = make_invoice(world, clock, amounts=(10_000,), tax_rate="0")
    add_invoices(engine, [invoice])
    with pytest.raises(PaymentExceedsAmountDue), UnitOfWork(engine) as uow:
        record_bank_transfer(uow, clock, invoice_number=invoice.id, amount=Money(10_001, "EUR"))
    with UnitOfWork(engine, write=False) as uow:
        assert uow.invoices.get(invoice.id) == invoice
        assert uow.payments.list_for_invoice(invoice.id) == []


def test_voiding_an_invoice_with_payments_is_refused(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    paid, unpaid = make_invoice(world, clock), make_invoice(world, clock)
    add_invoices(engine, [paid, unpaid])
    with UnitOfWork(engine) as uow:
        record_bank_transfer(uow, clock, invoice_number=paid.id, amount=Money(100, "EUR"))
        void_invoice(uow, clock, unpaid.id, reason="duplicate")
    with pytest.raises(InvoiceHasPayments), UnitOfWork(engine) as uow:
        void_invoice(uow, clock, paid.id)
    with UnitOfWork(engine, write=False) as uow:
        assert uow.invoices.get(unpaid.id).status(clock.now().date()) is InvoiceStatus.VOID
        assert uow.invoices.get(paid.id).voided_at is None


def _pending(invoice_id: str, profile_id: str, clock: FixedClock, payer_id: str, key: str) -> Payment:
    return Payment(
        id=ids.opaque_id(),
        invoice_id=invoice_id,
        billing_profile_id=profile_id,
        amount=Money(100, "EUR"),
        family=PaymentMethodFamily.CREDIT_CARD,
        status=PaymentStatus.PENDING,
        created_at=clock.now(),
        payer_id=payer_id,
        idempotency_key=key,
    )


def test_the_database_refuses_a_second_payment_in_flight_for_one_invoice(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    invoice = make_invoice(world, clock)
    add_invoices(engine, [invoice])
    with UnitOfWork(engine) as uow:
        uow.payments.add(_pending(invoice.id, world.profile.id, clock, world.owner.id, "key-1"))
    with pytest.raises(IntegrityError), UnitOfWork(engine) as uow:
        uow.payments.add(_pending(invoice.id, world.profile.id, clock, world.owner.id, "key-2"))
    with UnitOfWork(engine) as uow:  # once the first has an outcome, another may start
        first = uow.payments.list_for_invoice(invoice.id)[0]
        uow.payments.update(replace(first, status=PaymentStatus.FAILED))
        uow.payments.add(_pending(invoice.id, world.profile.id, clock, world.owner.id, "key-2"))
        assert uow.payments.in_flight_invoices([invoice.id]) == {invoice.id}


def test_the_database_refuses_a_reused_idempotency_key_of_one_payer(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    first, second = make_invoice(world, clock), make_invoice(world, clock)
    add_invoices(engine, [first, second])
    with UnitOfWork(engine) as uow:
        uow.payments.add(_pending(first.id, world.profile.id, clock, world.owner.id, "same-key"))
    with pytest.raises(IntegrityError), UnitOfWork(engine) as uow:
        uow.payments.add(_pending(second.id, world.profile.id, clock, world.owner.id, "same-key"))


def test_granting_the_same_role_twice_is_refused_by_the_service_and_the_database(
    engine: Engine, clock: FixedClock
) -> None:
    world = make_world(engine, clock)
    scope = Scope(world.account.id, world.profile.id)
    with UnitOfWork(engine) as uow:
        reader = add_user(
            uow, clock, verified=True, email="reader@contoso.example", display_name="R", password="long enough pass"
        )
        assignment = grant_role(
            uow, clock, actor_id=None, user_id=reader.id, role=Role.BILLING_PROFILE_READER, scope=scope
        )
    with pytest.raises(RoleAlreadyAssigned), UnitOfWork(engine) as uow:
        grant_role(uow, clock, actor_id=None, user_id=reader.id, role=Role.BILLING_PROFILE_READER, scope=scope)
    with pytest.raises(IntegrityError), UnitOfWork(engine) as uow:
        uow.roles.add(replace(assignment, id=ids.opaque_id()))
    with UnitOfWork(engine, write=False) as uow:
        assert uow.roles.for_user(reader.id) == [assignment]


def test_a_unit_of_work_sees_its_own_role_changes_though_it_reads_a_user_s_roles_once(
    engine: Engine, clock: FixedClock
) -> None:
    world = make_world(engine, clock)
    scope = Scope(world.account.id, world.profile.id)
    with UnitOfWork(engine) as uow:
        reader = add_user(
            uow, clock, verified=True, email="reader@contoso.example", display_name="R", password="long enough pass"
        )
        assert uow.roles.for_user(reader.id) == []
        granted = grant_role(
            uow, clock, actor_id=None, user_id=reader.id, role=Role.BILLING_PROFILE_READER, scope=scope
        )
        assert uow.roles.for_user(reader.id) == [granted]
        uow.roles.for_user(reader.id).clear()  # a caller's list is its own: the one kept is not changed
        assert uow.roles.for_user(reader.id) == [granted]
        uow.roles.remove(granted.id)
        assert uow.roles.for_user(reader.id) == []


def test_users_need_a_unique_email_and_a_long_password(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine) as uow:
        user = add_user(
            uow, clock, verified=True, email=" Ann@Example.COM ", display_name="Ann", password="twelve chars"
        )
    assert user.email == "ann@example.com" and user.password_hash.startswith("$argon2id$")
    with pytest.raises(EmailTaken), UnitOfWork(engine) as uow:
        add_user(uow, clock, verified=True, email="ann@example.com", display_name="Ann", password="twelve chars")
    with pytest.raises(PasswordTooShort), UnitOfWork(engine) as uow:
        add_user(uow, clock, verified=True, email="bob@example.com", display_name="Bob", password="eleven char")


def test_the_card_number_scan_would_see_a_number_typed_into_any_column(engine: Engine, clock: FixedClock) -> None:
    """The guard run after every test (tests/conftest.py) reads every column of every table."""
    with UnitOfWork(engine) as uow:  # planted through the store: add_user itself removes card numbers
        user = add_user(
            uow, clock, verified=True, email="typo@example.com", display_name="Typo", password="long enough pass"
        )
        uow.users.update(replace(user, display_name="4242 4242 4242 4242"))
    assert card_numbers_in_database(engine) == {"users": ["4242424242424242"]}
    with UnitOfWork(engine) as uow:
        uow.users.update(replace(user, display_name="Typo"))
    assert card_numbers_in_database(engine) == {}
