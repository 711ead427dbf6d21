"""A removal the server would refuse is not offered: the default card of a billing profile with unpaid
invoices and the last billing account owner show the reason where Remove would be, before any
confirmation; the server still refuses them (issue 18 item 15)."""

from __future__ import annotations

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.service import add_user
from settle.payments.service import make_default_payment_method, save_card
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD, add_invoices, make_invoice
from tests.web.portal.conftest import CSRF, Portal


def _card(portal: Portal, number: str, *, default: bool) -> str:
    token = portal.client.app.state.processor.tokenize(number, 12, 2040, "123", "Owner")  # type: ignore[attr-defined]
    world = portal.world
    with UnitOfWork(portal.engine) as uow:
        card = save_card(uow, portal.clock, owner_id=world.owner.id, token=token, linked_to=[world.profile.id])
        if default:
            make_default_payment_method(
                uow, portal.clock, actor_id=world.owner.id, profile_id=world.profile.id, method_id=card.id
            )
    return card.id


def _remove_action(card: str) -> str:
    return f'action="/billing/payment-methods/{card}/remove'  # the page adds ?scope=…


def test_the_default_card_with_unpaid_invoices_shows_why_instead_of_remove(portal: Portal) -> None:
    add_invoices(portal.engine, [make_invoice(portal.world, portal.clock)])
    default, other = _card(portal, "4242424242424242", default=True), _card(portal, "5555555555554444", default=False)
    portal.sign_in()
    page = portal.client.get("/billing/payment-methods").text
    assert _remove_action(default) not in page and _remove_action(other) in page
    why = page.split(f'id="kept-{default}">', 1)[1].split("</span>", 1)[0]
    assert "Choose another default first." in why
    csrf = CSRF.search(page)
    assert csrf
    form = {"csrf_token": csrf.group(1), "profile_id": portal.world.profile.id}
    refused = portal.client.post(f"/billing/payment-methods/{default}/remove", data=form)
    assert refused.status_code == 409  # the server holds to the rule whatever the page offered


def test_the_default_card_without_unpaid_invoices_may_be_removed(portal: Portal) -> None:
    default = _card(portal, "4242424242424242", default=True)
    portal.sign_in()
    page = portal.client.get("/billing/payment-methods").text
    assert _remove_action(default) in page and f'id="kept-{default}"' not in page


def test_the_last_owner_shows_why_instead_of_remove_and_a_second_owner_frees_both(portal: Portal) -> None:
    portal.sign_in()
    page = portal.client.get("/billing/access", headers={"Accept-Language": "en"}).text
    with UnitOfWork(portal.engine, write=False) as uow:
        (owner,) = uow.roles.holders(Role.BILLING_ACCOUNT_OWNER, Scope(portal.world.account.id))
    assert f"/billing/access/{owner.id}/remove" not in page
    assert "The last owner of a billing account cannot be removed." in page
    with UnitOfWork(portal.engine) as uow:
        second = add_user(
            uow, portal.clock, verified=True, email="second@contoso.example", display_name="Second", password=PASSWORD
        )
        grant_role(
            uow,
            portal.clock,
            actor_id=portal.world.owner.id,
            user_id=second.id,
            role=Role.BILLING_ACCOUNT_OWNER,
            scope=Scope(portal.world.account.id),
        )
    page = portal.client.get("/billing/access").text
    assert f"/billing/access/{owner.id}/remove" in page
    assert "The last owner of a billing account cannot be removed." not in page
