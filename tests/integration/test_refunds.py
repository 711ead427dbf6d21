"""Refunds through the processor, exactly once per key: a partial refund, then one beyond what is left
refused with a clear error; Settle's books and the processor's ledger agree to the cent; a fully
refunded invoice is payable again; the refund receipt e-mailed; the payment history lists it all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import Role, Scope
from settle.access.operators import grant_operator
from settle.access.service import grant_role
from settle.accounts.service import add_user
from settle.clock import FixedClock, today
from settle.i18n import gettext
from settle.invoices.model import InvoiceStatus
from settle.money import Money
from settle.notify import content
from settle.notify.sender import send_due
from settle.payments.lists import HistoryKind, list_payment_history, payments_of_invoices
from settle.payments.model import Payment, PaymentNotFound
from settle.payments.refund_model import (
    NothingLeftToRefund,
    OperatorsOnly,
    PaymentNotRefundable,
    RefundExceedsRefundable,
    RefundKeyReused,
    RefundStatus,
)
from settle.payments.refunds import finish_pending_refunds, refund_payment
from settle.processor.faults import Fault, Faults
from settle.uow import UnitOfWork
from tests.integration.documents.billing import Billing, make_billing
from tests.integration.factories import PASSWORD
from tests.integration.notify.smtp_server import Inbox, smtp_server
from tests.unit.documents.samples import text_of

EUR = "EUR"


@pytest.fixture
def billing(engine: Engine, clock: FixedClock, tmp_path: Path) -> Billing:
    return make_billing(engine, clock, tmp_path, language="nl", payer_locale="da")


@pytest.fixture
def paid(billing: Billing) -> Payment:
    """A card payment of a whole invoice (100.00 + 25.50 and 21 % tax: 151.86 EUR)."""
    return billing.pay_by_card(billing.invoice())


def _refund(billing: Billing, payment: Payment, amount: str | None, key: str, **options: object):  # type: ignore[no-untyped-def]
    given = Money.from_decimal(amount, EUR) if amount else None
    return refund_payment(
        billing.engine,
        billing.clock,
        billing.processor,
        payment_id=payment.id,
        idempotency_key=key,
        amount=given,
        **options,
    )  # type: ignore[arg-type]


def _invoice(billing: Billing, payment: Payment):  # type: ignore[no-untyped-def]
    with UnitOfWork(billing.engine, write=False) as uow:
        return uow.invoices.get(payment.invoice_id)


def _settle_refunded(billing: Billing, payment: Payment) -> Money:
    """What Settle's books say was given back of the payment's invoice."""
    with UnitOfWork(billing.engine, write=False) as uow:
        refunds = uow.refunds.for_invoices([payment.invoice_id])
    return Money(sum(r.amount.minor for r in refunds if r.status is RefundStatus.SUCCEEDED), EUR)


def _processor_refunded(billing: Billing) -> Money:
    return Money(sum(refund.amount.minor for refund in billing.processor.refunds()), EUR)


def test_a_partial_refund_then_one_beyond_what_is_left_is_refused_and_the_books_agree(
    billing: Billing, paid: Payment
) -> None:
    assert paid.amount == Money(15186, EUR)
    first = _refund(billing, paid, "50.00", "refund-1")
    assert first.status is RefundStatus.SUCCEEDED and first.receipt_number == f"{paid.invoice_id}-RF1"
    invoice = _invoice(billing, paid)
    assert invoice.amount_due == Money(5000, EUR)
    assert invoice.status(today(billing.clock)) is InvoiceStatus.PARTIALLY_PAID
    with pytest.raises(RefundExceedsRefundable) as refused:
        _refund(billing, paid, "101.87", "refund-2")
    assert str(refused.value) == f"At most 101.86 EUR of payment '{paid.id}' can still be refunded, not 101.87 EUR."
    assert _invoice(billing, paid).amount_due == Money(5000, EUR)  # nothing changed
    second = _refund(billing, paid, "101.86", "refund-3")
    assert second.receipt_number == f"{paid.invoice_id}-RF2"
    with pytest.raises(NothingLeftToRefund):
        _refund(billing, paid, None, "refund-4")
    # Settle's books and the processor's ledger, to the cent.
    assert [refund.amount for refund in billing.processor.refunds()] == [Money(5000, EUR), Money(10186, EUR)]
    assert _processor_refunded(billing) == _settle_refunded(billing, paid) == paid.amount
    assert billing.processor.total_charged(EUR) == Money(0, EUR)


def test_a_fully_refunded_invoice_is_payable_again_and_can_be_paid_again(billing: Billing, paid: Payment) -> None:
    refund = _refund(billing, paid, None, "all-of-it")
    assert refund.amount == paid.amount
    invoice = _invoice(billing, paid)
    assert invoice.amount_due == invoice.total and invoice.is_payable(today(billing.clock))
    again = billing.pay_by_card(invoice, key="second-payment")
    assert again.receipt_number == f"{invoice.id}-R2"
    assert _invoice(billing, paid).amount_due.is_zero()
    assert billing.processor.total_charged(EUR) == invoice.total


def test_the_same_key_gives_the_same_refund_once_and_another_request_with_it_is_refused(
    billing: Billing, paid: Payment
) -> None:
    first = _refund(billing, paid, "10.00", "same-key")
    assert _refund(billing, paid, "10.00", "same-key") == first
    assert _refund(billing, paid, None, "same-key") == first  # "the rest" with the key of an earlier refund: it
    with pytest.raises(RefundKeyReused):
        _refund(billing, paid, "11.00", "same-key")
    assert len(billing.processor.refunds()) == 1


def test_refunds_of_one_payment_at_the_same_time_never_give_back_more_than_was_paid(
    billing: Billing, paid: Payment
) -> None:
    outcomes: list[object] = []
    start = threading.Barrier(4)

    def one(key: str) -> None:
        start.wait()
        try:
            outcomes.append(_refund(billing, paid, "50.00", key))
        except RefundExceedsRefundable as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=one, args=(f"k{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(1 for outcome in outcomes if isinstance(outcome, RefundExceedsRefundable)) == 1  # 3 × 50 ≤ 151.86
    assert _processor_refunded(billing) == _settle_refunded(billing, paid) == Money(15000, EUR)


def test_a_refund_the_processor_did_not_answer_is_finished_later_once(billing: Billing, paid: Payment) -> None:
    billing.processor.faults = Faults.scripted(Fault.LOST_RESPONSE)  # refunded, the answer lost
    pending = _refund(billing, paid, "20.00", "lost")
    assert pending.status is RefundStatus.PENDING and len(billing.processor.refunds()) == 1
    assert _invoice(billing, paid).amount_due.is_zero()  # not given back to the invoice until known
    billing.clock.advance(timedelta(minutes=6))
    report = finish_pending_refunds(billing.engine, billing.processor, billing.clock)
    assert (report.checked, report.succeeded) == (1, 1)
    assert len(billing.processor.refunds()) == 1 and _invoice(billing, paid).amount_due == Money(2000, EUR)
    assert finish_pending_refunds(billing.engine, billing.processor, billing.clock).checked == 0


def test_only_succeeded_card_payments_are_refunded(billing: Billing) -> None:
    transfer = billing.pay_by_transfer(billing.invoice())
    with pytest.raises(PaymentNotRefundable):
        _refund(billing, transfer, None, "transfer")
    declined = billing.pay_by_card(billing.invoice(), number="4000000000000002")
    with pytest.raises(PaymentNotRefundable):
        _refund(billing, declined, None, "declined")
    assert billing.processor.refunds() == []


def test_through_the_api_only_operators_refund_and_others_do_not_learn_of_the_payment(
    billing: Billing, paid: Payment
) -> None:
    engine, clock, world = billing.engine, billing.clock, billing.world
    with UnitOfWork(engine) as uow:
        owner_elsewhere = add_user(
            uow, clock, verified=True, email="someone@fabrikam.example", display_name="F", password=PASSWORD
        )
        operator = add_user(
            uow, clock, verified=True, email="ops@settle.example", display_name="Ops", password=PASSWORD
        )
        reader = add_user(
            uow, clock, verified=True, email="reader@contoso.example", display_name="R", password=PASSWORD
        )
        scope = Scope(world.account.id, world.profile.id)
        grant_role(uow, clock, actor_id=None, user_id=reader.id, role=Role.BILLING_PROFILE_READER, scope=scope)
        grant_operator(uow, clock, "ops@settle.example")
    with pytest.raises(PaymentNotFound):
        _refund(billing, paid, None, "k1", actor_id=owner_elsewhere.id)
    for who in (reader.id, world.owner.id):  # they see the payment, but are no operators
        with pytest.raises(OperatorsOnly):
            _refund(billing, paid, None, "k2", actor_id=who)
    done = _refund(billing, paid, "1.00", "k3", actor_id=operator.id)
    assert done.status is RefundStatus.SUCCEEDED and done.actor_id == operator.id
    with UnitOfWork(engine, write=False) as uow:
        events = [(e.action, e.actor_id) for e in uow.audit.list(f"invoices/{paid.invoice_id}")]
    assert ("refund.succeeded", operator.id) in events and ("refund.started", operator.id) in events


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    with smtp_server() as (received, port):
        yield received, f"smtp://127.0.0.1:{port}"


def test_a_refund_sends_the_refund_receipt_in_each_recipient_s_language(
    billing: Billing, paid: Payment, inbox: tuple[Inbox, str]
) -> None:
    received, url = inbox
    refund = _refund(billing, paid, "51.86", "mailed")
    send_due(billing.engine, billing.clock, url, base_url="https://billing.example", limit=100)
    refund_subject = content.REFUND_SUBJECT.format(number=paid.invoice_id)
    [to_ap] = [m for m in received.to("ap@contoso.example") if m["Subject"] != _receipt_subject("nl", paid)]
    [to_payer] = [m for m in received.to(billing.payer.email) if m["Subject"] != _receipt_subject("da", paid)]
    assert to_ap["Subject"] == gettext("nl", content.REFUND_SUBJECT).format(number=paid.invoice_id) != refund_subject
    assert to_payer["Subject"] == gettext("da", content.REFUND_SUBJECT).format(number=paid.invoice_id)
    [attachment] = list(to_ap.iter_attachments())
    assert attachment.get_filename() == f"{refund.receipt_number}.pdf"
    pdf = text_of(attachment.get_content())
    assert "Bewijs van terugbetaling" in pdf and refund.receipt_number in pdf and "51,86" in pdf


def _receipt_subject(locale: str, payment: Payment) -> str:
    return gettext(locale, content.SUCCEEDED_SUBJECT).format(number=payment.invoice_id)


def test_the_invoice_and_the_payment_history_list_payments_and_refunds(billing: Billing, paid: Payment) -> None:
    billing.clock.advance(timedelta(minutes=1))
    refund = _refund(billing, paid, "2.86", "history")
    other = billing.invoice()
    billing.clock.advance(timedelta(minutes=1))
    declined = billing.pay_by_card(other, number="4000000000000002", key="declined")
    with UnitOfWork(billing.engine, write=False) as uow:
        [made] = payments_of_invoices(uow, [paid.invoice_id])[paid.invoice_id]
        scope = Scope(billing.world.account.id)
        history = list_payment_history(uow, actor_id=billing.payer.id, scope=scope)
        first_page = list_payment_history(uow, actor_id=billing.payer.id, scope=scope, limit=2)
        rest = list_payment_history(
            uow, actor_id=billing.payer.id, scope=scope, before=(first_page[-1].created_at, first_page[-1].id)
        )
    assert made.refunds == (refund,)
    assert [(entry.kind, entry.id, entry.amount) for entry in history] == [
        (HistoryKind.PAYMENT, declined.id, declined.amount),
        (HistoryKind.REFUND, refund.id, Money(-286, EUR)),
        (HistoryKind.PAYMENT, paid.id, paid.amount),
    ]
    assert history[1].card_last4 == "4242" and history[1].receipt_number == refund.receipt_number
    assert first_page + rest == history
    with UnitOfWork(billing.engine) as uow:
        stranger = add_user(
            uow, billing.clock, verified=True, email="x@fabrikam.example", display_name="X", password=PASSWORD
        )
    with UnitOfWork(billing.engine, write=False) as uow, pytest.raises(Exception, match="not found"):
        list_payment_history(uow, actor_id=stranger.id, scope=scope)


def test_an_automatic_payment_can_be_refunded_and_is_not_charged_again_by_itself(
    billing: Billing,
) -> None:
    from settle.payments.autopay import run_autopay, set_autopay

    with UnitOfWork(billing.engine) as uow:
        set_autopay(uow, billing.clock, actor_id=billing.payer.id, profile_id=billing.profile_id, enabled=True)
    invoice = billing.invoice(due_in_days=0)
    assert run_autopay(billing.engine, billing.processor, billing.clock).succeeded == 1
    with UnitOfWork(billing.engine, write=False) as uow:
        [payment] = uow.payments.list_for_invoice(invoice.id)
    _refund(billing, payment, None, "refund-auto")
    billing.clock.advance(timedelta(days=3))
    assert run_autopay(billing.engine, billing.processor, billing.clock).succeeded == 0
    assert _invoice(billing, payment).is_payable(today(billing.clock))
