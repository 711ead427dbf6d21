"""E-mail verification through the portal, as people and attackers use it: sign-up e-mails a single-use link
(through the outbox, to a real SMTP server, in the portal's language); opening it shows a button and changes
nothing; the button verifies once. Until then a user holds no role someone else granted (in the portal and
the REST API) and cannot accept an invitation, and an invitation is bound to the invited address."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.schema import metadata
from settle.uow import UnitOfWork
from tests.integration.factories import add_invoices, make_invoice, make_world
from tests.web.portal.verifying import BASE, LINK, SIGN_UP_PASSWORD, Browser, Mail, portal_with_mail, text_of

API = "/providers/Microsoft.Billing/billingAccounts"
VERSION = {"api-version": "2024-04-01"}


@pytest.fixture
def mail(engine: Engine, database_url: str, clock: FixedClock, tmp_path: Path) -> Iterator[Mail]:
    with portal_with_mail(engine, database_url, clock, tmp_path) as made:
        yield made


def _verified(mail: Mail, email: str) -> bool:
    with UnitOfWork(mail.portal.engine, write=False) as uow:
        return uow.users.get_by_email(email).verified


def _signed_up(mail: Mail, email: str, language: str = "en") -> Browser:
    """A stranger's browser that signed up with `email` and signed in (unverified)."""
    browser = mail.browser()
    assert browser.sign_up(email, language=language).status_code == 200
    browser.sign_in(email, SIGN_UP_PASSWORD)
    return browser


def _verify(mail: Mail, browser: Browser, email: str) -> None:
    link = mail.link_to(email)
    answer = browser.client.post(link, data={"csrf_token": browser.csrf(link)}, follow_redirects=False)
    assert answer.status_code in (200, 303), answer.text
    assert _verified(mail, email)


def _api_token(browser: Browser) -> dict[str, str]:
    """A personal access token made in the portal, as its user would."""
    created = browser.client.post(
        "/settings/tokens", data={"csrf_token": browser.csrf("/settings/tokens"), "name": "mine"}
    )
    secret = re.search(r'value="([^"]+)" aria-label="New API token"', created.text)
    assert secret
    return {"Authorization": f"Bearer {secret.group(1)}"}


def test_sign_up_mails_a_link_in_the_portals_language_that_a_get_leaves_and_a_post_uses_once(
    mail: Mail, caplog: pytest.LogCaptureFixture
) -> None:
    browser = mail.browser()
    assert browser.sign_up("nina@startup.example", language="nl").status_code == 200
    assert not _verified(mail, "nina@startup.example")

    [message] = mail.to("nina@startup.example")
    assert (
        message["Content-Language"] == "nl"
        and message["Subject"] == "Verifieer uw e-mailadres voor Settle Billing B.V."
    )
    assert "Geldig tot" in text_of(message)
    link = LINK.search(text_of(message))
    assert link, "the link is in the mail, made from the base URL"
    secret, path = link.group(1), f"/verify-email/{link.group(1)}"
    with mail.portal.engine.connect() as connection:  # the secret is kept nowhere: only its hash
        for table in metadata.sorted_tables:
            assert secret not in json.dumps([list(row) for row in connection.execute(sa.select(table))], default=str)

    with caplog.at_level(logging.INFO, logger="settle.request"):
        page = browser.client.get(path)  # a mail scanner following the link, or the person
        assert page.status_code == 200 and "nina@startup.example" in page.text and 'method="post"' in page.text
        assert not _verified(mail, "nina@startup.example")
        assert browser.client.post(path, data={"csrf_token": "forged"}).status_code == 403
        assert not _verified(mail, "nina@startup.example")
        used = browser.client.post(path, data={"csrf_token": browser.csrf(path)}, follow_redirects=False)
    assert (used.status_code, used.headers["location"]) == (303, "/signin?notice=verified")
    assert "Your e-mail address is verified. Sign in to go on." in browser.client.get(used.headers["location"]).text
    assert _verified(mail, "nina@startup.example")
    with UnitOfWork(mail.portal.engine, write=False) as uow:
        user = uow.users.get_by_email("nina@startup.example")
        assert "user.email_verified" in [event.action for event in uow.audit.list(f"users/{user.id}")]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "settle.request")
    assert "/verify-email/{secret}" in logged and secret not in logged

    again = browser.client.post(path, data={"csrf_token": browser.csrf()})
    assert again.status_code == 409 and "This verification link was used already." in again.text
    assert browser.client.get(path).status_code == 409


