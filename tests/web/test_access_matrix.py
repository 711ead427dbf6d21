"""DESIGN §3 over HTTP: for every role, held at its own kind of scope, each of the four actions is tried
through the portal's routes and the API's, and the answer must be what the hand-written table says:
allowed, or refused (403 where the user sees the resource, 404 where they do not). No route decides on
its own: this catches one that forgets to ask the policy."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from settle.access.api_tokens import create_api_token
from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.service import add_user
from settle.clock import FixedClock
from settle.payments.service import make_default_payment_method, save_card
from settle.uow import UnitOfWork
from tests.design_roles import DESIGN_TABLE
from tests.integration.factories import PASSWORD, add_invoices, make_invoice, make_world
from tests.web.portal.conftest import CSRF, Portal, make_portal

API = "/providers/Microsoft.Billing/billingAccounts"
VERSION = {"api-version": "2024-04-01"}
REFUSED = (403, 404)


@dataclass
class Setting:
    portal: Portal
    invoice: str
    card: str
    scope_key: str  # the portal's ?scope= of the billing profile
    section_key: str  # … and of an invoice section in it
    other_invoice: str  # another customer's: not found for everyone here
    other_account: str


@pytest.fixture
def setting(engine: Engine, database_url: str, clock: FixedClock, tmp_path: Path) -> Setting:
    portal = make_portal(engine, database_url, clock, tmp_path, reconcile_every_seconds=0)
    world = portal.world
    invoice = make_invoice(world, clock)
    add_invoices(engine, [invoice])
    token = portal.client.app.state.processor.tokenize("4242424242424242", 12, 2040, "123", "Owner")  # type: ignore[attr-defined]
    with UnitOfWork(engine) as uow:
        card = save_card(uow, clock, owner_id=world.owner.id, token=token, linked_to=[world.profile.id])
        make_default_payment_method(uow, clock, actor_id=world.owner.id, profile_id=world.profile.id, method_id=card.id)
    profile_key = f"{world.account.id}/{world.profile.id}"
    other = make_world(engine, clock, name="Fabrikam")
    theirs = make_invoice(other, clock)
    add_invoices(engine, [theirs])
    return Setting(
        portal, invoice.id, card.id, profile_key, f"{profile_key}/{world.sections[0].id}", theirs.id, other.account.id
    )


def _holder_of(setting: Setting, role: Role) -> tuple[str, str]:
    """A new user holding `role` at the scope kind the table names; their e-mail and an API token."""
    world, clock = setting.portal.world, setting.portal.clock
    where = DESIGN_TABLE[role][0]
    scope = {
        "account": Scope(world.account.id),
        "profile": Scope(world.account.id, world.profile.id),
        "section": Scope(world.account.id, world.profile.id, world.sections[0].id),
    }[where]
    with UnitOfWork(setting.portal.engine) as uow:
        user = add_user(
            uow, clock, verified=True, email=f"{role.value}@matrix.example", display_name=role.value, password=PASSWORD
        )
        grant_role(uow, clock, actor_id=world.owner.id, user_id=user.id, role=role, scope=scope)
        secret, _ = create_api_token(uow, clock, user.id, "matrix")
    return user.email, secret


def _portal_answers(setting: Setting, client: TestClient, held_at_section: bool) -> dict[str, bool]:
    """Each action tried in the portal: True when the portal let it happen (or offered it). Roles are
    managed where they are held (an invoice section owner manages that section's)."""
    scope = {"scope": setting.scope_key}
    invoices = client.get("/billing/invoices", params=scope)
    sees_invoices = invoices.status_code == 200 and setting.invoice in invoices.text
    blade = client.get(f"/billing/invoices/{setting.invoice}/pay", params=scope)
    may_pay = blade.status_code == 200 and 'id="pay-form"' in blade.text
    if not may_pay:  # refused: 403 saying which role pays to whoever sees the invoice, 404 to anyone else
        expected = (403, "Paying invoices needs the role") if sees_invoices else (404, "")
        assert (blade.status_code, expected[1] in blade.text) == (expected[0], True), blade.status_code
    csrf = _csrf(client)
    default = client.post(
        f"/billing/payment-methods/{setting.card}/default",
        params=scope,
        data={"csrf_token": csrf, "profile_id": setting.portal.world.profile.id},
        follow_redirects=False,
    )
    assert default.status_code in (303, *REFUSED), default.status_code
    access = client.get("/billing/access", params={"scope": setting.section_key} if held_at_section else scope)
    for path in (f"/billing/invoices/{setting.other_invoice}/pay", f"/billing/invoices/{setting.other_invoice}/pdf"):
        assert client.get(path).status_code == 404, path  # another customer's invoice: as if it did not exist
    assert client.get("/billing/invoices", params={"scope": setting.other_account}).status_code == 404
    return {
        "view": sees_invoices,
        "pay": may_pay,
        "methods": default.status_code == 303,
        "roles": access.status_code == 200 and "Add role assignment" in access.text,
    }


def _api_answers(setting: Setting, token: str, role: Role) -> dict[str, bool]:
    """Each action tried through the API, with the user's token."""
    world = setting.portal.world
    client, auth = setting.portal.client, {"Authorization": f"Bearer {token}"}
    profile = f"{API}/{world.account.id}/billingProfiles/{world.profile.id}"
    listed = client.get(f"{profile}/invoices", params=VERSION, headers=auth)
    assert listed.status_code in (200, *REFUSED), listed.text
    # A wrong amount: an allowed payer hears 409 AmountChanged (nothing is charged), anyone else 403/404.
    body = {"paymentMethodId": f"/providers/Microsoft.Billing/paymentMethods/{setting.card}"}
    body["amount"] = {"currency": "EUR", "value": 0.01}  # type: ignore[assignment]
    paid = client.post(
        f"{API}/{world.account.id}/invoices/{setting.invoice}/pay",
        params=VERSION,
        headers={**auth, "Idempotency-Key": "matrix", "Content-Type": "application/json"},
        content=json.dumps(body),
    )
    assert paid.status_code in (409, *REFUSED), paid.text
    if paid.status_code == 403:
        assert "pay_invoices" in paid.json()["error"]["message"], paid.text
    elsewhere = client.get(
        f"{API}/{setting.other_account}/invoices/{setting.other_invoice}", params=VERSION, headers=auth
    )
    assert elsewhere.status_code == 404, elsewhere.text
    checked = client.post(
        f"{profile}/checkAccess",
        params=VERSION,
        headers=auth,
        json={"actions": ["Microsoft.Billing/billingAccounts/billingProfiles/paymentMethodLinks/write"]},
    )
    section = f"{profile}/invoiceSections/{world.sections[0].id}"
    held_at = section if DESIGN_TABLE[role][0] == "section" else profile
    roles = client.get(f"{held_at}/billingRoleAssignments", params=VERSION, headers=auth)
    assert roles.status_code in (200, *REFUSED), roles.text
    return {
        "view": listed.status_code == 200 and setting.invoice in listed.text,
        "pay": paid.status_code == 409,
        "methods": checked.status_code == 200 and checked.json()[0]["accessDecision"] == "Allowed",
        "roles": roles.status_code == 200,
    }


@pytest.mark.parametrize("role", list(DESIGN_TABLE), ids=lambda role: role.value)
def test_every_route_answers_as_design_table_says(setting: Setting, role: Role) -> None:
    email, token = _holder_of(setting, role)
    _, view, pay, methods, roles = DESIGN_TABLE[role]
    expected = {"view": view, "pay": pay, "methods": methods, "roles": roles}
    client = setting.portal.client
    client.cookies.clear()
    assert setting.portal.sign_in(email).status_code == 303
    assert _portal_answers(setting, client, DESIGN_TABLE[role][0] == "section") == expected, "portal"
    client.cookies.clear()
    assert _api_answers(setting, token, role) == expected, "API"


def _csrf(client: TestClient) -> str:
    page = client.get("/")
    match = CSRF.search(page.text) or re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert match, "no CSRF token"
    return match.group(1)
