"""The Cost Management + Billing pages over HTTP, on SQLite and PostgreSQL: the invoices grid's filters
and paging, paying through the blade's form, payment methods, access control, API tokens and search.
(Chromium walks the same pages in tests/browser.)"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.service import add_billing_profile, add_user
from settle.payments.service import make_default_payment_method, save_card
from settle.processor.interface import ChargeStatus
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD, add_invoices, make_invoice, make_world
from tests.web.portal.conftest import CSRF, Portal

API = "/providers/Microsoft.Billing/billingAccounts"


def _csrf(portal: Portal, page: str = "/billing") -> str:
    match = CSRF.search(portal.client.get(page).text)
    assert match
    return match.group(1)


def _saved_card(portal: Portal, number: str = "4242424242424242") -> str:
    processor = portal.client.app.state.processor  # type: ignore[attr-defined]
    token = processor.tokenize(number, 12, 2040, "123", "Owner")
    world = portal.world
    with UnitOfWork(portal.engine) as uow:
        card = save_card(uow, portal.clock, owner_id=world.owner.id, token=token, linked_to=[world.profile.id])
        make_default_payment_method(
            uow, portal.clock, actor_id=world.owner.id, profile_id=world.profile.id, method_id=card.id
        )
    return card.id


def _blade_form(portal: Portal, number: str) -> dict[str, str]:
    page = portal.client.get(f"/billing/invoices/{number}/pay").text
    fields = dict(re.findall(r'name="(csrf_token|idempotency_key|amount_minor|currency)" value="([^"]*)"', page))
    assert len(fields) == 4, "the blade's form is incomplete"
    return fields


def test_the_grid_pages_by_keyset_without_gaps_or_repeats_and_filters_by_status(portal: Portal) -> None:
    day = portal.clock.now().date()
    invoices = [make_invoice(portal.world, portal.clock, invoice_date=day - timedelta(days=n)) for n in range(60)]
    add_invoices(portal.engine, invoices)
    portal.sign_in()
    first = portal.client.get("/billing/invoices")
    shown = re.findall(r'<tr id="row-(G\d+)"', first.text)
    assert len(shown) == 50 and 'rel="next"' in first.text
    following = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert following
    second = portal.client.get(following.group(1).replace("&amp;", "&"))
    rest = re.findall(r'<tr id="row-(G\d+)"', second.text)
    assert len(rest) == 10 and not set(rest) & set(shown)
    assert shown + rest == [invoice.id for invoice in invoices]  # newest first
    past_due = portal.client.get("/billing/invoices", params={"status": "PastDue"})
    assert re.findall(r'<tr id="row-(G\d+)"', past_due.text) == [i.id for i in invoices if i.due_date < day]


@pytest.mark.parametrize("query", [{"status": "Bogus"}, {"from": "2026-13-01"}, {"after": "yesterday~G1"}])
def test_a_bad_filter_is_a_400_with_the_reason_not_a_500(portal: Portal, query: dict[str, str]) -> None:
    portal.sign_in()
    answer = portal.client.get("/billing/invoices", params=query)
    assert answer.status_code == 400 and "is not a valid filter value" in answer.text


def test_paying_through_the_blade_charges_once_even_when_the_form_is_sent_twice(portal: Portal) -> None:
    invoice = make_invoice(portal.world, portal.clock)
    add_invoices(portal.engine, [invoice])
    card = _saved_card(portal)
    portal.sign_in()
    form = {**_blade_form(portal, invoice.id), "payment_method_id": card}
    first = portal.client.post(f"/billing/invoices/{invoice.id}/pay", data=form, follow_redirects=False)
    again = portal.client.post(f"/billing/invoices/{invoice.id}/pay", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]  # the same payment, shown again
    grid = portal.client.get(first.headers["location"])
    assert f"Invoice {invoice.id} is paid" in grid.text
    processor = portal.client.app.state.processor  # type: ignore[attr-defined]
    assert processor.count_charges(description=f"Invoice {invoice.id}", status=ChargeStatus.SUCCEEDED) == 1
    with UnitOfWork(portal.engine, write=False) as uow:
        assert uow.invoices.get(invoice.id).amount_due.is_zero()


def test_an_amount_that_changed_since_the_blade_opened_is_refused_in_the_blade(portal: Portal) -> None:
    invoice = make_invoice(portal.world, portal.clock)
    add_invoices(portal.engine, [invoice])
    card = _saved_card(portal)
    portal.sign_in()
    form = {**_blade_form(portal, invoice.id), "payment_method_id": card, "amount_minor": "1"}
    answer = portal.client.post(f"/billing/invoices/{invoice.id}/pay", data=form)
    assert (
        answer.status_code == 409 and 'role="alert"' in answer.text and "Check the invoice and pay again" in answer.text
    )
    assert portal.client.app.state.processor.count_charges() == 0  # type: ignore[attr-defined]


def test_a_pay_form_without_the_csrf_token_changes_nothing(portal: Portal) -> None:
    invoice = make_invoice(portal.world, portal.clock)
    add_invoices(portal.engine, [invoice])
    card = _saved_card(portal)
    portal.sign_in()
    form = {**_blade_form(portal, invoice.id), "payment_method_id": card, "csrf_token": "forged"}
    assert portal.client.post(f"/billing/invoices/{invoice.id}/pay", data=form).status_code == 403
    assert portal.client.app.state.processor.count_charges() == 0  # type: ignore[attr-defined]


def test_payment_methods_add_make_default_and_remove_with_the_default_rule(portal: Portal) -> None:
    add_invoices(portal.engine, [make_invoice(portal.world, portal.clock)])  # unpaid: the default must stay
    first = _saved_card(portal)
    processor = portal.client.app.state.processor  # type: ignore[attr-defined]
    portal.sign_in()
    token = processor.tokenize("5555555555554444", 11, 2041, "123", "Owner").token
    csrf = _csrf(portal)
    profile = portal.world.profile.id
    added = portal.client.post(
        "/billing/payment-methods/add", data={"csrf_token": csrf, "profile_id": profile, "card_token": token}
    )
    assert added.status_code == 200 and "The card was added." in added.text and "•••• 4444" in added.text
    refused = portal.client.post(
        f"/billing/payment-methods/{first}/remove", data={"csrf_token": csrf, "profile_id": profile}
    )
    assert refused.status_code == 409 and "Choose another default first" in refused.text
    with UnitOfWork(portal.engine, write=False) as uow:
        second = next(m.id for m in uow.payment_methods.list_for_profile(profile) if m.id != first)
    made = portal.client.post(
        f"/billing/payment-methods/{second}/default", data={"csrf_token": csrf, "profile_id": profile}
    )
    assert "The default payment method was changed." in made.text
    removed = portal.client.post(
        f"/billing/payment-methods/{first}/remove", data={"csrf_token": csrf, "profile_id": profile}
    )
    assert "The payment method was removed." in removed.text and "•••• 4242" not in removed.text


def test_access_control_adds_invites_and_removes_and_keeps_the_last_owner(portal: Portal) -> None:
    with UnitOfWork(portal.engine) as uow:
        colleague = add_user(
            uow, portal.clock, verified=True, email="colleague@contoso.example", display_name="Col", password=PASSWORD
        )
    portal.sign_in()
    csrf = _csrf(portal, "/billing/access")
    added = portal.client.post(
        "/billing/access/add", data={"csrf_token": csrf, "email": colleague.email, "role": "billing_account_reader"}
    )
    assert added.status_code == 200 and "The role assignment was added." in added.text
    assert colleague.email in added.text
    invited = portal.client.post(
        "/billing/access/add",
        data={"csrf_token": csrf, "email": "new@contoso.example", "role": "billing_account_reader"},
    )
    link = re.search(r'value="(http[^"]+/invitations/[^"]+)"', invited.text)
    assert link, "the one-time invitation link is shown"
    with UnitOfWork(portal.engine, write=False) as uow:
        (owner,) = [a for a in uow.roles.in_account(portal.world.account.id) if a.role is Role.BILLING_ACCOUNT_OWNER]
    last = portal.client.post(f"/billing/access/{owner.id}/remove", data={"csrf_token": csrf})
    assert last.status_code == 409 and "The last owner of a billing account cannot be removed." in last.text


def test_an_api_token_is_shown_once_works_with_the_users_roles_and_stops_when_revoked(portal: Portal) -> None:
    portal.sign_in()
    csrf = _csrf(portal, "/settings/tokens")
    created = portal.client.post("/settings/tokens", data={"csrf_token": csrf, "name": "accounts payable"})
    secret = re.search(r'value="([^"]+)" aria-label="New API token"', created.text)
    assert secret
    assert secret.group(1) not in portal.client.get("/settings/tokens").text  # shown once
    auth = {"Authorization": f"Bearer {secret.group(1)}"}
    assert portal.client.get(API, params={"api-version": "2024-04-01"}, headers=auth).status_code == 200
    token_id = re.search(r'action="/settings/tokens/([^/]+)/revoke"', created.text)
    assert token_id
    portal.client.post(f"/settings/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf})
    assert portal.client.get(API, params={"api-version": "2024-04-01"}, headers=auth).status_code == 401


def test_search_offers_the_service_in_every_language_and_never_another_customers_invoice(portal: Portal) -> None:
    other = make_world(portal.engine, portal.clock, name="Fabrikam")
    theirs = make_invoice(other, portal.clock, number="G777000001")
    ours = make_invoice(portal.world, portal.clock, number="G777000002")
    add_invoices(portal.engine, [theirs, ours])
    portal.sign_in()
    for typed in ("kosten", "Kostenbeheer", "facturering", "fakturering", "billing", "cost"):
        hits = portal.client.get("/search/suggest", params={"q": typed}).json()["hits"]
        assert hits and hits[0]["url"] == "/billing", typed
    numbers = [hit["label"] for hit in portal.client.get("/search/suggest", params={"q": "G777"}).json()["hits"]]
    assert numbers == ["G777000002"]
    entered = portal.client.get("/search", params={"q": "G777000001"}, follow_redirects=False)
    assert entered.status_code == 200 and "Nothing was found" in entered.text
    assert "/billing/invoices/G777000001" not in entered.text
    assert portal.client.get("/billing/invoices/G777000001").status_code == 404


def test_a_profile_reader_sees_that_profile_only_and_no_pay_now(portal: Portal) -> None:
    invoice = make_invoice(portal.world, portal.clock)
    add_invoices(portal.engine, [invoice])
    with UnitOfWork(portal.engine) as uow:
        reader = add_user(
            uow, portal.clock, verified=True, email="r@contoso.example", display_name="R", password=PASSWORD
        )
        scope = Scope(portal.world.account.id, portal.world.profile.id)
        grant_role(
            uow,
            portal.clock,
            actor_id=portal.world.owner.id,
            user_id=reader.id,
            role=Role.BILLING_PROFILE_READER,
            scope=scope,
        )
    portal.sign_in(reader.email)
    grid = portal.client.get("/billing/invoices")
    assert invoice.id in grid.text and "Pay now" not in grid.text.split("<main", 1)[1]
    with UnitOfWork(portal.engine) as uow:
        other = add_billing_profile(
            uow, portal.clock, billing_account_id=portal.world.account.id, display_name="Other", currency="EUR"
        )
    hidden = replace(make_invoice(portal.world, portal.clock), billing_profile_id=other.id)
    add_invoices(portal.engine, [hidden])
    account_wide = portal.client.get("/billing/invoices", params={"scope": portal.world.account.id})
    assert invoice.id in account_wide.text and hidden.id not in account_wide.text
    assert (
        portal.client.get("/billing/invoices", params={"scope": f"{portal.world.account.id}/{other.id}"}).status_code
        == 404
    )


def test_an_enterprise_agreement_account_sees_its_invoices_without_pay_now(portal: Portal) -> None:
    from settle.accounts.model import AgreementType
    from settle.accounts.service import create_billing_account

    with UnitOfWork(portal.engine) as uow:
        account = create_billing_account(
            uow,
            portal.clock,
            display_name="Woodgrove EA",
            administrator_id=portal.world.owner.id,
            agreement_type=AgreementType.ENTERPRISE_AGREEMENT,
        )
        profile = add_billing_profile(
            uow, portal.clock, billing_account_id=account.id, display_name="EA", currency="EUR"
        )
    invoice = replace(
        make_invoice(portal.world, portal.clock), billing_account_id=account.id, billing_profile_id=profile.id
    )
    add_invoices(portal.engine, [invoice])
    portal.sign_in()
    grid = portal.client.get("/billing/invoices", params={"scope": account.id})
    assert invoice.id in grid.text and f"/billing/invoices/{invoice.id}/pay" not in grid.text
    assert "Woodgrove EA has an Enterprise Agreement: its invoices are not paid with Pay now here." in grid.text
    blade = portal.client.get(f"/billing/invoices/{invoice.id}/pay", params={"scope": account.id})
    assert blade.status_code == 409 and "are not paid with Pay now" in blade.text and 'id="pay-form"' not in blade.text
    properties = portal.client.get("/billing/properties", params={"scope": account.id})
    assert "Enterprise Agreement" in properties.text
