"""The home page (issue 18 item 19): the services, and what needs the user's attention across everything
they may see: the amount due of each billing profile and the past-due invoices, with Pay now for those
who may pay; nothing of another customer."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.service import add_user
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD, add_invoices, make_invoice, make_world
from tests.web.portal.conftest import Portal

# The portal's clock stands at 15 March 2026.
LATE = date(2026, 1, 1)  # due 31 January: past due
RECENT = date(2026, 3, 10)  # due 9 April: due


def _owed(portal: Portal) -> tuple[str, str]:
    """A past-due and a due invoice of the portal's billing profile: their numbers."""
    late, recent = (
        make_invoice(portal.world, portal.clock, invoice_date=LATE),
        make_invoice(portal.world, portal.clock, invoice_date=RECENT),
    )
    add_invoices(portal.engine, [late, recent])
    return late.id, recent.id


def _user(portal: Portal, email: str, role: Role | None) -> str:
    with UnitOfWork(portal.engine) as uow:
        user = add_user(uow, portal.clock, email=email, display_name="Someone", password=PASSWORD, verified=True)
        if role is not None:
            world = portal.world
            grant_role(
                uow, portal.clock, actor_id=world.owner.id, user_id=user.id, role=role, scope=Scope(world.account.id)
            )
    return email


def _home(portal: Portal, email: str | None = None) -> str:
    assert portal.sign_in(email).status_code == 303
    page = portal.client.get("/")
    assert page.status_code == 200
    return unescape(page.text)


def test_home_lists_the_services_as_cards_not_bare_links(portal: Portal) -> None:
    page = _home(portal)
    for href, name in (
        ("/billing", "Cost Management + Billing"),
        ("/help", "Help + support"),
        ("/settings/tokens", "API tokens"),
    ):
        assert re.search(rf'<a class="service" href="{href}">.*?{re.escape(name)}.*?service-about', page, re.S), name


def test_home_shows_what_is_owed_and_the_past_due_invoices_with_pay_now(portal: Portal) -> None:
    late, recent = _owed(portal)
    page = _home(portal)
    attention = page[page.index('id="attention-title"') :]
    assert "Contoso Billing" in attention and "€303.72" in attention  # two invoices of €151.86 (with tax)
    assert "2 open invoices" in attention and "1 past due" in attention
    past_due = attention[attention.index('class="past-due"') :]
    assert late in past_due and recent not in past_due
    scope = f"{portal.world.account.id}/{portal.world.profile.id}"
    assert f'href="/billing/invoices/{late}/pay?scope={scope.replace("/", "%2F")}"' in past_due
    assert portal.client.get(f"/billing/invoices/{late}/pay", params={"scope": scope}).status_code == 200
    invoices = f"/billing/invoices?scope={scope.replace('/', '%2F')}&status=PastDue"
    assert f'href="{invoices}"' in attention


def test_a_reader_sees_what_is_past_due_but_no_pay_now(portal: Portal) -> None:
    late, _ = _owed(portal)
    page = _home(portal, _user(portal, "reader@contoso.example", Role.BILLING_ACCOUNT_READER))
    past_due = page[page.index('class="past-due"') :]
    assert late in past_due and "Pay now" not in past_due


def test_nothing_of_another_customer_is_on_the_home_page(portal: Portal) -> None:
    _owed(portal)
    other = make_world(portal.engine, portal.clock, name="Fabrikam")
    add_invoices(portal.engine, [make_invoice(other, portal.clock, invoice_date=LATE)])
    page = _home(portal, other.owner.email)
    assert "Fabrikam Billing" in page and "Contoso" not in page


def test_a_user_who_owes_nothing_is_told_so(portal: Portal) -> None:
    assert "Nothing is due: every invoice you can see is paid." in _home(portal)


def test_a_user_without_a_role_that_sees_invoices_is_told_so(portal: Portal) -> None:
    page = _home(portal, _user(portal, "new@contoso.example", None))
    assert "None of your roles lets you see invoices." in page and 'class="past-due"' not in page


def test_the_home_page_speaks_the_user_s_language(portal: Portal) -> None:
    _owed(portal)
    portal.client.cookies.set("settle_locale", "nl", domain="testserver.local")
    page = _home(portal)
    assert "Vraagt uw aandacht" in page and "Achterstallige facturen" in page and "Nu betalen" in page
