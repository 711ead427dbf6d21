"""Pay now, exactly once: permissions, test cards, retries, races and a crash after the charge."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import ROLE_SCOPE, Role, Scope, ScopeKind
from settle.access.service import grant_role
from settle.accounts import store as accounts_store
from settle.accounts.model import AgreementType
from settle.accounts.service import add_user
from settle.clock import FixedClock
from settle.errors import Forbidden, SettleError
from settle.invoices.model import Invoice, InvoiceAlreadyPaid, InvoiceNotFound, InvoiceStatus
from settle.money import Money
from settle.notify.service import list_outbox
from settle.payments.model import (
    AmountChanged,
    CardExpired,
    CardLimitExceeded,
    CardPolicy,
    DeclineCode,
    Declined,
    IdempotencyKeyReused,
    InProgress,
    PaymentInProgress,
    PaymentMethod,
    PaymentStatus,
    PayNowNotOffered,
    PayRequest,
    RequiresAction,
    Succeeded,
)
from settle.payments.paying import confirm_payment, pay_invoice, reconcile
from settle.payments.service import save_card
from settle.processor.faults import Fault, Faults
from settle.processor.interface import ChargeStatus
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.integration.factories import World, add_invoices, make_invoice, make_world

VISA = "4242424242424242"


@dataclass
class Setup:
    engine: Engine
    clock: FixedClock
    processor: SimulatedProcessor
    world: World
    invoice: Invoice
    card: PaymentMethod

    def request(self, key: str = "key-1", amount: Money | None = None, card: PaymentMethod | None = None) -> PayRequest:
        method = card or self.card
        return PayRequest(self.invoice.id, method.id, amount or self.invoice.amount_due, key)

    def pay(self, key: str = "key-1", actor_id: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        return pay_invoice(
            self.engine,
            self.processor,
            self.clock,
            actor_id=actor_id or self.world.owner.id,
            request=self.request(key),
            **kwargs,
        )  # type: ignore[arg-type]

    def add_card(self, number: str, expiry_month: int = 12, expiry_year: int = 2030) -> PaymentMethod:
        token = self.processor.tokenize(number, expiry_month, expiry_year, "123", "Card Holder")
        with UnitOfWork(self.engine) as uow:
            return save_card(
                uow, self.clock, owner_id=self.world.owner.id, token=token, linked_to=[self.world.profile.id]
            )

    def invoice_now(self) -> Invoice:
        with UnitOfWork(self.engine, write=False) as uow:
            return uow.invoices.get(self.invoice.id)

    def succeeded_charges(self) -> int:
        return len(self.processor.charges(status=ChargeStatus.SUCCEEDED))


@pytest.fixture
def setup(engine: Engine, clock: FixedClock, tmp_path: Path) -> Setup:
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    world = make_world(engine, clock)
    invoice = make_invoice(world, clock)
    add_invoices(engine, [invoice])
    ready = Setup(engine, clock, processor, world, invoice, card=None)  # type: ignore[arg-type]
    ready.card = ready.add_card(VISA)
    return ready


def test_paying_a_due_invoice_charges_it_once_and_makes_it_paid(setup: Setup) -> None:
    outcome = setup.pay()
    assert isinstance(outcome, Succeeded)
    assert outcome.receipt_number == f"{setup.invoice.id}-R1"
    assert setup.invoice_now().status(setup.clock.now().date()) is InvoiceStatus.PAID
    charges = setup.processor.charges(status=ChargeStatus.SUCCEEDED)
    assert [(c.amount, c.idempotency_key) for c in charges] == [(setup.invoice.amount_due, outcome.payment.id)]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", DeclineCode.CARD_DECLINED),
        ("4000000000009995", DeclineCode.INSUFFICIENT_FUNDS),
        ("4000000000000069", DeclineCode.EXPIRED_CARD),
        ("4000000000000119", DeclineCode.PROCESSING_ERROR),
    ],
)
def test_a_declined_card_leaves_the_invoice_payable_and_charges_nothing(
    setup: Setup, number: str, code: DeclineCode
) -> None:
    setup.card = setup.add_card(number)
    outcome = setup.pay()
    assert isinstance(outcome, Declined) and outcome.code is code
    assert setup.invoice_now().is_payable(setup.clock.now().date())
    assert setup.succeeded_charges() == 0
    assert isinstance(setup.pay(key="key-2"), Declined)  # and it may be tried again at once


@pytest.mark.parametrize("approve", [True, False])
def test_a_3d_secure_card_asks_for_a_challenge_first(setup: Setup, approve: bool) -> None:
    setup.card = setup.add_card("4000002500003155")
    outcome = setup.pay()
    assert isinstance(outcome, RequiresAction) and outcome.challenge_url
    assert setup.invoice_now().display_status(setup.clock.now().date(), True) is InvoiceStatus.PROCESSING
    assert outcome.payment.processor_reference is not None
    setup.processor.complete_challenge(outcome.payment.processor_reference, approve)
    confirmed = confirm_payment(setup.engine, setup.processor, setup.clock, outcome.payment.id)
    if approve:
        assert isinstance(confirmed, Succeeded) and setup.invoice_now().amount_due.is_zero()
    else:
        assert isinstance(confirmed, Declined) and confirmed.code is DeclineCode.AUTHENTICATION_FAILED
        assert setup.invoice_now().is_payable(setup.clock.now().date())
    assert setup.succeeded_charges() == (1 if approve else 0)


def test_the_same_key_again_returns_the_first_receipt_without_a_second_charge(setup: Setup) -> None:
    first, second = setup.pay(), setup.pay()
    assert isinstance(first, Succeeded) and isinstance(second, Succeeded)
    assert second.receipt_number == first.receipt_number
    assert setup.succeeded_charges() == 1


def test_a_lost_response_then_a_retry_with_the_key_gives_one_charge(setup: Setup) -> None:
    setup.processor.faults = Faults.scripted(Fault.LOST_RESPONSE)
    lost = setup.pay()
    assert isinstance(lost, Succeeded | InProgress)
    retried = setup.pay()
    if isinstance(retried, InProgress):
        reconcile(setup.engine, setup.processor, setup.clock, older_than=timedelta(0))
        retried = setup.pay()
    assert isinstance(retried, Succeeded)
    assert setup.succeeded_charges() == 1 and setup.invoice_now().amount_due.is_zero()


def test_a_different_key_after_payment_is_already_paid_and_one_with_a_new_body_is_refused(setup: Setup) -> None:
    setup.pay()
    with pytest.raises(InvoiceAlreadyPaid):
        setup.pay(key="key-2")
    with pytest.raises(IdempotencyKeyReused):
        pay_invoice(
            setup.engine,
            setup.processor,
            setup.clock,
            actor_id=setup.world.owner.id,
            request=setup.request(amount=Money(1, "EUR")),
        )
    assert setup.succeeded_charges() == 1


def test_an_amount_other_than_the_amount_due_is_refused_and_changes_nothing(setup: Setup) -> None:
    with pytest.raises(AmountChanged):
        pay_invoice(
            setup.engine,
            setup.processor,
            setup.clock,
            actor_id=setup.world.owner.id,
            request=setup.request(amount=setup.invoice.amount_due - Money(1, "EUR")),
        )
    assert setup.invoice_now() == setup.invoice and setup.processor.charges() == []


def test_an_expired_card_and_an_amount_over_the_card_limit_are_refused(setup: Setup) -> None:
    with pytest.raises(CardLimitExceeded):
        setup.pay(policy=CardPolicy(limits={"EUR": 10}))
    setup.card = setup.add_card(VISA, expiry_month=3, expiry_year=2026)  # valid through 31 March
    setup.clock.advance(timedelta(days=17))
    with pytest.raises(CardExpired):
        setup.pay(key="key-2")
    assert setup.processor.charges() == []


def _role_holder(setup: Setup, role: Role) -> str:
    with UnitOfWork(setup.engine) as uow:
        user = add_user(
            uow,
            setup.clock,
            verified=True,
            email=f"{role.value}@example.com",
            display_name=role.value,
            password="long enough pass",
        )
        section = setup.world.sections[0].id
        scope = {
            ScopeKind.BILLING_ACCOUNT: Scope(setup.world.account.id),
            ScopeKind.BILLING_PROFILE: Scope(setup.world.account.id, setup.world.profile.id),
            ScopeKind.INVOICE_SECTION: Scope(setup.world.account.id, setup.world.profile.id, section),
        }[ROLE_SCOPE[role]]
        grant_role(uow, setup.clock, actor_id=None, user_id=user.id, role=role, scope=scope)
    return user.id


PAYS = {
    Role.BILLING_ACCOUNT_OWNER,
    Role.BILLING_ACCOUNT_CONTRIBUTOR,
    Role.BILLING_PROFILE_OWNER,
    Role.BILLING_PROFILE_CONTRIBUTOR,
    Role.INVOICE_MANAGER,
}
SEES = PAYS | {Role.BILLING_ACCOUNT_READER, Role.BILLING_PROFILE_READER}


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_only_the_roles_of_design_3_may_pay(setup: Setup, role: Role) -> None:
    payer = _role_holder(setup, role)
    if role in PAYS:
        assert isinstance(setup.pay(actor_id=payer), Succeeded)
        return
    expected: type[SettleError] = Forbidden if role in SEES else InvoiceNotFound
    with pytest.raises(expected):
        setup.pay(actor_id=payer)
    assert setup.processor.charges() == []


def test_a_user_of_another_billing_account_gets_not_found(setup: Setup) -> None:
    stranger = make_world(setup.engine, setup.clock, name="Fabrikam", currency="USD")
    with pytest.raises(InvoiceNotFound):
        setup.pay(actor_id=stranger.owner.id)
    assert setup.processor.charges() == []


def _race(setup: Setup, keys: list[str]) -> list[object]:
    results: list[object] = []
    barrier = threading.Barrier(len(keys))

    def pay(key: str) -> None:
        barrier.wait()
        try:
            results.append(setup.pay(key=key))
        except SettleError as error:
            results.append(error)

    threads = [threading.Thread(target=pay, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_concurrent_payments_with_distinct_keys_charge_once(setup: Setup) -> None:
    results = _race(setup, [f"key-{n}" for n in range(50)])
    assert len(results) == 50
    assert sum(isinstance(result, Succeeded) for result in results) == 1
    assert all(isinstance(r, Succeeded | InProgress | PaymentInProgress | InvoiceAlreadyPaid) for r in results)
    assert setup.succeeded_charges() == 1
    assert setup.invoice_now().amount_due.is_zero()


def test_fifty_concurrent_payments_with_one_key_charge_once_and_agree(setup: Setup) -> None:
    results = _race(setup, ["shared-key"] * 50)
    receipts = {result.receipt_number for result in results if isinstance(result, Succeeded)}
    assert len(results) == 50 and len(receipts) == 1
    assert all(isinstance(r, Succeeded | InProgress | PaymentInProgress) for r in results)
    assert setup.succeeded_charges() == 1


def test_a_process_killed_after_the_charge_is_finished_by_reconcile(
    setup: Setup, database_url: str, tmp_path: Path
) -> None:
    args = [
        setup.world.owner.id,
        setup.invoice.id,
        setup.card.id,
        str(setup.invoice.amount_due.minor),
        setup.invoice.currency,
        setup.clock.now().isoformat(),
    ]
    script = Path(__file__).with_name("kill_after_charge.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    processor_url = f"sqlite:///{tmp_path / 'processor.db'}"
    result = subprocess.run([sys.executable, str(script), database_url, processor_url, *args], env=env, timeout=120)
    assert result.returncode == -9  # killed, not finished
    assert setup.succeeded_charges() == 1
    with UnitOfWork(setup.engine, write=False) as uow:
        assert [p.status for p in uow.payments.list_for_invoice(setup.invoice.id)] == [PaymentStatus.PENDING]
    setup.clock.advance(timedelta(minutes=10))
    report = reconcile(setup.engine, setup.processor, setup.clock)
    assert (report.checked, report.succeeded) == (1, 1)
    assert setup.invoice_now().amount_due.is_zero() and setup.succeeded_charges() == 1
    assert reconcile(setup.engine, setup.processor, setup.clock).checked == 0  # nothing left to do


@pytest.mark.parametrize("fault", list(Fault), ids=str)
def test_every_processor_fault_ends_paid_with_one_charge_or_payable_with_none(setup: Setup, fault: Fault) -> None:
    setup.processor.faults = Faults.scripted(fault, slow_seconds=0.05)
    first = setup.pay()
    assert isinstance(first, Succeeded | InProgress)
    setup.clock.advance(timedelta(minutes=10))
    reconcile(setup.engine, setup.processor, setup.clock)
    with UnitOfWork(setup.engine, write=False) as uow:
        payments = uow.payments.list_for_invoice(setup.invoice.id)
    assert not any(payment.in_flight for payment in payments)
    if setup.succeeded_charges():
        assert setup.succeeded_charges() == 1 and setup.invoice_now().amount_due.is_zero()
    else:
        assert setup.invoice_now().is_payable(setup.clock.now().date())
        assert isinstance(setup.pay(key="after-the-fault"), Succeeded)  # and it can be paid now
        assert setup.succeeded_charges() == 1


def test_an_abandoned_3d_secure_challenge_fails_in_time_and_the_invoice_is_payable_again(setup: Setup) -> None:
    setup.card = setup.add_card("4000002500003155")
    waiting = setup.pay()
    assert isinstance(waiting, RequiresAction)
    setup.clock.advance(timedelta(minutes=10))
    assert reconcile(setup.engine, setup.processor, setup.clock).still_open == 1  # the card holder may still answer
    setup.clock.advance(timedelta(minutes=10))
    assert reconcile(setup.engine, setup.processor, setup.clock).failed == 1
    assert setup.invoice_now().is_payable(setup.clock.now().date())
    assert setup.succeeded_charges() == 0


def test_invoices_of_an_enterprise_agreement_account_are_not_paid_with_pay_now(setup: Setup) -> None:
    with UnitOfWork(setup.engine) as uow:
        account = uow.accounts.get(setup.world.account.id)
        uow.connection.execute(
            accounts_store.billing_accounts.update()
            .where(accounts_store.billing_accounts.c.id == account.id)
            .values(agreement_type=AgreementType.ENTERPRISE_AGREEMENT.value)
        )
    with pytest.raises(PayNowNotOffered, match="EnterpriseAgreement"):
        setup.pay()
    assert setup.processor.charges() == []


def test_every_attempt_and_outcome_is_in_the_audit_trail_with_the_client_address(setup: Setup) -> None:
    reader = _role_holder(setup, Role.BILLING_ACCOUNT_READER)
    with pytest.raises(Forbidden):
        pay_invoice(
            setup.engine,
            setup.processor,
            setup.clock,
            actor_id=reader,
            request=replace(setup.request(key="r"), client_address="203.0.113.9"),
        )
    pay_invoice(
        setup.engine,
        setup.processor,
        setup.clock,
        actor_id=setup.world.owner.id,
        request=replace(setup.request(), client_address="198.51.100.7"),
    )
    with UnitOfWork(setup.engine, write=False) as uow:
        events = uow.audit.list(resource=f"invoices/{setup.invoice.id}")
    trail = [(e.action, e.outcome, e.actor_id, e.client_address) for e in reversed(events)]
    assert trail == [
        ("payment.refused", "AuthorizationFailed", reader, "203.0.113.9"),
        ("payment.started", "success", setup.world.owner.id, "198.51.100.7"),
        ("payment.succeeded", "succeeded", setup.world.owner.id, "198.51.100.7"),
    ]


def test_the_outcome_and_its_e_mail_are_written_together(setup: Setup) -> None:
    with UnitOfWork(setup.engine) as uow:
        profile = uow.profiles.get(setup.world.profile.id)
        uow.profiles.update(replace(profile, invoice_email="ap@contoso.example", invoice_language="da"))
    setup.card = setup.add_card("4000000000000002")
    declined = setup.pay(key="declined")
    setup.card = setup.add_card(VISA)
    paid = setup.pay(key="paid")
    with UnitOfWork(setup.engine, write=False) as uow:
        messages = {(m.kind.value, m.reference, m.recipient, m.locale) for m in list_outbox(uow)}
    assert isinstance(declined, Declined) and isinstance(paid, Succeeded)
    payer = setup.world.owner.email  # no language of their own: the profile's
    assert messages == {
        ("payment_failed", declined.payment.id, payer, "da"),  # the reason goes to who tried to pay
        ("payment_succeeded", paid.payment.id, payer, "da"),  # the receipt to the payer and to accounts payable
        ("payment_succeeded", paid.payment.id, "ap@contoso.example", "da"),
    }