def test_an_expired_link_answers_a_clear_page_and_verifies_nothing(mail: Mail) -> None:
    browser = mail.browser()
    browser.sign_up("late@startup.example")
    path = mail.link_to("late@startup.example")
    mail.portal.clock.advance(timedelta(hours=48))

    shown = browser.client.get(path, headers={"Accept-Language": "da"})
    assert shown.status_code == 409 and "Dette bekræftelseslink er udløbet" in shown.text
    used = browser.client.post(path, data={"csrf_token": browser.csrf()})
    assert used.status_code == 409 and "has expired" in used.text
    assert not _verified(mail, "late@startup.example")


def test_a_made_up_or_altered_link_is_not_found(mail: Mail) -> None:
    browser = mail.browser()
    browser.sign_up("guess@startup.example")
    real = mail.link_to("guess@startup.example")
    altered = real[:-1] + ("A" if real[-1] != "A" else "B")
    for path in (altered, "/verify-email/" + "x" * 43):
        assert browser.client.get(path).status_code == 404
        refused = browser.client.post(path, data={"csrf_token": browser.csrf()})
        assert refused.status_code == 404 and "This verification link is not valid." in refused.text
    assert not _verified(mail, "guess@startup.example")


def test_the_link_comes_from_the_base_url_never_from_the_requests_host(mail: Mail) -> None:
    browser = mail.browser()
    data = {
        "email": "host@startup.example", "name": "H", "password": SIGN_UP_PASSWORD, "company": "Host BV",
        "currency": "EUR", "country": "NL", "csrf_token": browser.csrf("/signup"),
    }  # fmt: skip
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    assert browser.client.post("/signup", data=data, headers=headers).status_code == 200
    [message] = mail.to("host@startup.example")
    assert "evil.example" not in message.as_string() and f"{BASE}/verify-email/" in text_of(message)


def test_an_unverified_user_sees_the_banner_and_asking_again_is_throttled(mail: Mail) -> None:
    browser = _signed_up(mail, "banner@startup.example")
    home = browser.client.get("/", follow_redirects=False)
    assert (
        home.status_code == 200
        and "Verify your e-mail address banner@startup.example" in home.text
        and 'action="/verify-email"' in home.text
    )

    soon = browser.client.post("/verify-email", data={"csrf_token": browser.csrf("/")}, follow_redirects=False)
    assert soon.status_code == 429 and int(soon.headers["retry-after"]) == 300
    assert "A new link can be sent in 5 minutes" in soon.text
    for _ in range(4):  # the sign-up's link and four more: five in a day
        mail.portal.clock.advance(timedelta(minutes=5))
        sent = browser.client.post("/verify-email", data={"csrf_token": browser.csrf("/")}, follow_redirects=False)
        assert sent.status_code == 200 and "We sent a new link to banner@startup.example" in sent.text
    mail.portal.clock.advance(timedelta(minutes=5))
    day = browser.client.post("/verify-email", data={"csrf_token": browser.csrf("/")}, follow_redirects=False)
    assert day.status_code == 429 and int(day.headers["retry-after"]) == 24 * 3600 - 25 * 60
    assert len(mail.to("banner@startup.example")) == 5

    mail.portal.clock.advance(timedelta(days=1))
    browser.sign_in("banner@startup.example", SIGN_UP_PASSWORD)  # the session of yesterday has ended
    again = browser.client.post("/verify-email", data={"csrf_token": browser.csrf("/")}, follow_redirects=False)
    assert again.status_code == 200 and "We sent a new link" in again.text
    _verify(mail, browser, "banner@startup.example")  # the newest link works; older ones need not die
    home = browser.client.get("/")
    assert home.status_code == 200 and "Welcome" in home.text and "Verify your e-mail address" not in home.text
    refused = browser.client.post("/verify-email", data={"csrf_token": browser.csrf("/")}, follow_redirects=False)
    assert refused.status_code == 409 and "verified already" in refused.text


