"""Asking for a reset link, attacked through the portal: the link comes by real e-mail and points at
SETTLE_BASE_URL; the answer is the same for every address, and so is the throttle; the pages and the mail
speak the user's language; `settle outbox send` makes the same link from the secret key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from settle.accounts.service import add_user
from settle.schema import metadata
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD
from tests.integration.notify.smtp_server import Inbox
from tests.web.portal.conftest import CSRF, Portal
from tests.web.portal.resets import (
    LINK,
    NEW_PASSWORD,
    ask,
    audit,
    choose,
    secret_in,
    send_mail,
    settings_of,
    signs_in,
    texts,
)


def test_a_user_who_forgot_the_password_is_mailed_a_link_and_signs_in_with_the_new_password_only(
    portal: Portal, mail: tuple[Inbox, str]
) -> None:
    inbox, url = mail
    owner = portal.world.owner
    sign_in_page = portal.client.get("/signin").text
    assert 'href="/forgot-password"' in sign_in_page and "Forgot password?" in sign_in_page
    # Typed as people type it; the Host header is an attacker's, who wants the link to point at them.
    answer = ask(portal.client, f"  {owner.email.upper()} ", Host="evil.example")
    assert answer.status_code == 200 and "we sent it a link" in answer.text
    send_mail(portal, url)
    [message] = inbox.received
    assert message["To"] == owner.email and message["Subject"] == "Reset your Settle password"
    plain, html = texts(message)
    base, secret = LINK.search(plain).groups()  # type: ignore[union-attr]
    assert base == settings_of(portal).base_url and "evil.example" not in plain + html
    assert f"/reset-password/{secret}" in html
    assert "It works once, for 1 hour." in plain
    assert "If you didn't ask for this, ignore this message: your password stays as it is." in plain
    page = portal.client.get(f"/reset-password/{secret}")
    assert page.status_code == 200 and 'name="again"' in page.text and owner.email in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    done = choose(portal.client, secret, NEW_PASSWORD)
    assert (done.status_code, done.headers["location"]) == (303, "/password-changed")
    assert "Sign in with your new password" in portal.client.get("/password-changed").text
    assert not signs_in(portal, owner.email, PASSWORD)
    assert signs_in(portal, owner.email, NEW_PASSWORD)
    assert [outcome for outcome, _ in audit(portal, "user.password_reset_requested")] == ["success"]
    assert [outcome for outcome, _ in audit(portal, "user.password_reset")] == ["success"]
    with portal.engine.connect() as connection:  # the secret is nowhere in Settle's tables, audit trail included
        stored = [
            json.dumps(list(row), default=str)
            for table in metadata.sorted_tables
            for row in connection.execute(table.select())
        ]
    assert not any(secret in row for row in stored)


def _comparable(answer: httpx.Response, email: str) -> tuple[int, str, dict[str, str]]:
    """What an observer compares: the status, the body without its CSRF token and the address typed,
    and every header but the cookies, the date, the request id and the length (the address's)."""
    body = CSRF.sub("csrf", answer.text).replace(email, "EMAIL")
    ignored = {"set-cookie", "date", "x-request-id", "content-length"}
    return answer.status_code, body, {k: v for k, v in answer.headers.items() if k not in ignored}


def test_the_answer_is_the_same_for_a_known_a_disabled_and_an_unknown_address(
    portal: Portal, mail: tuple[Inbox, str]
) -> None:
    inbox, url = mail
    with UnitOfWork(portal.engine) as uow:
        disabled = add_user(uow, portal.clock, email="gone@contoso.example", display_name="Gone", password=PASSWORD)
        uow.users.update(replace(disabled, disabled=True))
    addresses = [portal.world.owner.email, disabled.email, "nobody-here@contoso.example"]
    portal.client.get("/forgot-password")  # the browser cookie is set once, before
    answers = [_comparable(ask(portal.client, address), address) for address in addresses]
    assert answers[0][0] == 200 and "If an account uses EMAIL, we sent it a link" in answers[0][1]
    assert answers[0] == answers[1] == answers[2]
    send_mail(portal, url)
    assert [message["To"] for message in inbox.received] == [portal.world.owner.email]
    outcomes = [outcome for outcome, _ in audit(portal, "user.password_reset_requested")]
    assert sorted(outcomes) == ["disabled", "success", "unknown_address"]


def test_asking_too_often_answers_429_alike_for_a_known_and_an_unknown_address(
    portal: Portal, mail: tuple[Inbox, str]
) -> None:
    inbox, url = mail
    known, unknown = portal.world.owner.email, "nobody-here@contoso.example"
    portal.client.get("/forgot-password")
    for _ in range(3):
        assert ask(portal.client, known).status_code == 200
        assert ask(portal.client, unknown).status_code == 200
    refused = [ask(portal.client, known), ask(portal.client, unknown)]
    assert [answer.status_code for answer in refused] == [429, 429]
    assert refused[0].headers["retry-after"] == refused[1].headers["retry-after"] == "3600"
    assert "Too many reset links were asked for. Try again in 60 minutes." in refused[0].text
    assert _comparable(refused[0], known) == _comparable(refused[1], unknown)
    send_mail(portal, url)
    assert len(inbox.to(known)) == 3  # no more than three links an hour to one inbox
    portal.clock.advance(timedelta(hours=1))
    assert ask(portal.client, known).status_code == 200


def test_one_client_address_may_ask_for_ten_addresses_an_hour(portal: Portal) -> None:
    prober = TestClient(portal.client.app, client=("203.0.113.7", 50000))
    for n in range(10):
        assert ask(prober, f"probe-{n}@example.com").status_code == 200
    throttled = ask(prober, portal.world.owner.email)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    other = TestClient(portal.client.app, client=("198.51.100.1", 50000))
    assert ask(other, portal.world.owner.email).status_code == 200  # the address itself is not held up


def test_asking_without_the_forms_csrf_token_is_refused_and_sends_nothing(
    portal: Portal, mail: tuple[Inbox, str]
) -> None:
    inbox, url = mail
    answer = portal.client.post("/forgot-password", data={"email": portal.world.owner.email})
    assert answer.status_code == 403
    send_mail(portal, url)
    assert inbox.received == []


@pytest.mark.parametrize(
    ("locale", "heading", "sent", "subject", "button"),
    [
        (
            "nl",
            "Wachtwoord vergeten",
            "Als er een account met",
            "Stel uw Settle-wachtwoord opnieuw in",
            "Nieuw wachtwoord instellen",
        ),
        (
            "da",
            "Glemt adgangskode",
            "Hvis en konto bruger",
            "Nulstil din adgangskode til Settle",
            "Gem den nye adgangskode",
        ),
    ],
)
def test_the_pages_and_the_mail_are_in_dutch_and_danish(
    portal: Portal, mail: tuple[Inbox, str], locale: str, heading: str, sent: str, subject: str, button: str
) -> None:
    inbox, url = mail
    email = portal.world.owner.email  # no language of their own: the portal's, the browser's here
    portal.client.headers["Accept-Language"] = locale
    assert f'<html lang="{locale}">' in (page := portal.client.get("/forgot-password").text) and heading in page
    assert sent in ask(portal.client, email).text
    send_mail(portal, url)
    [message] = inbox.received
    assert message["Subject"] == subject and message["Content-Language"] == locale
    assert button in portal.client.get(f"/reset-password/{secret_in(message)}").text
    portal.client.headers["Accept-Language"] = "en"
    choose(portal.client, secret_in(message), NEW_PASSWORD)
    portal.client.headers["Accept-Language"] = locale
    dead = portal.client.get(f"/reset-password/{secret_in(message)}").text
    assert {"nl": "Deze link is verlopen of al gebruikt.", "da": "Dette link er udløbet eller allerede brugt."}[
        locale
    ] in dead


def test_a_user_with_a_language_of_their_own_gets_the_mail_in_it(portal: Portal, mail: tuple[Inbox, str]) -> None:
    inbox, url = mail
    with UnitOfWork(portal.engine) as uow:
        add_user(uow, portal.clock, email="jens@fabrikam.example", display_name="Jens", password=PASSWORD, locale="da")
    assert ask(portal.client, "jens@fabrikam.example", **{"Accept-Language": "nl"}).status_code == 200
    send_mail(portal, url)
    [message] = inbox.received
    assert message["Subject"] == "Nulstil din adgangskode til Settle"
    assert "Det virker én gang og i 1 time." in texts(message)[0]


def _settle_cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SETTLE_DATABASE_URL": database_url, **env}
    command = [sys.executable, "-m", "settle.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)


def test_settle_outbox_send_mails_a_link_that_works_and_none_made_with_another_key(
    portal: Portal, mail: tuple[Inbox, str], database_url: str
) -> None:
    inbox, url = mail
    email = portal.world.owner.email
    settings = settings_of(portal)
    cli = {"SETTLE_SMTP_URL": url, "SETTLE_BASE_URL": settings.base_url, "SETTLE_RECONCILE_EVERY_SECONDS": "0"}
    portal.clock.current = datetime.now(UTC)  # the command runs on the system clock: the links must be open then
    assert ask(portal.client, email).status_code == 200
    wrong_key = _settle_cli(database_url, "outbox", "send", SETTLE_SECRET_KEY="not the servers key", **cli)
    assert wrong_key.returncode == 0 and "skipped 1" in wrong_key.stdout, wrong_key.stderr
    assert inbox.received == []  # a link that would open nothing is not sent
    with UnitOfWork(portal.engine, write=False) as uow:
        assert "SETTLE_SECRET_KEY" in (uow.outbox.latest(None, 1)[0].last_error or "")
    assert ask(portal.client, email).status_code == 200
    sent = _settle_cli(database_url, "outbox", "send", SETTLE_SECRET_KEY=settings.secret_key, **cli)
    assert sent.returncode == 0 and "sent 1" in sent.stdout, sent.stderr
    assert choose(portal.client, secret_in(inbox.to(email)[0]), NEW_PASSWORD).status_code == 303
    assert signs_in(portal, email, NEW_PASSWORD)
