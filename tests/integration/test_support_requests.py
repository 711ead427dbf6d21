"""Support requests on SQLite and PostgreSQL: a user opens one about a billing account they can see,
sees their own; operators list, show and close them (also with `settle support`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from settle.access.model import Role, Scope
from settle.accounts.model import BillingAccountNotFound, User
from settle.clock import FixedClock
from settle.commands.support import support_app
from settle.help.model import (
    ArticleNotFound,
    SubjectLength,
    SupportRequest,
    SupportRequestClosed,
    SupportRequestNotFound,
)
from settle.help.model import SupportRequestStatus as Status
from settle.help.service import (
    close_support_request,
    get_support_request,
    get_support_request_for,
    list_support_requests,
    open_support_request,
    support_requests_of,
)
from settle.uow import UnitOfWork
from tests.integration.access.people import add_person
from tests.integration.factories import World, make_world


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    return make_world(engine, clock)


def _open(engine: Engine, clock: FixedClock, actor: User, **fields: object) -> SupportRequest:
    values: dict[str, object] = {
        "subject": "Pay now is missing",
        "description": "I see no Pay now link.",
        "locale": "en",
    }
    with UnitOfWork(engine) as uow:
        return open_support_request(uow, clock, actor, **{**values, **fields})  # type: ignore[arg-type]


def test_a_request_about_a_billing_account_is_stored_with_an_audit_event(
    engine: Engine, clock: FixedClock, world: World
) -> None:
    opened = _open(engine, clock, world.owner, billing_account_id=world.account.id, suggested_article="pay-invoice")
    with UnitOfWork(engine, write=False) as uow:
        assert get_support_request(uow, opened.id) == opened
        events = uow.audit.list(resource=f"supportRequests/{opened.id}")
    assert opened.status is Status.OPEN and opened.created_at == clock.now()
    assert [(e.action, e.actor_id) for e in events] == [("support_request.opened", world.owner.id)]
    assert events[0].details == {"billing_account": world.account.id, "suggested_article": "pay-invoice"}


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
        _open(engine, clock, world.owner, subject=" ")
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