def test_verifying_while_signed_in_shows_the_user_verified_at_once(mail: Mail) -> None:
    browser = _signed_up(mail, "inside@startup.example")
    link = mail.link_to("inside@startup.example")
    done = browser.client.post(link, data={"csrf_token": browser.csrf(link)})
    assert done.status_code == 200 and "inside@startup.example is verified" in done.text
    assert 'action="/verify-email"' not in done.text  # no banner any more


def test_a_role_granted_to_an_address_someone_pre_registered_waits_until_it_is_proved(mail: Mail) -> None:
    """A stranger signs up first with a colleague's address; Contoso's owner, meaning the colleague, gives
    that address a role. The stranger must see nothing, in the portal or the API, until the address is
    proved (and only its real owner can prove it)."""
    world = mail.portal.world
    add_invoices(mail.portal.engine, [make_invoice(world, mail.portal.clock, number="G000900001")])
    squatter = _signed_up(mail, "colleague@contoso.example")
    token = _api_token(squatter)
    owner = mail.browser()
    owner.sign_in(world.owner.email)
    added = owner.client.post(
        "/billing/access/add",
        data={
            "csrf_token": owner.csrf("/billing/access"),
            "email": "colleague@contoso.example",
            "role": "billing_account_reader",
        },
    )
    assert added.status_code == 200 and "It takes effect once its holder has verified" in added.text
    assert "Waiting for the address to be verified" in added.text

    account, profile = f"{API}/{world.account.id}", f"{API}/{world.account.id}/billingProfiles/{world.profile.id}"
    assert squatter.client.get("/billing/invoices/G000900001").status_code == 404
    assert "Contoso" not in squatter.client.get("/billing").text
    for path in (account, f"{profile}/invoices", f"{profile}/invoices/G000900001"):
        assert squatter.client.get(path, params=VERSION, headers=token).status_code == 404, path
    check = squatter.client.post(
        f"{account}/checkAccess",
        params=VERSION,
        headers=token,
        json={"actions": ["Microsoft.Billing/billingAccounts/invoices/read"]},
    )
    assert check.status_code == 404

    _verify(mail, squatter, "colleague@contoso.example")  # the address's real owner, reading its mail
    assert squatter.client.get("/billing/invoices/G000900001").status_code == 200
    listed = squatter.client.get(f"{profile}/invoices", params=VERSION, headers=token)
    assert [invoice["name"] for invoice in listed.json()["value"]] == ["G000900001"]
    assert "Waiting for the address to be verified" not in owner.client.get("/billing/access").text
    with UnitOfWork(mail.portal.engine, write=False) as uow:
        events = [event.action for event in uow.audit.list(f"billingAccounts/{world.account.id}")]
    assert "role_assignment.activated" in events


