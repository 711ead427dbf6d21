"""Signing in and out of the portal: sessions, CSRF, throttling, headers, sign-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import Role
from settle.clock import FixedClock
from settle.uow import UnitOfWork
from tests.web.portal.conftest import Portal, make_portal


def _use_session(portal: Portal, secret: str) -> None:
    """What a browser holding this session cookie would send (an attacker's planted one, or an old one)."""
    portal.client.cookies.delete("settle_session")
    portal.client.cookies.set("settle_session", secret, domain="testserver.local")


def test_every_page_carries_the_security_headers(portal: Portal) -> None:
    headers = portal.client.get("/signin").headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_signing_in_sets_an_httponly_lax_session_cookie_and_goes_where_the_user_was_going(portal: Portal) -> None:
    answer = portal.sign_in(next="/billing?x=1")
    assert answer.status_code == 303 and answer.headers["location"] == "/billing?x=1"
    cookie = next(
        value for name, value in answer.headers.multi_items() if name == "set-cookie" and "settle_session=" in value
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = portal.client.get("/")
    assert home.status_code == 200 and portal.world.owner.display_name in home.text


def test_a_wrong_password_gets_the_generic_message_and_no_session(portal: Portal) -> None:
    answer = portal.sign_in(password="not the password")
    assert answer.status_code == 400
    assert "The e-mail address or password is incorrect." in answer.text
    assert "settle_session" not in portal.client.cookies
    assert portal.client.get("/", follow_redirects=False).status_code == 303


def test_an_unknown_email_gets_the_same_message(portal: Portal) -> None:
    answer = portal.sign_in(email="nobody@example.com")
    assert answer.status_code == 400 and "The e-mail address or password is incorrect." in answer.text


def test_a_session_id_planted_before_sign_in_is_never_used(portal: Portal) -> None:
    _use_session(portal, "planted-by-an-attacker")
    portal.sign_in()
    assert portal.client.cookies["settle_session"] != "planted-by-an-attacker"
    first = portal.client.cookies["settle_session"]
    portal.sign_in()  # signing in again ends the previous session
    assert portal.client.cookies["settle_session"] != first
    _use_session(portal, first)
    assert portal.client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_form_without_the_right_csrf_token_is_refused_and_changes_nothing(portal: Portal, token: str | None) -> None:
    data = {"email": portal.world.owner.email, "password": "correct horse battery"}
    if token:
        data["csrf_token"] = token
    assert portal.client.post("/signin", data=data, follow_redirects=False).status_code == 403
    assert "settle_session" not in portal.client.cookies
    portal.sign_in()
    assert portal.client.post("/signout", data=data, follow_redirects=False).status_code == 403
    assert portal.client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_signing_out_ends_the_session(portal: Portal) -> None:
    portal.sign_in()
    secret = portal.client.cookies["settle_session"]
    answer = portal.client.post("/signout", data={"csrf_token": portal.csrf("/")}, follow_redirects=False)
    assert answer.status_code == 303
    _use_session(portal, secret)
    assert portal.client.get("/", follow_redirects=False).status_code == 303


def test_an_idle_session_expires(portal: Portal) -> None:
    portal.sign_in()
    portal.clock.advance(timedelta(minutes=31))
    answer = portal.client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


def test_the_sixth_failure_in_a_minute_waits_and_says_so(portal: Portal) -> None:
    for _ in range(5):
        assert portal.sign_in(password="wrong password!").status_code == 400
    answer = portal.sign_in()  # even the right password waits now
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    assert "Too many failed sign-in attempts" in answer.text


def test_a_next_address_elsewhere_is_ignored(portal: Portal) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert portal.sign_in(next=target).headers["location"] == "/"


def test_signing_up_makes_the_user_owner_of_a_new_billing_account(portal: Portal) -> None:
    data = {
        "email": "new@startup.example",
        "name": "Nina",
        "password": "a long password",
        "company": "Startup BV",
        "currency": "EUR",
        "country": "NL",
        "csrf_token": portal.csrf("/signup"),
    }
    answer = portal.client.post("/signup", data=data, follow_redirects=False)
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert "settle_session" not in portal.client.cookies  # signing in at once would tell a new address from a known one
    assert portal.sign_in("new@startup.example", "a long password").status_code == 303
    assert "settle_session" in portal.client.cookies
    with UnitOfWork(portal.engine, write=False) as uow:
        user = uow.users.get_by_email("new@startup.example")
        roles = uow.roles.for_user(user.id)
        account = uow.accounts.get(roles[0].scope.billing_account_id)
    assert [role.role for role in roles] == [Role.BILLING_ACCOUNT_OWNER]
    assert account.display_name == "Startup BV"


def test_signing_up_from_an_address_that_must_wait_makes_the_account_and_says_so(portal: Portal) -> None:
    """Found by the portal fuzzing of tests/faults: the account was made, then the sign-in that follows
    a sign-up was throttled and the page said 429, as if nothing had happened. (Sign-up no longer signs
    in: the page says the account was made and the visitor may sign in, throttled or not.)"""
    for _ in range(6):
        portal.sign_in(email="someone-else@example.com", password="wrong password")
    data = {
        "email": "late@startup.example",
        "name": "Lena",
        "password": "a long password",
        "company": "Late BV",
        "currency": "EUR",
        "country": "NL",
        "csrf_token": portal.csrf("/signup"),
    }
    answer = portal.client.post("/signup", data=data, follow_redirects=False)
    assert answer.status_code == 200 and "Check your inbox" in answer.text and 'href="/signin"' in answer.text
    with UnitOfWork(portal.engine, write=False) as uow:
        assert uow.users.find_by_email("late@startup.example") is not None


def test_sign_up_can_be_turned_off(engine: Engine, database_url: str, clock: FixedClock, tmp_path: Path) -> None:
    portal = make_portal(engine, database_url, clock, tmp_path, signup=False, reconcile_every_seconds=0)
    assert portal.client.get("/signup").status_code == 404
    data = {
        "email": "new@startup.example",
        "name": "N",
        "password": "a long password",
        "company": "S",
        "currency": "EUR",
        "country": "NL",
        "csrf_token": portal.csrf(),
    }
    assert portal.client.post("/signup", data=data).status_code == 403
    with UnitOfWork(engine, write=False) as uow:
        assert uow.users.find_by_email("new@startup.example") is None


def test_the_page_language_follows_the_browser_then_the_cookie(portal: Portal) -> None:
    assert '<html lang="da">' in portal.client.get("/signin", headers={"Accept-Language": "da,en;q=0.5"}).text
    portal.sign_in()
    answer = portal.client.post("/language", data={"locale": "nl", "next": "/", "csrf_token": portal.csrf("/")})
    assert '<html lang="nl">' in answer.text


def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_500(portal: Portal) -> None:
    """Found by the portal fuzzing of tests/faults: hmac.compare_digest raised TypeError on it."""
    answer = portal.client.post("/signin", data={"email": "a@example.com", "password": "x", "csrf_token": "é" * 64})
    assert answer.status_code == 403


@pytest.mark.parametrize("name", ["with a \x00 NUL", "bell \x07", "not UTF-8: \udcff"])
def test_a_form_value_that_is_not_text_is_400_and_changes_nothing(portal: Portal, name: str) -> None:
    """Found by the portal fuzzing of tests/faults: a NUL went on to PostgreSQL (a 500 there), and
    invalid UTF-8 was kept as U+FFFD."""
    portal.sign_in()
    raw = name.encode("utf-8", "surrogateescape")
    token = portal.csrf("/settings/tokens")
    body = b"name=" + quote_from_bytes(raw).encode() + b"&expires=&csrf_token=" + token.encode()
    answer = portal.client.post(
        "/settings/tokens", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 400 and "not text" in answer.text
    with UnitOfWork(portal.engine, write=False) as uow:
        assert uow.api_tokens.for_user(portal.world.owner.id) == []
