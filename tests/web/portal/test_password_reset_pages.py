"""Using a reset link, attacked through the portal: it works once (also when two browsers post it at the
same moment) and for an hour, for its own user only; it signs every session of the user out, outdates
their other links and forgets their failed sign-ins; its secret never reaches the request log."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from settle.accounts.service import add_user
from settle.notify.model import OutboxStatus
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD
from tests.integration.notify.smtp_server import Inbox
from tests.web.portal.conftest import CSRF, Portal
from tests.web.portal.resets import (
    NEW_PASSWORD,
    ask,
    audit,
    choose,
    csrf_of,
    link_for,
    send_mail,
    signs_in,
)


def test_a_link_works_once_and_a_second_use_changes_nothing(portal: Portal, mail: tuple[Inbox, str]) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    secret = link_for(portal, inbox, url, email)
    assert choose(portal.client, secret, NEW_PASSWORD).status_code == 303
    again = portal.client.get(f"/reset-password/{secret}")
    assert again.status_code == 404
    assert "This link has expired or was used already. Ask for a new one." in again.text
    assert 'href="/forgot-password"' in again.text and 'name="password"' not in again.text
    # A form kept open from before, posted again with another password.
    token = CSRF.search(portal.client.get("/forgot-password").text).group(1)  # type: ignore[union-attr]
    data = {"password": "the attackers password", "again": "the attackers password", "csrf_token": token}
    second = portal.client.post(f"/reset-password/{secret}", data=data, follow_redirects=False)
    assert second.status_code == 404 and "expired or was used already" in second.text
    assert signs_in(portal, email, NEW_PASSWORD) and not signs_in(portal, email, "the attackers password")


def _race(portal: Portal, secret: str, passwords: list[str]) -> list[int]:
    """Both browsers open the link, then post their new passwords at the same moment."""
    browsers = [TestClient(portal.client.app, client=(f"10.0.0.{n}", 50000)) for n in range(len(passwords))]
    tokens = [csrf_of(browser, f"/reset-password/{secret}") for browser in browsers]
    start, statuses = threading.Barrier(len(passwords)), [0] * len(passwords)

    def post(n: int) -> None:
        data = {"password": passwords[n], "again": passwords[n], "csrf_token": tokens[n]}
        start.wait()
        answer = browsers[n].post(f"/reset-password/{secret}", data=data, follow_redirects=False)
        statuses[n] = answer.status_code

    threads = [threading.Thread(target=post, args=(n,)) for n in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_two_simultaneous_uses_of_one_link_set_exactly_one_password(portal: Portal, mail: tuple[Inbox, str]) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    for round_ in range(4):  # a race is not always run close: several make a lost one likely to show
        secret = link_for(portal, inbox, url, email)
        passwords = [f"password {n} of race {round_}" for n in range(2)]
        statuses = _race(portal, secret, passwords)
        assert sorted(statuses) == [303, 404]
        winner = passwords[statuses.index(303)]
        assert [signs_in(portal, email, password) for password in passwords] == [p == winner for p in passwords]
        portal.clock.advance(timedelta(hours=1))  # past the throttle's hour for the next link
    assert [outcome for outcome, _ in audit(portal, "user.password_reset")] == ["success"] * 4


def test_an_expired_link_is_refused_and_not_even_sent(portal: Portal, mail: tuple[Inbox, str]) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    secret = link_for(portal, inbox, url, email)
    portal.clock.advance(timedelta(minutes=59))
    assert portal.client.get(f"/reset-password/{secret}").status_code == 200
    form = csrf_of(portal.client, f"/reset-password/{secret}")
    portal.clock.advance(timedelta(minutes=1))
    assert portal.client.get(f"/reset-password/{secret}").status_code == 404
    data = {"password": NEW_PASSWORD, "again": NEW_PASSWORD, "csrf_token": form}
    assert portal.client.post(f"/reset-password/{secret}", data=data).status_code == 404
    assert signs_in(portal, email, PASSWORD) and not signs_in(portal, email, NEW_PASSWORD)
    # A link that waited in the outbox past its hour (the mail server was down) is not sent dead.
    assert ask(portal.client, email).status_code == 200
    portal.clock.advance(timedelta(hours=1))
    send_mail(portal, url)
    assert len(inbox.to(email)) == 1
    with UnitOfWork(portal.engine, write=False) as uow:
        newest = uow.outbox.latest(None, 1)[0]
    assert newest.status is OutboxStatus.SKIPPED and "expired" in (newest.last_error or "")


def test_a_reset_signs_out_every_session_of_the_user_the_resetting_browser_too(
    portal: Portal, mail: tuple[Inbox, str]
) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    elsewhere = TestClient(portal.client.app, client=("10.1.1.1", 50000))
    data = {"email": email, "password": PASSWORD, "next": "/", "csrf_token": csrf_of(elsewhere, "/signin")}
    assert elsewhere.post("/signin", data=data, follow_redirects=False).status_code == 303
    assert elsewhere.get("/", follow_redirects=False).status_code == 200
    assert portal.sign_in().status_code == 303
    own_session = portal.client.cookies["settle_session"]
    secret = link_for(portal, inbox, url, email)
    assert choose(portal.client, secret, NEW_PASSWORD).status_code == 303
    assert elsewhere.get("/", follow_redirects=False).status_code == 303  # sent to sign in
    assert "settle_session" not in portal.client.cookies
    portal.client.cookies.set("settle_session", own_session, domain="testserver.local")
    assert portal.client.get("/", follow_redirects=False).status_code == 303
    with UnitOfWork(portal.engine, write=False) as uow:
        assert uow.sessions.for_user(portal.world.owner.id) == []


def test_the_secret_never_reaches_the_request_log(
    portal: Portal, mail: tuple[Inbox, str], caplog: pytest.LogCaptureFixture
) -> None:
    inbox, url = mail
    secret = link_for(portal, inbox, url, portal.world.owner.email)
    with caplog.at_level(logging.INFO, logger="settle.request"):
        portal.client.get(f"/reset-password/{secret}")
        choose(portal.client, secret, "short", "short")
        choose(portal.client, secret, NEW_PASSWORD)
        portal.client.get(f"/reset-password/{secret}")
    logged = [record for record in caplog.records if record.name == "settle.request"]
    text = "\n".join(record.getMessage() + json.dumps(record.__dict__, default=str) for record in logged)
    assert secret not in text and "/reset-password/{secret}" in text
    # Nor any other log line of Settle's (the test client's own httpx lines show the URL it asked for).
    assert all(secret not in record.getMessage() for record in caplog.records if record.name.startswith("settle"))


def test_a_link_for_one_user_cannot_change_another_users_password(portal: Portal, mail: tuple[Inbox, str]) -> None:
    inbox, url = mail
    with UnitOfWork(portal.engine) as uow:
        victim = add_user(uow, portal.clock, email="victim@fabrikam.example", display_name="V", password=PASSWORD)
    attacker = portal.world.owner.email
    secret = link_for(portal, inbox, url, attacker)
    answer = choose(portal.client, secret, NEW_PASSWORD, email=victim.email, user_id=victim.id, username=victim.email)
    assert answer.status_code == 303
    assert signs_in(portal, victim.email, PASSWORD) and not signs_in(portal, victim.email, NEW_PASSWORD)
    assert signs_in(portal, attacker, NEW_PASSWORD)
    # The victim's address asked for by the attacker: the link goes to the victim's inbox alone.
    assert ask(portal.client, victim.email).status_code == 200
    send_mail(portal, url)
    assert [m["To"] for m in inbox.received] == [attacker, victim.email]


@pytest.mark.parametrize(
    ("password", "again", "locale", "error"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "!", "en", "The two passwords are not the same. Type the new password twice."),
        ("too short", "too short", "en", "The password must be at least 12 characters long."),
        (NEW_PASSWORD, "iets anders dan", "nl", "De twee wachtwoorden zijn niet gelijk."),
        ("kort", "kort", "da", "Adgangskoden skal være på mindst 12 tegn."),
    ],
)
def test_a_refused_new_password_says_why_in_the_language_and_changes_nothing(
    portal: Portal, mail: tuple[Inbox, str], password: str, again: str, locale: str, error: str
) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    secret = link_for(portal, inbox, url, email)
    portal.client.headers["Accept-Language"] = locale
    answer = choose(portal.client, secret, password, again)
    assert answer.status_code == 400 and error in answer.text and 'name="again"' in answer.text
    assert signs_in(portal, email, PASSWORD) and not signs_in(portal, email, password)
    assert choose(portal.client, secret, "the right one this time").status_code == 303  # the link still works


def test_using_one_link_outdates_the_users_other_links(portal: Portal, mail: tuple[Inbox, str]) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    first = link_for(portal, inbox, url, email)
    second = link_for(portal, inbox, url, email)
    assert first != second
    assert choose(portal.client, second, NEW_PASSWORD).status_code == 303
    assert portal.client.get(f"/reset-password/{first}").status_code == 404
    assert signs_in(portal, email, NEW_PASSWORD)


def test_a_reset_forgets_the_accounts_failed_sign_ins(portal: Portal, mail: tuple[Inbox, str]) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    guesser = TestClient(portal.client.app, client=("192.0.2.66", 50000))
    for _ in range(5):
        data = {"email": email, "password": "a wrong guess", "csrf_token": csrf_of(guesser, "/signin")}
        guesser.post("/signin", data=data)
    assert portal.sign_in().status_code == 429  # the account waits
    secret = link_for(portal, inbox, url, email)
    assert choose(portal.client, secret, NEW_PASSWORD).status_code == 303
    assert portal.sign_in(password=NEW_PASSWORD).status_code == 303


def test_a_malformed_secret_is_the_same_404(portal: Portal) -> None:
    for secret in ("x", "A" * 43, "A" * 500, "%00" * 20):
        answer = portal.client.get(f"/reset-password/{secret}")
        assert answer.status_code == 404 and "expired or was used already" in answer.text
