"""Support requests on SQLite and PostgreSQL: a user opens one about a billing account they can see,
sees their own; operators list, show and close them (also with `settle support`)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from settle.access.model import Role, Scope
from settle.access.operators import grant_operator
from settle.accounts.model import BillingAccountNotFound, BillingProfile, BillingProfileNotFound, User
from settle.accounts.scopes import get_billing_scope_for
from settle.accounts.service import add_billing_profile
from settle.clock import FixedClock
from settle.commands.common import CommandFailed
from settle.commands.support import support_app
from settle.commands.users import users_app
from settle.help.model import (
    OPERATOR,
    ArticleNotFound,
    ContactMethod,
    ProblemType,
    SubjectLength,
    SupportRequest,
    SupportRequestClosed,
    SupportRequestNotFound,
)
from settle.help.model import SupportRequestStatus as Status
from settle.help.service import (
    InvoiceNotOnProfile,
    SupportRequestForm,
    answer_support_request,
    close_support_request,
    follow_up_support_request,
    get_support_request,
    get_support_request_for,
    list_support_requests,
    open_support_request,
    replies_of,
    support_profiles_at,
    support_requests_of,
    visible_support_requests,
    write_to_support_request,
)
from settle.invoices.model import Invoice, InvoiceNotFound
from settle.notify.compose import Composer
from settle.notify.model import MessageKind
from settle.uow import UnitOfWork
from tests.integration.access.people import add_person
from tests.integration.factories import World, add_invoices, make_invoice, make_world


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    return make_world(engine, clock)


def _open(engine: Engine, clock: FixedClock, actor: User, locale: str = "en", **fields: Any) -> SupportRequest:
    values: dict[str, Any] = {
        "problem_type": "paying",
        "subject": "Pay now is missing",
        "description": "I see no Pay now link.",
    }
    with UnitOfWork(engine) as uow:
        return open_support_request(uow, clock, actor, SupportRequestForm(**{**values, **fields}), locale=locale)


def test_a_request_about_a_billing_account_is_stored_with_an_audit_event(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    opened = _open(engine, clock, world.owner, billing_account_id=world.account.id, suggested_article="pay-invoice")
    with UnitOfWork(engine, write=False) as uow:
        assert get_support_request(uow, opened.id) == opened
        events = uow.audit.list(resource=f"supportRequests/{opened.id}")
    assert opened.status is Status.OPEN and opened.created_at == clock.now()
    assert [(e.action, e.actor_id) for e in events] == [("support_request.opened", world.owner.id)]
    assert events[0].details == {
        "problem_type": "paying",
        "contact": "email",
        "billing_account": world.account.id,
        "suggested_article": "pay-invoice",
    }


def test_a_reader_of_one_billing_profile_may_ask_about_its_account(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    reader = add_person(engine, clock, Role.BILLING_PROFILE_READER, Scope(world.account.id, world.profile.id))
    assert _open(engine, clock, reader, billing_account_id=world.account.id).billing_account_id == world.account.id


def test_a_request_without_a_billing_account_is_fine(engine: Engine, clock: FixedClock) -> None:
    nobody = add_person(engine, clock)
    assert _open(engine, clock, nobody).billing_account_id is None


def test_another_customers_billing_account_is_as_unknown_as_one_that_does_not_exist(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    stranger = make_world(engine, clock, name="Fabrikam").owner
    for account_id in (world.account.id, "no-such-account"):
        with pytest.raises(BillingAccountNotFound):
            _open(engine, clock, stranger, billing_account_id=account_id)
    with UnitOfWork(engine, write=False) as uow:
        assert list_support_requests(uow) == []


def test_an_invalid_request_stores_nothing(engine: Engine, clock: FixedClock, world: World) -> None:
    with pytest.raises(SubjectLength):
        _open(engine, clock, world.owner, subject="x" * 201)
    with pytest.raises(ArticleNotFound):
        _open(engine, clock, world.owner, suggested_article="no-such-article")
    with UnitOfWork(engine, write=False) as uow:
        assert list_support_requests(uow) == []
        assert "support_request.opened" not in [event.action for event in uow.audit.list()]


def test_users_see_their_own_requests_only(engine: Engine, clock: FixedClock, world: World) -> None:
    other = add_person(engine, clock)
    first = _open(engine, clock, world.owner, subject="First")
    clock.advance(timedelta(minutes=5))
    second = _open(engine, clock, world.owner, subject="Second")
    theirs = _open(engine, clock, other, subject="Theirs")
    with UnitOfWork(engine, write=False) as uow:
        assert [r.subject for r in support_requests_of(uow, world.owner)] == ["Second", "First"]
        assert get_support_request_for(uow, world.owner, first.id) == first
        with pytest.raises(SupportRequestNotFound):
            get_support_request_for(uow, world.owner, theirs.id)
        with pytest.raises(SupportRequestNotFound):
            get_support_request_for(uow, world.owner, "nothing")
    assert second.id != first.id


def test_operators_list_by_status_newest_first_and_close_each_once(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    older = _open(engine, clock, world.owner, subject="Older")
    clock.advance(timedelta(hours=1))
    newer = _open(engine, clock, world.owner, subject="Newer")
    with UnitOfWork(engine) as uow:
        closed = close_support_request(uow, clock, older.id)
    with pytest.raises(SupportRequestClosed), UnitOfWork(engine) as uow:
        close_support_request(uow, clock, older.id)
    with UnitOfWork(engine, write=False) as uow:
        assert [r.id for r in list_support_requests(uow)] == [newer.id, older.id]
        assert [r.id for r in list_support_requests(uow, Status.OPEN)] == [newer.id]
        assert [r.id for r in list_support_requests(uow, Status.CLOSED)] == [older.id]
        assert list_support_requests(uow, limit=1) == [newer]
        assert get_support_request(uow, older.id) == closed
        assert [e.action for e in uow.audit.list(resource=f"supportRequests/{older.id}")] == [
            "support_request.closed",
            "support_request.opened",
        ]
        with pytest.raises(SupportRequestNotFound):
            get_support_request(uow, "nothing")


def test_the_support_command_lists_shows_and_closes(
    engine: Engine, clock: FixedClock, world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETTLE_DATABASE_URL", database_url)
    runner = CliRunner()
    opened = _open(
        engine, clock, world.owner, billing_account_id=world.account.id, subject="Kaart geweigerd", locale="nl",
        description="Mijn kaart wordt steeds geweigerd.\n[bold]niet opgemaakt[/bold]",
    )  # fmt: skip

    listed = runner.invoke(support_app, ["list", "--status", "open"])
    assert listed.exit_code == 0, listed.output
    assert opened.id in listed.stdout and "Kaart geweigerd" in listed.stdout and world.owner.email in listed.stdout

    shown = runner.invoke(support_app, ["show", opened.id])
    assert shown.exit_code == 0, shown.output
    assert "Mijn kaart wordt steeds geweigerd." in shown.stdout and "[bold]niet opgemaakt[/bold]" in shown.stdout
    assert world.account.display_name in shown.stdout and "open" in shown.stdout

    closed = runner.invoke(support_app, ["close", opened.id])
    assert closed.exit_code == 0, closed.output
    assert opened.id not in runner.invoke(support_app, ["list", "--status", "open"]).stdout
    assert opened.id in runner.invoke(support_app, ["list", "--status", "closed"]).stdout

    assert runner.invoke(support_app, ["list", "--status", "pending"]).exit_code != 0
    assert isinstance(runner.invoke(support_app, ["close", opened.id]).exception, SupportRequestClosed)


def _invoice(engine: Engine, clock: FixedClock, world: World) -> Invoice:
    invoice = make_invoice(world, clock)
    add_invoices(engine, [invoice])
    return invoice


def _second_profile(engine: Engine, clock: FixedClock, world: World) -> BillingProfile:
    with UnitOfWork(engine) as uow:
        return add_billing_profile(
            uow, clock, billing_account_id=world.account.id, display_name="Contoso Research", currency="EUR"
        )


def _nothing_stored(engine: Engine) -> None:
    with UnitOfWork(engine, write=False) as uow:
        assert list_support_requests(uow) == []
        assert "support_request.opened" not in [event.action for event in uow.audit.list()]


def test_every_field_of_a_request_is_stored_and_read_back(engine: Engine, clock: FixedClock, world: World) -> None:
    invoice = _invoice(engine, clock, world)
    opened = _open(
        engine, clock, world.owner, locale="da", problem_type="invoice_content", subject="", invoice=invoice.id.lower(),
        billing_profile_id=world.profile.id, billing_account_id=world.account.id,
        description="Momsen på fakturaen er forkert.\nDen skulle være 25 %.", contact_method="phone",
        contact_phone=" +45 12 34  56 78 ",
    )  # fmt: skip
    with UnitOfWork(engine, write=False) as uow:
        stored = get_support_request(uow, opened.id)
    assert stored == opened
    assert (stored.problem_type, stored.subject, stored.locale) == (
        ProblemType.INVOICE_CONTENT,
        "Momsen på fakturaen er forkert.",
        "da",
    )
    assert (stored.billing_account_id, stored.billing_profile_id, stored.invoice_id) == (
        world.account.id,
        world.profile.id,
        invoice.id,
    )
    assert (stored.contact_method, stored.contact_phone) == (ContactMethod.PHONE, "+45 12 34 56 78")


def test_the_invoice_decides_the_billing_profile_and_account(engine: Engine, clock: FixedClock, world: World) -> None:
    invoice = _invoice(engine, clock, world)
    opened = _open(engine, clock, world.owner, invoice=f" {invoice.id} ")
    assert (opened.billing_account_id, opened.billing_profile_id, opened.invoice_id) == (
        world.account.id,
        world.profile.id,
        invoice.id,
    )


def test_another_customers_invoice_is_as_unknown_as_one_that_does_not_exist(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    theirs = _invoice(engine, clock, make_world(engine, clock, name="Fabrikam"))
    for number in (theirs.id, "G999999999"):
        with pytest.raises(InvoiceNotFound) as raised:
            _open(engine, clock, world.owner, invoice=number)
        assert str(raised.value) == f"Invoice '{number}' was not found."
    _nothing_stored(engine)


def test_an_invoice_section_reader_cannot_name_an_invoice_of_its_profile(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    invoice = _invoice(engine, clock, world)
    section = Scope(world.account.id, world.profile.id, world.sections[0].id)
    reader = add_person(engine, clock, Role.INVOICE_SECTION_READER, section)
    with pytest.raises(InvoiceNotFound):
        _open(engine, clock, reader, invoice=invoice.id)
    _nothing_stored(engine)


def test_the_billing_profile_must_be_one_the_user_sees(engine: Engine, clock: FixedClock, world: World) -> None:
    other = _second_profile(engine, clock, world)
    reader = add_person(engine, clock, Role.BILLING_PROFILE_READER, Scope(world.account.id, world.profile.id))
    assert _open(engine, clock, reader, billing_profile_id=world.profile.id).billing_account_id == world.account.id
    stranger = make_world(engine, clock, name="Fabrikam").owner
    for who, profile_id in ((reader, other.id), (stranger, world.profile.id), (reader, "NO-SUCH-PROFILE")):
        with pytest.raises(BillingProfileNotFound):
            _open(engine, clock, who, billing_profile_id=profile_id)


def test_an_invoice_of_another_billing_profile_than_the_one_chosen_is_refused(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    invoice = _invoice(engine, clock, world)
    other = _second_profile(engine, clock, world)
    with pytest.raises(InvoiceNotOnProfile):
        _open(engine, clock, world.owner, invoice=invoice.id, billing_profile_id=other.id)
    _nothing_stored(engine)


def test_the_billing_profiles_offered_are_those_the_user_sees_at_the_scope(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    other = _second_profile(engine, clock, world)
    reader = add_person(engine, clock, Role.BILLING_PROFILE_READER, Scope(world.account.id, world.profile.id))
    with UnitOfWork(engine, write=False) as uow:
        at_account = get_billing_scope_for(uow, world.owner.id, world.account.id)
        at_profile = get_billing_scope_for(uow, world.owner.id, f"{world.account.id}/{other.id}")
        readers = get_billing_scope_for(uow, reader.id, f"{world.account.id}/{world.profile.id}")
        assert {p.id for p in support_profiles_at(uow, world.owner, at_account)} == {world.profile.id, other.id}
        assert [p.id for p in support_profiles_at(uow, world.owner, at_profile)] == [other.id]
        assert [p.id for p in support_profiles_at(uow, reader, readers)] == [world.profile.id]
        assert support_profiles_at(uow, reader, None) == []


def test_an_answer_is_stored_audited_and_e_mailed_in_the_request_s_language(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    opened = _open(engine, clock, world.owner, locale="nl", subject="Kaart geweigerd")
    clock.advance(timedelta(hours=2))
    with UnitOfWork(engine) as uow:
        answered, reply = answer_support_request(uow, clock, opened.id, "Probeer het opnieuw.", actor_id=None)
    with UnitOfWork(engine, write=False) as uow:
        assert get_support_request(uow, opened.id).status is Status.ANSWERED == answered.status
        assert replies_of(uow, opened) == [reply]
        assert (reply.author, reply.body, reply.created_at) == (OPERATOR, "Probeer het opnieuw.", clock.now())
        event = uow.audit.list(resource=f"supportRequests/{opened.id}")[0]
        mail = uow.outbox.latest()
    assert (event.action, event.actor_id, event.details) == (
        "support_request.answered",
        None,
        {"reply": reply.id, "status": "answered"},
    )
    assert [(m.kind, m.reference, m.recipient, m.locale) for m in mail] == [
        (MessageKind.SUPPORT_REPLY, reply.id, world.owner.email, "nl")
    ]


def test_a_follow_up_opens_the_request_again_and_a_closed_one_takes_none(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    opened = _open(engine, clock, world.owner)
    with UnitOfWork(engine) as uow:
        answer_support_request(uow, clock, opened.id, "Which card do you use?")
    clock.advance(timedelta(minutes=10))
    with UnitOfWork(engine) as uow:
        reopened, follow_up = follow_up_support_request(uow, clock, world.owner, opened.id, "A Visa card.")
    assert reopened.status is Status.OPEN and follow_up.author == world.owner.id
    other = add_person(engine, clock)
    with pytest.raises(SupportRequestNotFound), UnitOfWork(engine) as uow:
        follow_up_support_request(uow, clock, other, opened.id, "Me too.")
    clock.advance(timedelta(minutes=10))
    with UnitOfWork(engine) as uow:
        closed, _ = answer_support_request(uow, clock, opened.id, "Fixed.", close=True)
    assert closed.status is Status.CLOSED
    for step in (
        lambda uow: follow_up_support_request(uow, clock, world.owner, opened.id, "Again?"),
        lambda uow: answer_support_request(uow, clock, opened.id, "Again."),
    ):
        with pytest.raises(SupportRequestClosed), UnitOfWork(engine) as uow:
            step(uow)
    with UnitOfWork(engine, write=False) as uow:
        assert [r.body for r in replies_of(uow, opened)] == ["Which card do you use?", "A Visa card.", "Fixed."]
        assert len(uow.outbox.latest()) == 2  # the user is not e-mailed their own follow-up


def test_through_the_api_operators_answer_owners_follow_up_and_others_find_nothing(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    operator = add_person(engine, clock)
    with UnitOfWork(engine) as uow:
        grant_operator(uow, clock, operator.email.upper())  # found whatever the case it is typed in
    opened = _open(engine, clock, world.owner)
    stranger = add_person(engine, clock)
    with UnitOfWork(engine) as uow:
        _, answer = write_to_support_request(uow, clock, operator, opened.id, "Hello")
        _, follow_up = write_to_support_request(uow, clock, world.owner, opened.id, "Hi")
        assert visible_support_requests(uow, operator) == visible_support_requests(uow, world.owner)
        assert visible_support_requests(uow, stranger) == []
    assert (answer.author, follow_up.author) == (OPERATOR, world.owner.id)
    with UnitOfWork(engine, write=False) as uow:
        assert uow.audit.list(resource=f"supportRequests/{opened.id}")[1].actor_id == operator.id
    with pytest.raises(SupportRequestNotFound), UnitOfWork(engine) as uow:
        write_to_support_request(uow, clock, stranger, opened.id, "Hijack")


def test_the_answer_e_mail_carries_the_answer_and_the_way_back_to_the_request(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    opened = _open(engine, clock, world.owner, subject="Pay now is missing")
    with UnitOfWork(engine) as uow:
        _, reply = answer_support_request(
            uow, clock, opened.id, "Open the invoice.\n\nThen choose Pay now.", close=True
        )
    composer = Composer("Settle <billing@settle.example>", "https://portal.example")
    with UnitOfWork(engine, write=False) as uow:
        email = composer.compose(uow, uow.outbox.latest()[0])
    assert isinstance(email, EmailMessage)
    assert email["Subject"] == f"Answer to your support request {opened.id}"
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Open the invoice.\n\nThen choose Pay now." in text
    assert f"https://portal.example/help/requests/{opened.id}" in text
    assert "We have closed the request." in text and reply.id not in text


def test_settle_support_reply_answers_e_mails_in_the_request_s_language_and_show_lists_the_conversation(
    engine: Engine,
    clock: FixedClock,
    world: World,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SETTLE_DATABASE_URL", database_url)
    runner = CliRunner()
    opened = _open(engine, clock, world.owner, locale="da", subject="Kort afvist", contact_method="phone",
                   contact_phone="+45 12 34 56 78")  # fmt: skip

    replied = runner.invoke(support_app, ["reply", opened.id, "--message", "Prøv et andet kort."])
    assert replied.exit_code == 0, replied.output
    assert f"Answered support request {opened.id} (answered)" in replied.stdout
    answer = tmp_path / "answer.txt"
    answer.write_text("Betalingen er gået igennem.\nVi lukker sagen.\n", encoding="utf-8")
    closed = runner.invoke(support_app, ["reply", opened.id, "--file", str(answer), "--close"])
    assert closed.exit_code == 0, closed.output and "(closed)" in closed.stdout

    with UnitOfWork(engine, write=False) as uow:
        request = get_support_request(uow, opened.id)
        replies = replies_of(uow, request)
        mail = uow.outbox.latest()
        actions = [event.action for event in uow.audit.list(resource=f"supportRequests/{opened.id}")]
    assert request.status is Status.CLOSED
    assert [(r.author, r.body) for r in replies] == [
        (OPERATOR, "Prøv et andet kort."),
        (OPERATOR, "Betalingen er gået igennem.\nVi lukker sagen."),
    ]
    assert {(m.kind, m.recipient, m.locale) for m in mail} == {(MessageKind.SUPPORT_REPLY, world.owner.email, "da")}
    assert sorted(m.reference for m in mail) == sorted(r.id for r in replies)
    assert actions.count("support_request.answered") == 2

    shown = runner.invoke(support_app, ["show", opened.id])
    assert shown.exit_code == 0, shown.output
    for part in (
        "(closed)",
        "phone +45 12 34 56 78",
        "paying",
        "--- Support",
        "Prøv et andet kort.",
        "Vi lukker sagen.",
    ):
        assert part in shown.stdout, part
    listed = runner.invoke(support_app, ["list", "--status", "closed"])
    assert opened.id in listed.stdout and "paying" in listed.stdout

    for arguments in (["reply", opened.id], ["reply", opened.id, "-m", "x", "--file", str(answer)]):
        assert isinstance(runner.invoke(support_app, arguments).exception, CommandFailed)
    assert isinstance(runner.invoke(support_app, ["reply", opened.id, "-m", "Again"]).exception, SupportRequestClosed)
    assert isinstance(
        runner.invoke(support_app, ["reply", "000000-00000000", "-m", "x"]).exception, SupportRequestNotFound
    )


def test_the_answer_e_mail_is_written_in_the_request_s_language(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    composer = Composer("Settle <billing@settle.example>", "https://portal.example")
    subjects = {}
    for locale in ("en", "nl", "da"):
        opened = _open(engine, clock, world.owner, locale=locale)
        with UnitOfWork(engine) as uow:
            _, reply = answer_support_request(uow, clock, opened.id, "…")
        with UnitOfWork(engine, write=False) as uow:
            [message] = [m for m in uow.outbox.latest() if m.reference == reply.id]
            email = composer.compose(uow, message)
        assert isinstance(email, EmailMessage) and email["Content-Language"] == locale
        subjects[locale] = str(email["Subject"]).replace(opened.id, "N")
    assert subjects == {
        "en": "Answer to your support request N",
        "nl": "Antwoord op uw ondersteuningsaanvraag N",
        "da": "Svar på din supportanmodning N",
    }


def test_customer_text_reaches_the_operators_terminal_as_text(
    engine: Engine, clock: FixedClock, world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Markup a customer types is shown as typed (`[/oops]` once crashed `settle support list`, `[link=…]`
    planted a link) and their escape sequences never reach the terminal (colours, titles, hyperlinks)."""
    monkeypatch.setenv("SETTLE_DATABASE_URL", database_url)
    hostile = "[/oops] [link=https://evil.example]click[/link] \x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07x"
    with UnitOfWork(engine) as uow:
        uow.connection.execute(
            sa.text("UPDATE users SET display_name = :name WHERE id = :id"), {"name": hostile, "id": world.owner.id}
        )
    opened = _open(engine, clock, world.owner, subject=hostile[:80], description=hostile)
    runner = CliRunner()
    for app, args in ((support_app, ["list"]), (support_app, ["show", opened.id]), (users_app, ["list"])):
        shown = runner.invoke(app, args)
        assert shown.exit_code == 0, shown.output
        assert "[/oops]" in shown.stdout and "[link=https://evil.example]" in shown.stdout, args
        assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout, args
