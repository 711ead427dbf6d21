"""A role that may not do something is told why in words, not a permission code: what the role lets them
do, which role would allow it, and the billing account owners who can give it (issue 18 item 6)."""

from __future__ import annotations

from dataclasses import replace

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.model import User
from settle.accounts.service import add_user
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD, add_invoices, make_invoice
from tests.web.portal.conftest import Portal

CODES = ("pay_invoices", "manage_roles", "manage_payment_methods")


def _colleague(portal: Portal, role: Role, *, locale: str = "en") -> User:
    world = portal.world
    scope = (
        Scope(world.account.id)
        if role.value.startswith("billing_account")
        else Scope(world.account.id, world.profile.id)
    )
    with UnitOfWork(portal.engine) as uow:
        user = add_user(
            uow,
            portal.clock,
            verified=True,
            email=f"{role.value}@contoso.example",
            display_name="Colleague",
            password=PASSWORD,
            locale=locale,
        )
        grant_role(uow, portal.clock, actor_id=world.owner.id, user_id=user.id, role=role, scope=scope)
    portal.sign_in(user.email)
    return user


def _rename_owner(portal: Portal, name: str) -> None:
    with UnitOfWork(portal.engine) as uow:
        uow.users.update(replace(uow.users.get(portal.world.owner.id), display_name=name))


def test_a_reader_opening_pay_now_is_told_which_role_pays_and_who_can_give_it(portal: Portal) -> None:
    invoice = make_invoice(portal.world, portal.clock)
    add_invoices(portal.engine, [invoice])
    _rename_owner(portal, "Ada Lovelace")
    _colleague(portal, Role.BILLING_ACCOUNT_READER)
    blade = portal.client.get(f"/billing/invoices/{invoice.id}/pay")
    assert blade.status_code == 403
    text = blade.text
    assert "Your role Billing account reader lets you see the billing account&#39;s invoices" in text
    assert (
        "Paying invoices needs the role Billing profile owner, Billing profile contributor, or Invoice manager." in text
    )
    assert "The owners of this billing account can give it to you: Ada Lovelace." in text
    assert not any(code in text for code in CODES)


def test_a_reader_is_told_in_dutch_why_access_control_is_closed(portal: Portal) -> None:
    _rename_owner(portal, "Ada Lovelace")
    _colleague(portal, Role.BILLING_ACCOUNT_READER, locale="nl")
    page = portal.client.get("/billing/access").text
    assert "Met uw rol Lezer van factureringsaccount" in page
    assert "Ada Lovelace" in page and "Eigenaar van factureringsaccount" in page
    assert not any(code in page for code in CODES)


def test_an_invoice_manager_is_told_why_the_blade_offers_no_new_card(portal: Portal) -> None:
    invoice = make_invoice(portal.world, portal.clock)
    add_invoices(portal.engine, [invoice])
    _colleague(portal, Role.INVOICE_MANAGER, locale="da")
    blade = portal.client.get(f"/billing/invoices/{invoice.id}/pay")
    assert blade.status_code == 200 and 'id="method-new"' not in blade.text
    why = blade.text.split('id="add-card-why">', 1)[1].split("</p>", 1)[0]
    assert "Fakturaadministrator" in why and "Owner" in why
    methods = portal.client.get("/billing/payment-methods").text
    assert 'id="manage-why"' in methods and "Owner" in methods
    assert not any(code in blade.text + methods for code in CODES)
