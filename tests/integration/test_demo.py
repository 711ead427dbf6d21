"""`settle demo`: the data the issues and the help articles promise, loaded once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle import demo
from settle.access.model import Permission, Role, Scope, permissions_at
from settle.accounts.passwords import verify_password
from settle.clock import FixedClock, today
from settle.invoices.model import InvoiceQuery, InvoiceStatus
from settle.invoices.service import list_invoices
from settle.notify.service import list_outbox
from settle.payments.model import PayRequest, Succeeded
from settle.payments.paying import pay_invoice
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork


@pytest.fixture
def processor(clock: FixedClock, tmp_path: Path) -> SimulatedProcessor:
    return SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)


def _load(engine: Engine, clock: FixedClock, processor: SimulatedProcessor) -> None:
    with UnitOfWork(engine) as uow:
        demo.load(uow, clock, processor)


def _statuses(engine: Engine, clock: FixedClock, profile_id: str) -> Counter[InvoiceStatus]:
    with UnitOfWork(engine, write=False) as uow:
        rows = list_invoices(uow, clock, InvoiceQuery(frozenset({profile_id}), limit=1000))
    return Counter(row.status for row in rows)


def test_contoso_billing_has_24_months_with_every_status(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    _load(engine, clock, processor)
    statuses = _statuses(engine, clock, demo.CONTOSO_BILLING)
    assert statuses[InvoiceStatus.DUE] >= 2
    assert statuses[InvoiceStatus.PAST_DUE] >= 1
    assert statuses[InvoiceStatus.PARTIALLY_PAID] >= 1
    assert statuses[InvoiceStatus.VOID] >= 1
    assert statuses[InvoiceStatus.PAID] > sum(statuses.values()) / 2
    assert sum(statuses.values()) >= 24


def test_contoso_rnd_in_dkk_and_fabrikam_in_usd_each_have_a_due_invoice(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    _load(engine, clock, processor)
    assert _statuses(engine, clock, demo.CONTOSO_RND)[InvoiceStatus.DUE] >= 1
    assert _statuses(engine, clock, demo.FABRIKAM_BILLING)[InvoiceStatus.DUE] >= 1
    with UnitOfWork(engine, write=False) as uow:
        assert uow.profiles.get(demo.CONTOSO_RND).currency == "DKK"
        assert uow.profiles.get(demo.FABRIKAM_BILLING).currency == "USD"
        assert [p.display_name for p in uow.profiles.list_for_account(demo.CONTOSO)] == [
            "Contoso Billing",
            "Contoso R&D",
        ]
        assert all(len(uow.sections.list_for_profile(p)) == 2 for p in (demo.CONTOSO_BILLING, demo.CONTOSO_RND))


def test_demo_users_sign_in_with_the_demo_password_and_hold_their_roles(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    _load(engine, clock, processor)
    contoso, billing, fabrikam = Scope(demo.CONTOSO), Scope(demo.CONTOSO, demo.CONTOSO_BILLING), Scope(demo.FABRIKAM)
    with UnitOfWork(engine, write=False) as uow:
        users = {user.email: user for user in uow.users.list()}
        roles = {email: uow.roles.for_user(user.id) for email, user in users.items()}
    assert set(users) == {user.email for user in demo.USERS}
    assert all(verify_password(user.password_hash, demo.PASSWORD) and user.locale is None for user in users.values())
    assert [a.role for a in roles["admin@contoso.example"]] == [Role.BILLING_ACCOUNT_OWNER]
    assert Permission.PAY_INVOICES in permissions_at(roles["admin@contoso.example"], billing)
    assert permissions_at(roles["reader@contoso.example"], billing) == {Permission.VIEW, Permission.VIEW_INVOICES}
    assert Permission.PAY_INVOICES in permissions_at(roles["invoices@contoso.example"], billing)
    assert Permission.VIEW_INVOICES not in permissions_at(
        roles["invoices@contoso.example"], Scope(demo.CONTOSO, demo.CONTOSO_RND)
    )
    assert permissions_at(roles["admin@fabrikam.example"], contoso) == frozenset()
    assert Permission.MANAGE_ROLES in permissions_at(roles["admin@fabrikam.example"], fabrikam)


def test_saved_visa_4242_is_linked_to_both_contoso_profiles_and_default_on_contoso_billing(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    _load(engine, clock, processor)
    with UnitOfWork(engine, write=False) as uow:
        billing = uow.profiles.get(demo.CONTOSO_BILLING)
        cards = uow.payment_methods.list_for_profile(demo.CONTOSO_BILLING)
        rnd_cards = uow.payment_methods.list_for_profile(demo.CONTOSO_RND)
        owner = uow.users.get(cards[0].owner_id)
    assert [(c.brand, c.last4) for c in cards] == [("visa", "4242")] and rnd_cards == cards
    assert billing.default_payment_method_id == cards[0].id
    assert not cards[0].is_expired(today(clock))
    assert owner.email == "admin@contoso.example"
    assert billing_rnd_default(engine) is None


def billing_rnd_default(engine: Engine) -> str | None:
    with UnitOfWork(engine, write=False) as uow:
        return uow.profiles.get(demo.CONTOSO_RND).default_payment_method_id


def test_the_admin_pays_a_due_demo_invoice_with_the_saved_card(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    _load(engine, clock, processor)
    with UnitOfWork(engine, write=False) as uow:
        admin = uow.users.get_by_email("admin@contoso.example")
        due = list_invoices(
            uow, clock, InvoiceQuery(frozenset({demo.CONTOSO_BILLING}), statuses=frozenset({InvoiceStatus.DUE}))
        )
        card_id = uow.profiles.get(demo.CONTOSO_BILLING).default_payment_method_id
    invoice = due[0].invoice
    assert card_id is not None
    request = PayRequest(invoice.id, card_id, invoice.amount_due, "demo-key")
    outcome = pay_invoice(engine, processor, clock, actor_id=admin.id, request=request)
    assert isinstance(outcome, Succeeded)
    assert processor.total_charged(invoice.currency) == invoice.amount_due


def test_loading_twice_is_refused_by_is_loaded_and_reset_starts_over(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    _load(engine, clock, processor)
    with UnitOfWork(engine) as uow:
        assert demo.is_loaded(uow)
        count = uow.invoices.count()
        demo.reset(uow)
        assert not demo.is_loaded(uow) and uow.invoices.count() == 0
        demo.load(uow, clock, processor)
        assert uow.invoices.count() == count


def test_the_demo_sends_no_mail_about_its_history(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    _load(engine, clock, processor)
    with UnitOfWork(engine, write=False) as uow:
        assert list_outbox(uow) == []


def test_contoso_billing_pays_automatically_from_the_day_the_demo_is_loaded_and_nothing_older(
    engine: Engine, clock: FixedClock, processor: SimulatedProcessor
) -> None:
    from datetime import timedelta

    from settle.payments.autopay import run_autopay

    _load(engine, clock, processor)
    with UnitOfWork(engine, write=False) as uow:
        profiles = {profile.id: profile for profile in uow.profiles.list_for_account(demo.CONTOSO)}
        newest = list_invoices(uow, clock, InvoiceQuery(frozenset({demo.CONTOSO_BILLING}), limit=1))[0].invoice
    assert profiles[demo.CONTOSO_BILLING].autopay_since == today(clock)
    assert not profiles[demo.CONTOSO_RND].autopay
    before = _statuses(engine, clock, demo.CONTOSO_BILLING)
    assert run_autopay(engine, processor, clock).succeeded == 0  # Past due and Partially paid stay for Pay now
    assert _statuses(engine, clock, demo.CONTOSO_BILLING) == before
    clock.advance(timedelta(days=(newest.due_date - today(clock)).days))
    report = run_autopay(engine, processor, clock)
    assert report.succeeded >= 1 and processor.total_charged("EUR").is_positive()
    with UnitOfWork(engine, write=False) as uow:
        assert uow.invoices.get(newest.id).amount_due.is_zero()
