"""Issue 17 item 8: card numbers typed into free text (a support request's subject and description, a
reply, an API token's name, the name and company at sign-up) are removed before anything is stored, as
the processor removes them from holder names; the database keeps none of them afterwards."""

from __future__ import annotations

import re
from html import unescape

from settle.card_numbers import CARD_NUMBER_REMOVED
from settle.uow import UnitOfWork
from tests.card_numbers import card_numbers_in_database
from tests.web.portal.conftest import CSRF, Portal

VISA = "4242 4242 4242 4242"
AMEX = "3782-822463-10005"
MASTERCARD = "5555555555554444"


def _csrf(portal: Portal, page: str) -> str:
    match = CSRF.search(portal.client.get(page).text)
    assert match
    return match.group(1)


def test_a_support_request_and_its_follow_up_keep_no_card_number(portal: Portal) -> None:
    portal.sign_in()
    form = {
        "csrf_token": _csrf(portal, "/help"),
        "problem_type": "paying",
        "subject": f"Card {MASTERCARD} declined",
        "description": f"My card {VISA} was declined.\nIt expires 12/30, the CVC is 123.",
        "billing_account_id": portal.world.account.id,
        "contact_method": "email",
    }
    sent = portal.client.post("/help/requests", data=form, follow_redirects=False)
    assert sent.status_code == 303
    page = unescape(portal.client.get(sent.headers["location"]).text)
    assert f"My card {CARD_NUMBER_REMOVED} was declined." in page and f"Card {CARD_NUMBER_REMOVED} declined" in page
    number = re.search(r"/help/requests/([^?]+)", sent.headers["location"])
    assert number
    follow = {"csrf_token": _csrf(portal, sent.headers["location"]), "message": f"Or try my Amex {AMEX} instead."}
    answer = portal.client.post(f"/help/requests/{number.group(1)}/messages", data=follow, follow_redirects=False)
    assert answer.status_code == 303
    with UnitOfWork(portal.engine, write=False) as uow:
        [stored] = uow.support_requests.latest()
        [reply] = uow.support_requests.replies(stored.id)
    assert stored.subject == f"Card {CARD_NUMBER_REMOVED} declined"
    assert stored.description.startswith(f"My card {CARD_NUMBER_REMOVED} was declined.")
    assert reply.body == f"Or try my Amex {CARD_NUMBER_REMOVED} instead."
    assert card_numbers_in_database(portal.engine) == {}


def test_a_token_name_keeps_no_card_number(portal: Portal) -> None:
    portal.sign_in()
    form = {"csrf_token": _csrf(portal, "/settings/tokens"), "name": f"ci {VISA}", "expires": ""}
    assert portal.client.post("/settings/tokens", data=form).status_code == 200
    with UnitOfWork(portal.engine, write=False) as uow:
        [token] = uow.api_tokens.for_user(portal.world.owner.id)
    assert token.name == f"ci {CARD_NUMBER_REMOVED}"
    assert card_numbers_in_database(portal.engine) == {}


def test_numbers_that_are_not_card_numbers_stay(portal: Portal) -> None:
    """Invoice numbers, IBANs and phone numbers are what support requests are about: they stay."""
    portal.sign_in()
    text = "Invoice G000100023, IBAN NL91 ABNA 0417 1643 00, call +31 20 123 4567."
    form = {
        "csrf_token": _csrf(portal, "/help"),
        "problem_type": "paying",
        "description": text,
        "billing_account_id": portal.world.account.id,
        "contact_method": "email",
    }
    assert portal.client.post("/help/requests", data=form, follow_redirects=False).status_code == 303
    with UnitOfWork(portal.engine, write=False) as uow:
        [stored] = uow.support_requests.latest()
    assert stored.description == text


def test_sign_up_keeps_no_card_number_in_the_name_or_company(portal: Portal) -> None:
    form = {
        "csrf_token": _csrf(portal, "/signup"),
        "email": "nina@startup.example",
        "name": f"Nina {VISA}",
        "password": "violet kettle on the moor",
        "company": f"Startup {MASTERCARD} BV",
        "currency": "EUR",
        "country": "NL",
    }
    assert portal.client.post("/signup", data=form, follow_redirects=False).status_code in (200, 303)
    with UnitOfWork(portal.engine, write=False) as uow:
        user = uow.users.get_by_email("nina@startup.example")
        account = uow.accounts.get(uow.roles.for_user(user.id)[0].scope.billing_account_id)
    assert user.display_name == f"Nina {CARD_NUMBER_REMOVED}"
    assert account.display_name == f"Startup {CARD_NUMBER_REMOVED} BV"
    assert card_numbers_in_database(portal.engine) == {}
