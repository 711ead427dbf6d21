"""A billing role given through the REST API to a user whose address is not verified is Pending: listed and
removable as such, with no effect on what that user's API token may do, until the address is proved by
the link e-mailed to it (read from a real SMTP server)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from settle.access.api_tokens import create_api_token
from settle.notify.sender import run_mail
from settle.uow import UnitOfWork
from tests.integration.notify.smtp_server import Inbox, smtp_server
from tests.web.api.conftest import CONTOSO, CONTOSO_BILLING, DUE_NOW, Api

NEWCOMER = "newhire@contoso.example"
READER_ROLE = "50000000-aaaa-bbbb-cccc-100000000002"
LINK = re.compile(r"https?://[^/\s]+(/verify-email/[A-Za-z0-9_-]{43})")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    with smtp_server() as (inbox, port):
        yield inbox, f"smtp://127.0.0.1:{port}"


def _csrf(browser: TestClient, path: str) -> str:
    match = CSRF.search(browser.get(path).text)
    assert match
    return match.group(1)


def _sign_up(api: Api, email: str) -> TestClient:
    """A stranger signs up in the portal with the address (not verified), and takes an API token."""
    browser = TestClient(api.app)
    form = {
        "email": email, "name": "New Hire", "password": "correct horse battery staple", "company": "Hire BV",
        "currency": "EUR", "country": "NL", "csrf_token": _csrf(browser, "/signup"),
    }  # fmt: skip
    assert browser.post("/signup", data=form).status_code == 200
    with UnitOfWork(api.engine) as uow:
        api.tokens[email], _ = create_api_token(uow, api.clock, uow.users.get_by_email(email).id, "mine")
    return browser


def _verify(api: Api, browser: TestClient, smtp: tuple[Inbox, str]) -> None:
    inbox, url = smtp
    run_mail(api.engine, api.clock, replace(api.app.state.settings, smtp_url=url))
    [message] = inbox.to(NEWCOMER)
    body = message.get_body(("plain",))
    assert body is not None
    link = LINK.search(str(body.get_content()))  # type: ignore[attr-defined]
    assert link
    assert browser.post(link.group(1), data={"csrf_token": _csrf(browser, link.group(1))}).status_code == 200


def _grant(api: Api) -> dict[str, object]:
    body = {"roleDefinitionId": f"{CONTOSO}/billingRoleDefinitions/{READER_ROLE}", "userEmailAddress": NEWCOMER}
    created = api.post(f"{CONTOSO}/createBillingRoleAssignment", body)
    assert created.status_code == 200, created.text
    granted: dict[str, object] = created.json()
    return granted


def _states(api: Api) -> dict[str, str]:
    listed = api.get(f"{CONTOSO}/billingRoleAssignments").json()["value"]
    return {item["properties"]["userEmailAddress"]: item["properties"]["provisioningState"] for item in listed}


def test_a_role_for_an_unverified_user_is_pending_and_gives_their_token_nothing_until_verified(
    api: Api, smtp: tuple[Inbox, str]
) -> None:
    browser = _sign_up(api, NEWCOMER)
    granted = _grant(api)
    assert granted["properties"]["provisioningState"] == "Pending"  # type: ignore[index]
    assert _states(api)[NEWCOMER] == "Pending"
    one = api.get(f"{CONTOSO}/billingRoleAssignments/{granted['name']}")
    assert one.status_code == 200 and one.json()["properties"]["provisioningState"] == "Pending"
    again = api.post(
        f"{CONTOSO}/createBillingRoleAssignment",
        {"roleDefinitionId": f"{CONTOSO}/billingRoleDefinitions/{READER_ROLE}", "userEmailAddress": NEWCOMER},
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "RoleAlreadyAssigned")

    for path in (CONTOSO, f"{CONTOSO_BILLING}/invoices", f"{CONTOSO_BILLING}/invoices/{DUE_NOW}"):
        assert api.get(path, user=NEWCOMER).status_code == 404, path
    listed = api.get("/providers/Microsoft.Billing/billingAccounts", user=NEWCOMER).json()["value"]
    assert [account["properties"]["displayName"] for account in listed] == ["Hire BV"]

    _verify(api, browser, smtp)
    assert _states(api)[NEWCOMER] == "Succeeded"
    assert api.get(f"{CONTOSO_BILLING}/invoices/{DUE_NOW}", user=NEWCOMER).status_code == 200


def test_the_granter_deletes_a_pending_role_and_verifying_then_gives_nothing(api: Api, smtp: tuple[Inbox, str]) -> None:
    browser = _sign_up(api, NEWCOMER)
    granted = _grant(api)
    assert api.delete(f"{CONTOSO}/billingRoleAssignments/{granted['name']}").status_code == 204
    assert NEWCOMER not in _states(api)

    _verify(api, browser, smtp)
    assert api.get(f"{CONTOSO_BILLING}/invoices/{DUE_NOW}", user=NEWCOMER).status_code == 404
    assert NEWCOMER not in _states(api)
