"""The user menu's language (issue 18 item 8): the choice of a signed-in user becomes their own language,
outranking the one stored before and the browser's; a visitor who is not signed in keeps it in a cookie."""

from __future__ import annotations

from settle.accounts.service import add_user
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD
from tests.web.portal.conftest import Portal


def _dutch_user(portal: Portal) -> str:
    with UnitOfWork(portal.engine) as uow:
        user = add_user(
            uow, portal.clock, email="anouk@contoso.example", display_name="Anouk", password=PASSWORD, locale="nl"
        )
    return user.email


def _choose(portal: Portal, locale: str, next: str = "/"):  # type: ignore[no-untyped-def]
    data = {"locale": locale, "next": next, "csrf_token": portal.csrf("/")}
    return portal.client.post("/language", data=data, follow_redirects=False)


def test_choosing_english_in_the_menu_turns_a_dutch_user_s_portal_english(portal: Portal) -> None:
    assert portal.sign_in(_dutch_user(portal)).status_code == 303
    assert '<html lang="nl">' in portal.client.get("/").text
    answer = _choose(portal, "en", next="/billing")
    assert answer.status_code == 303 and answer.headers["location"] == "/billing"
    assert '<html lang="en">' in portal.client.get("/billing").text


def test_the_menu_s_choice_is_stored_as_the_user_s_language_and_follows_them_to_another_browser(portal: Portal) -> None:
    email = _dutch_user(portal)
    portal.sign_in(email)
    _choose(portal, "da")
    with UnitOfWork(portal.engine) as uow:
        assert uow.users.get_by_email(email).locale == "da"
    portal.client.cookies.clear()  # another browser: no cookie, an English Accept-Language
    portal.client.headers["Accept-Language"] = "en"
    portal.sign_in(email)
    assert '<html lang="da">' in portal.client.get("/").text


def test_a_visitor_who_is_not_signed_in_keeps_the_choice_in_a_cookie(portal: Portal) -> None:
    data = {"locale": "nl", "next": "/signin", "csrf_token": portal.csrf()}
    answer = portal.client.post("/language", data=data, follow_redirects=False)
    assert answer.status_code == 303 and "settle_locale=nl" in answer.headers["set-cookie"]
    assert '<html lang="nl">' in portal.client.get("/signin").text


def test_a_language_settle_does_not_speak_changes_nothing(portal: Portal) -> None:
    email = _dutch_user(portal)
    portal.sign_in(email)
    assert _choose(portal, "fr").status_code == 303
    with UnitOfWork(portal.engine) as uow:
        assert uow.users.get_by_email(email).locale == "nl"
    assert '<html lang="nl">' in portal.client.get("/").text
