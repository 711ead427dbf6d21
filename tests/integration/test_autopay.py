"""Automatic payment, day by day with an injected clock: soft declines tried again on the configured
days, hard declines never; an e-mail per failure in the recipient's language with the reason and a
link to Pay now; who may turn autopay on; what it charges and what it leaves alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.service import add_user
from settle.clock import FixedClock, today
from settle.errors import Forbidden
from settle.i18n import gettext
from settle.invoices.model import Invoice, InvoiceStatus
from settle.jobs import completed_on
from settle.money import Money
from settle.notify import content
from settle.notify.model import MessageKind
from settle.notify.sender import send_due
from settle.notify.service import list_outbox
from settle.payments.autopay import AUTOPAY_JOB, run_autopay_daily, set_autopay
from settle.payments.autopay_model import AutopayNeedsCard, RetrySchedule
from settle.payments.model import DECLINE_MESSAGES, DeclineCode, PaymentStatus
from settle.payments.paying import DEFAULT_POLICY
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.integration.autopay_world import DECLINED, EXPIRED, INSUFFICIENT, STOLEN, VISA, Autopay
from tests.integration.factories import PASSWORD, make_world
from tests.integration.notify.smtp_server import Inbox, smtp_server

BASE = "https://billing.example"
SCHEDULE = RetrySchedule((3, 5, 7))


@pytest.fixture
def autopay(engine: Engine, clock: FixedClock, tmp_path: Path) -> Autopay:
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    return Autopay(engine, clock, processor, make_world(engine, clock))


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    with smtp_server() as (received, port):
        yield received, f"smtp://127.0.0.1:{port}"


def _days_charged(autopay: Autopay, invoices: list[Invoice], days: int) -> dict[str, list[int]]:
    """Run autopay once a day for `days` days: on which days (counted from today) each invoice was charged."""
    start, charged = today(autopay.clock), {invoice.id: [] for invoice in invoices}
    for offset in range(days):
        autopay.advance_to(start + timedelta(days=offset))
        before = autopay.charges_per_invoice()
        autopay.run(schedule=SCHEDULE)
        after = autopay.charges_per_invoice()
        for number in charged:
            charged[number] += [offset] * (after[number] - before[number])
    return charged


def test_soft_declines_are_tried_again_on_the_configured_days_and_hard_ones_never(autopay: Autopay) -> None:
    soft = [autopay.invoices(autopay.profile(number), 1)[0] for number in (DECLINED, INSUFFICIENT)]
    hard = [autopay.invoices(autopay.profile(number), 1)[0] for number in (EXPIRED, STOLEN)]
    charged = _days_charged(autopay, soft + hard, days=12)
    assert [charged[invoice.id] for invoice in soft] == [[0, 3, 5, 7], [0, 3, 5, 7]]
    assert [charged[invoice.id] for invoice in hard] == [[0], [0]]
    for invoice in soft + hard:  # still unpaid, still payable with Pay now, shown Past due
        assert autopay.invoice(invoice.id).status(today(autopay.clock)) is InvoiceStatus.PAST_DUE


def test_a_run_that_misses_days_catches_up_one_attempt_a_day(autopay: Autopay) -> None:
    invoice = autopay.invoices(autopay.profile(INSUFFICIENT), 1)[0]
    start = today(autopay.clock)
    for offset in (0, 9, 10, 11, 12):  # the server was down from day 1 to day 8
        autopay.advance_to(start + timedelta(days=offset))
        autopay.run(schedule=SCHEDULE)
    assert autopay.charges_per_invoice()[invoice.id] == 4  # days 0, 9, 10 and 11: never two the same day


def test_after_a_soft_decline_a_new_default_card_pays_at_the_next_attempt(autopay: Autopay) -> None:
    profile = autopay.profile(INSUFFICIENT)
    invoice = autopay.invoices(profile, 1)[0]
    autopay.run(schedule=SCHEDULE)
    good = autopay.card(VISA, profile.id)
    with UnitOfWork(autopay.engine) as uow:
        from settle.payments.service import make_default_payment_method

        make_default_payment_method(
            uow, autopay.clock, actor_id=autopay.world.owner.id, profile_id=profile.id, method_id=good.id
        )
    autopay.advance_to(today(autopay.clock) + timedelta(days=2))
    assert autopay.run(schedule=SCHEDULE).considered == 1 and autopay.invoice(invoice.id).amount_due.is_positive()
    autopay.advance_to(today(autopay.clock) + timedelta(days=1))
    assert autopay.run(schedule=SCHEDULE).succeeded == 1
    assert autopay.invoice(invoice.id).amount_due.is_zero()


def test_each_failure_e_mails_the_invoice_contact_in_their_language_with_the_reason_and_pay_now(
    autopay: Autopay, inbox: tuple[Inbox, str]
) -> None:
    received, url = inbox
    dutch = autopay.invoices(autopay.profile(INSUFFICIENT, language="nl", email="ap@contoso.example"), 1)[0]
    danish = autopay.invoices(autopay.profile(EXPIRED, language="da", email="rnd@contoso.example"), 1)[0]
    _days_charged(autopay, [dutch, danish], days=8)
    send_due(autopay.engine, autopay.clock, url, base_url=BASE, limit=100)
    to_nl, to_da = received.to("ap@contoso.example"), received.to("rnd@contoso.example")
    assert len(to_nl) == 4 and len(to_da) == 1  # each failure: four soft ones, one hard one
    start = today(autopay.clock) - timedelta(days=7)
    retries = [start + timedelta(days=3), start + timedelta(days=5), start + timedelta(days=7), None]
    for message, retry_on in zip(_by_date(to_nl), retries, strict=True):
        _assert_dunning(message, dutch, "nl", DeclineCode.INSUFFICIENT_FUNDS, retry_on)
    _assert_dunning(to_da[0], danish, "da", DeclineCode.EXPIRED_CARD, None)


def _by_date(messages: list[EmailMessage]) -> list[EmailMessage]:
    from email.utils import parsedate_to_datetime

    return sorted(messages, key=lambda message: parsedate_to_datetime(message["Date"]))


def _assert_dunning(
    message: EmailMessage, invoice: Invoice, locale: str, code: DeclineCode, retry: date | None
) -> None:
    from settle.documents.layout import long_date

    subject = gettext(locale, content.AUTOPAY_FAILED_SUBJECT).format(number=invoice.id)
    assert message["Subject"] == subject != content.AUTOPAY_FAILED_SUBJECT.format(number=invoice.id)
    plain = message.get_body(("plain",))
    assert plain is not None
    text = str(plain.get_content())  # type: ignore[attr-defined]
    reason = gettext(locale, DECLINE_MESSAGES[code])
    assert reason != DECLINE_MESSAGES[code] and reason in text
    assert f"{BASE}/billing/invoices/{invoice.id}/pay" in text
    assert gettext(locale, "Pay now") in text  # Nu betalen, Betal nu
    if retry is None:
        assert gettext(locale, content.AUTOPAY_STOPPED) in text
    else:
        assert gettext(locale, content.AUTOPAY_RETRY).format(date=long_date(retry, locale)) in text


def test_turning_autopay_off_stops_the_retries(autopay: Autopay) -> None:
    profile = autopay.profile(DECLINED)
    invoice = autopay.invoices(profile, 1)[0]
    autopay.run(schedule=SCHEDULE)
    with UnitOfWork(autopay.engine) as uow:
        set_autopay(uow, autopay.clock, actor_id=autopay.world.owner.id, profile_id=profile.id, enabled=False)
    assert _days_charged(autopay, [invoice], days=10)[invoice.id] == []


def test_invoices_due_before_autopay_was_turned_on_are_left_to_pay_by_hand(autopay: Autopay) -> None:
    profile = autopay.profile(VISA)
    autopay.clock.advance(timedelta(days=-5))  # invoices issued earlier, due before today
    overdue = autopay.invoices(profile, 2, due_in_days=1)
    autopay.clock.advance(timedelta(days=5))
    later = autopay.invoices(profile, 2, due_in_days=3)
    report = autopay.run()
    assert report.considered == 0
    autopay.advance_to(today(autopay.clock) + timedelta(days=3))
    assert autopay.run().succeeded == 2
    assert [autopay.invoice(i.id).amount_due.is_zero() for i in overdue + later] == [False, False, True, True]


def test_an_invoice_being_paid_with_pay_now_is_left_alone(autopay: Autopay) -> None:
    from settle.payments.model import PayRequest
    from settle.payments.paying import pay_invoice
    from settle.processor.faults import Fault, Faults

    profile = autopay.profile(VISA)
    invoice = autopay.invoices(profile, 1)[0]
    autopay.processor.faults = Faults.scripted(Fault.TIMEOUT_BEFORE, Fault.TIMEOUT_BEFORE)  # the answer never came
    request = PayRequest(invoice.id, profile.default_payment_method_id or "", invoice.amount_due, "by-hand")
    pay_invoice(autopay.engine, autopay.processor, autopay.clock, actor_id=autopay.world.owner.id, request=request)
    report = autopay.run()
    assert (report.considered, report.succeeded, report.not_now) == (1, 0, 1)
    assert autopay.charges_per_invoice() == {}


def test_the_server_runs_autopay_once_a_day(autopay: Autopay) -> None:
    autopay.invoices(autopay.profile(VISA), 1)

    def daily() -> object:
        return run_autopay_daily(
            autopay.engine, autopay.processor, autopay.clock, schedule=SCHEDULE, policy=DEFAULT_POLICY, tz="UTC"
        )

    first = daily()
    assert first is not None and first.succeeded == 1  # type: ignore[attr-defined]
    autopay.clock.advance(timedelta(hours=6))
    assert daily() is None and completed_on(autopay.engine, AUTOPAY_JOB) == today(autopay.clock)
    autopay.clock.advance(timedelta(days=1))
    assert daily() is not None


def test_only_who_may_manage_payment_methods_turns_autopay_on_and_each_change_is_audited(
    autopay: Autopay,
) -> None:
    engine, clock, world = autopay.engine, autopay.clock, autopay.world
    profile = autopay.profile(VISA)
    with UnitOfWork(engine) as uow:
        set_autopay(uow, clock, actor_id=world.owner.id, profile_id=profile.id, enabled=False)
        people = {
            role: add_user(
                uow,
                clock,
                verified=True,
                email=f"{role.value}@contoso.example",
                display_name=role.value,
                password=PASSWORD,
            )
            for role in (Role.BILLING_PROFILE_READER, Role.INVOICE_MANAGER, Role.BILLING_PROFILE_CONTRIBUTOR)
        }
        for role, person in people.items():
            scope = Scope(world.account.id, profile.id)
            grant_role(uow, clock, actor_id=None, user_id=person.id, role=role, scope=scope)
    for role in (Role.BILLING_PROFILE_READER, Role.INVOICE_MANAGER):
        with pytest.raises(Forbidden, match="manage_payment_methods"), UnitOfWork(engine) as uow:
            set_autopay(uow, clock, actor_id=people[role].id, profile_id=profile.id, enabled=True)
    with UnitOfWork(engine) as uow:
        contributor = people[Role.BILLING_PROFILE_CONTRIBUTOR].id
        turned_on = set_autopay(uow, clock, actor_id=contributor, profile_id=profile.id, enabled=True)
        events = [e for e in uow.audit.list() if e.action == "billing_profile.autopay_changed"]
    assert turned_on.autopay and turned_on.autopay_since == today(clock)
    assert [(e.actor_id, (e.details or {}).get("autopay")) for e in events][:2] == [  # newest first
        (contributor, "on"),
        (world.owner.id, "off"),
    ]


def test_autopay_needs_a_card_as_the_default_payment_method(autopay: Autopay) -> None:
    with UnitOfWork(autopay.engine) as uow, pytest.raises(AutopayNeedsCard):
        set_autopay(
            uow, autopay.clock, actor_id=autopay.world.owner.id, profile_id=autopay.world.profile.id, enabled=True
        )


def test_a_failed_automatic_charge_is_a_failed_payment_of_the_invoice_without_a_payer(autopay: Autopay) -> None:
    invoice = autopay.invoices(autopay.profile(DECLINED), 1)[0]
    autopay.run()
    with UnitOfWork(autopay.engine, write=False) as uow:
        [payment] = uow.payments.list_for_invoice(invoice.id)
        [message] = [m for m in list_outbox(uow) if m.reference == payment.id]
    assert (payment.status, payment.decline_code, payment.payer_id) == (
        PaymentStatus.FAILED,
        DeclineCode.CARD_DECLINED,
        None,
    )
    assert payment.automatic and payment.idempotency_key == f"autopay-{invoice.id}-1"
    assert payment.amount == invoice.amount_due != Money.zero("EUR")
    assert message.kind is MessageKind.AUTOPAY_FAILED and message.recipient == "ap@contoso.example"