def test_the_granter_removes_a_pending_grant_and_verifying_then_gives_nothing(mail: Mail) -> None:
    world = mail.portal.world
    newcomer = _signed_up(mail, "maybe@contoso.example")
    owner = mail.browser()
    owner.sign_in(world.owner.email)
    csrf = owner.csrf("/billing/access")
    owner.client.post(
        "/billing/access/add",
        data={"csrf_token": csrf, "email": "maybe@contoso.example", "role": "billing_account_contributor"},
    )
    [row] = [row for row in owner.client.get("/billing/access").text.split("<tr") if "maybe@contoso.example" in row]
    assert "Waiting for the address to be verified" in row
    removal = re.search(r'action="(/billing/access/[^"]+/remove[^"]*)"', row)
    assert removal, "the pending grant can be removed from the blade"
    removed = owner.client.post(
        removal.group(1).replace("&amp;", "&"), data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert "maybe@contoso.example" not in owner.client.get("/billing/access").text

    _verify(mail, newcomer, "maybe@contoso.example")
    assert not _sees_contoso(mail, newcomer)


def _invitation(mail: Mail, email: str) -> str:
    """Contoso's owner invites an address without a user; the path of the one-time link shown."""
    owner = mail.browser()
    owner.sign_in(mail.portal.world.owner.email)
    invited = owner.client.post(
        "/billing/access/add",
        data={"csrf_token": owner.csrf("/billing/access"), "email": email, "role": "billing_account_reader"},
    )
    link = re.search(r'value="http[^"]+(/invitations/[^"]+)"', invited.text)
    assert link
    return link.group(1)


def _sees_contoso(mail: Mail, browser: Browser) -> bool:
    return browser.client.get(f"/billing?scope={mail.portal.world.account.id}").status_code == 200


def test_an_invitation_for_one_person_cannot_be_redeemed_by_another_customers_admin(mail: Mail) -> None:
    path = _invitation(mail, "dana@contoso.example")
    fabrikam = make_world(mail.portal.engine, mail.portal.clock, name="Fabrikam")  # verified: made by the operator
    admin = mail.browser()
    admin.sign_in(fabrikam.owner.email)

    refused = admin.client.post(path, data={"csrf_token": admin.csrf(path)})
    assert refused.status_code == 403 and "This invitation was sent to d•••@contoso.example" in refused.text
    assert "dana@contoso.example" not in refused.text
    assert not _sees_contoso(mail, admin)

    dana = _signed_up(mail, "dana@contoso.example")  # the invited person comes later: still open for her
    _verify(mail, dana, "dana@contoso.example")
    accepted = dana.client.post(path, data={"csrf_token": dana.csrf(path)}, follow_redirects=False)
    assert accepted.status_code == 303 and _sees_contoso(mail, dana)


def test_an_invitation_waits_for_the_invited_address_to_be_verified(mail: Mail) -> None:
    path = _invitation(mail, "erik@contoso.example")
    erik = _signed_up(mail, "erik@contoso.example", language="da")
    refused = erik.client.post(path, data={"csrf_token": erik.csrf(path)}, headers={"Accept-Language": "da"})
    assert refused.status_code == 403 and "Bekræft først din mailadresse" in refused.text
    assert not _sees_contoso(mail, erik)

    _verify(mail, erik, "erik@contoso.example")
    assert erik.client.post(path, data={"csrf_token": erik.csrf(path)}, follow_redirects=False).status_code == 303
    assert _sees_contoso(mail, erik)


def test_a_password_reset_link_proves_the_address_too(mail: Mail) -> None:
    """Someone who signed up, never opened the verification mail and forgot the password: the reset link
    reached the address, so using it verifies it and the role granted meanwhile takes effect."""
    newcomer = _signed_up(mail, "forgetful@contoso.example")
    owner = mail.browser()
    owner.sign_in(mail.portal.world.owner.email)
    owner.client.post(
        "/billing/access/add",
        data={
            "csrf_token": owner.csrf("/billing/access"),
            "email": "forgetful@contoso.example",
            "role": "billing_account_reader",
        },
    )
    assert not _sees_contoso(mail, newcomer)

    stranger = mail.browser()
    data = {"email": "forgetful@contoso.example", "csrf_token": stranger.csrf("/forgot-password")}
    assert stranger.client.post("/forgot-password", data=data).status_code == 200
    [reset] = [m for m in mail.to("forgetful@contoso.example") if "/reset-password/" in text_of(m)]
    found = re.search(re.escape(BASE) + r"(/reset-password/[A-Za-z0-9_-]{43})", text_of(reset))
    assert found
    form = {"password": "a new and long passphrase", "again": "a new and long passphrase"}
    chosen = stranger.client.post(
        found.group(1), data={**form, "csrf_token": stranger.csrf(found.group(1))}, follow_redirects=False
    )
    assert chosen.status_code == 303, chosen.text
    assert _verified(mail, "forgetful@contoso.example")
    stranger.sign_in("forgetful@contoso.example", "a new and long passphrase")
    assert _sees_contoso(mail, stranger)
    with UnitOfWork(mail.portal.engine, write=False) as uow:
        actions = [event.action for event in uow.audit.list(limit=1000)]
    assert "user.email_verified" in actions and "role_assignment.activated" in actions
