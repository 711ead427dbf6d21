"""Support requests through the API, shaped like Microsoft.Support's supportTickets, on both databases:
operators (granted with `settle operators add`) list every ticket and answer them, a user sees and follows up on their
own only; each answer matches the schema /openapi.json documents for it, errors included."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from settle import demo
from settle.access.api_tokens import create_api_token
from settle.access.operators import grant_operator
from settle.accounts.service import add_user
from settle.help.model import SupportRequest, SupportRequestStatus
from settle.help.service import SupportRequestForm, open_support_request
from settle.notify.model import MessageKind
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD
from tests.web.api.conftest import ADMIN, API_VERSION, DUE_NOW, FABRIKAM_ADMIN, READER, Api
from tests.web.api.test_openapi import _answers_as_documented, _document

OPERATOR = "ops@settle.example"
TICKETS = "/providers/Microsoft.Support/supportTickets"
TICKET = f"{TICKETS}/{{supportTicketName}}"
COMMUNICATIONS = f"{TICKET}/communications"


@pytest.fixture
def operator(api: Api) -> str:
    with UnitOfWork(api.engine) as uow:
        user = add_user(uow, api.clock, verified=True, email=OPERATOR, display_name="Operator", password=PASSWORD)
        api.tokens[OPERATOR], _ = create_api_token(uow, api.clock, user.id, "tests")
        grant_operator(uow, api.clock, OPERATOR)
    return OPERATOR


def _open(api: Api, email: str, locale: str = "en", **fields: Any) -> SupportRequest:
    values = {"problem_type": "paying", "description": "Pay now does nothing."}
    with UnitOfWork(api.engine) as uow:
        user = uow.users.get_by_email(email)
        return open_support_request(uow, api.clock, user, SupportRequestForm(**{**values, **fields}), locale=locale)


def _write(api: Api, number: str, text: str, user: str | None) -> httpx.Response:
    return api.post(f"{TICKETS}/{number}/communications", {"properties": {"subject": "RE", "body": text}}, user=user)


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["value"]]


def test_signing_up_with_the_operators_address_gives_no_operator_rights(api: Api) -> None:
    """SETTLE_OPERATORS matched whoever signed in with a listed address; sign-up checks no address. Now
    only an explicit grant makes an operator: a stranger signed up as ops@ sees and answers nothing."""
    theirs = _open(api, FABRIKAM_ADMIN)
    browser = TestClient(api.app)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/signup").text)
    assert csrf
    form = {
        "email": OPERATOR, "name": "Ops", "password": "correct horse battery staple", "company": "Impostor BV",
        "currency": "EUR", "country": "NL", "csrf_token": csrf.group(1),
    }  # fmt: skip
    assert browser.post("/signup", data=form, follow_redirects=False).status_code == 200
    with UnitOfWork(api.engine) as uow:
        api.tokens[OPERATOR], _ = create_api_token(uow, api.clock, uow.users.get_by_email(OPERATOR).id, "mine")
    assert _names(api.get(TICKETS, user=OPERATOR)) == []
    assert api.get(f"{TICKETS}/{theirs.id}", user=OPERATOR).status_code == 404
    assert _write(api, theirs.id, "We refunded you.", OPERATOR).status_code == 404
    with UnitOfWork(api.engine, write=False) as uow:
        assert uow.support_requests.replies(theirs.id) == []


def test_operators_list_every_ticket_and_users_only_their_own(api: Api, operator: str) -> None:
    mine = _open(api, ADMIN, invoice=DUE_NOW, contact_method="phone", contact_phone="+31 20 123 4567")
    theirs = _open(api, FABRIKAM_ADMIN, locale="da")
    assert set(_names(api.get(TICKETS, user=operator))) == {mine.id, theirs.id}
    assert _names(api.get(TICKETS, user=ADMIN)) == [mine.id]
    assert _names(api.get(TICKETS, user=FABRIKAM_ADMIN)) == [theirs.id]
    assert _names(api.get(TICKETS, user=READER)) == []
    ticket = api.get(f"{TICKETS}/{mine.id}", user=ADMIN).json()
    account = f"/providers/Microsoft.Billing/billingAccounts/{demo.CONTOSO}"
    assert ticket["id"] == f"{TICKETS}/{mine.id}" and ticket["type"] == "Microsoft.Support/supportTickets"
    assert ticket["properties"] | {"createdDate": None} == {
        "supportTicketId": mine.id,
        "title": "Pay now does nothing.",
        "description": "Pay now does nothing.",
        "problemClassificationId": "/providers/Microsoft.Support/services/billing/problemClassifications/paying",
        "problemClassificationDisplayName": "Paying an invoice",
        "status": "Open",
        "createdDate": None,
        "contactDetails": {
            "preferredContactMethod": "phone",
            "primaryEmailAddress": ADMIN,
            "phoneNumber": "+31 20 123 4567",
            "preferredSupportLanguage": "en",
        },
        "billingAccountId": account,
        "billingProfileId": f"{account}/billingProfiles/{demo.CONTOSO_BILLING}",
        "invoiceId": f"{account}/invoices/{DUE_NOW}",
    }


def test_another_users_ticket_is_not_found_and_takes_no_message(api: Api, operator: str) -> None:
    theirs = _open(api, FABRIKAM_ADMIN)
    for path in (f"{TICKETS}/{theirs.id}", f"{TICKETS}/{theirs.id}/communications", f"{TICKETS}/000000-00000000"):
        answer = api.get(path, user=ADMIN)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "SupportRequestNotFound"
    refused = _write(api, theirs.id, "Let me in", ADMIN)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "SupportRequestNotFound"
    assert _names(api.get(f"{TICKETS}/{theirs.id}/communications", user=operator)) == []


def test_an_operator_answers_through_the_api_and_the_requester_follows_up(api: Api, operator: str) -> None:
    ticket = _open(api, ADMIN, locale="nl")
    answered = _write(api, ticket.id, "Welke kaart gebruikt u?", operator)
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert body["properties"] | {"createdDate": None} == {
        "communicationType": "web",
        "communicationDirection": "outbound",
        "sender": "support",
        "subject": "RE: Pay now does nothing.",
        "body": "Welke kaart gebruikt u?",
        "createdDate": None,
    }
    assert body["id"] == f"{TICKETS}/{ticket.id}/communications/{body['name']}"
    assert api.get(f"{TICKETS}/{ticket.id}", user=ADMIN).json()["properties"]["status"] == "Answered"
    with UnitOfWork(api.engine, write=False) as uow:
        mail = [m for m in uow.outbox.latest() if m.kind is MessageKind.SUPPORT_REPLY]
        audit = uow.audit.list(resource=f"supportRequests/{ticket.id}")[0]
    assert [(m.reference, m.recipient, m.locale) for m in mail] == [(body["name"], ADMIN, "nl")]
    assert (audit.action, audit.actor_id) == ("support_request.answered", api.user_id(operator))

    api.clock.advance(timedelta(minutes=3))
    follow_up = _write(api, ticket.id, "Een Visa-kaart.", ADMIN)
    assert follow_up.status_code == 201
    assert follow_up.json()["properties"]["communicationDirection"] == "inbound"
    assert follow_up.json()["properties"]["sender"] == ADMIN
    assert api.get(f"{TICKETS}/{ticket.id}", user=operator).json()["properties"]["status"] == "Open"
    listed = api.get(f"{TICKETS}/{ticket.id}/communications", user=ADMIN).json()["value"]
    assert [item["properties"]["body"] for item in listed] == ["Welke kaart gebruikt u?", "Een Visa-kaart."]


def test_a_closed_ticket_takes_no_message(api: Api, operator: str) -> None:
    ticket = _open(api, ADMIN)
    with UnitOfWork(api.engine) as uow:
        uow.support_requests.update_status(ticket.closed())
    for user in (ADMIN, operator):
        answer = _write(api, ticket.id, "Hello?", user)
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "SupportRequestClosed"
    with UnitOfWork(api.engine, write=False) as uow:
        assert uow.support_requests.get(ticket.id).status is SupportRequestStatus.CLOSED
        assert uow.support_requests.replies(ticket.id) == []


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b'{"properties": {}}', b'{"properties": {"body": ""}}', b'{"properties": {"body": "x", "extra": 1}}'],
)
def test_a_message_that_is_not_one_is_a_400_in_azure_s_envelope(api: Api, content: bytes) -> None:
    ticket = _open(api, ADMIN)
    answer = api.client.post(
        f"{TICKETS}/{ticket.id}/communications",
        params={"api-version": API_VERSION},
        content=content,
        headers={**api.headers(ADMIN), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] in {"InvalidParameter", "InvalidRequestContent"}


def test_without_api_version_or_token_the_api_says_so(api: Api) -> None:
    missing = api.client.get(TICKETS, headers=api.headers(ADMIN))
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    assert api.get(TICKETS, user=None).status_code == 401
    unknown = api.get(f"{TICKETS}/x/nothing/here")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "ResourceNotFound"
    assert api.get(TICKETS, **{"$top": 0}).status_code == 400


def test_the_support_routes_answer_as_documented(api: Api, operator: str) -> None:
    document = _document(api)
    ticket = _open(api, ADMIN, contact_method="phone", contact_phone="+45 12 34 56 78", locale="da")
    closed = _open(api, ADMIN)
    with UnitOfWork(api.engine) as uow:
        uow.support_requests.update_status(closed.closed())
    samples = [
        ("GET", TICKETS, api.get(TICKETS, user=operator)),
        ("GET", TICKETS, api.get(TICKETS, user=READER)),
        ("GET", TICKETS, api.client.get(TICKETS, headers=api.headers(ADMIN))),
        ("GET", TICKET, api.get(f"{TICKETS}/{ticket.id}", user=ADMIN)),
        ("GET", TICKET, api.get(f"{TICKETS}/{ticket.id}", user=READER)),
        ("POST", COMMUNICATIONS, _write(api, ticket.id, "Answer", operator)),
        ("POST", COMMUNICATIONS, _write(api, ticket.id, "Follow-up", ADMIN)),
        ("POST", COMMUNICATIONS, _write(api, closed.id, "Too late", ADMIN)),
        ("POST", COMMUNICATIONS, _write(api, ticket.id, "", ADMIN)),
        ("GET", COMMUNICATIONS, api.get(f"{TICKETS}/{ticket.id}/communications", user=ADMIN)),
        ("GET", COMMUNICATIONS, api.get(f"{TICKETS}/{ticket.id}/communications", user=None)),
    ]
    assert [response.status_code for _, _, response in samples] == [
        200,
        200,
        400,
        200,
        404,
        201,
        201,
        409,
        400,
        200,
        401,
    ]
    for method, template, response in samples:
        _answers_as_documented(document, method, template, response)
    operations = document["paths"]
    assert set(operations[COMMUNICATIONS]["post"]["responses"]) == {"201", "400", "401", "404", "409", "default"}
    assert operations[TICKETS]["get"]["operationId"] == "SupportTickets_List"
