"""The home page and the user menu in Chromium (issue 18 items 8 and 19): the language chosen in the menu
is the user's from then on, even over a language stored before; home shows the services and what needs
attention, in every language, at 1280 and 360 px, accessible; the menu has a chevron and its controls
in line; the logo is plain text, not a card-brand chip; cards are padded evenly."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from settle.uow import UnitOfWork
from tests.browser.conftest import PASSWORD, LiveServer, screenshot
from tests.browser.test_pay_path import LANGUAGES, Language, new_context

ADMIN = "admin@contoso.example"


def _sign_in(page: Page, server: LiveServer, language: Language, email: str = ADMIN) -> None:
    page.goto(f"{server.url}/")
    page.get_by_label(language.t("E-mail address")).fill(email)
    page.get_by_label(language.t("Password")).fill(PASSWORD)
    page.get_by_role("button", name=language.t("Sign in")).click()
    page.wait_for_url(re.compile(r".*/$"))


def _store_language(server: LiveServer, email: str, locale: str) -> None:
    with UnitOfWork(server.engine) as uow:  # type: ignore[arg-type]
        uow.users.update(replace(uow.users.get_by_email(email), locale=locale))


def _choose_in_menu(page: Page, language_now: Language, language_name: str) -> None:
    page.locator(".usermenu summary").click()
    menu = page.locator(".usermenu .menu")
    menu.get_by_label(language_now.t("Language")).select_option(label=language_name)
    menu.get_by_role("button", name=language_now.t("Apply")).click()


def test_a_dutch_user_who_chooses_english_in_the_menu_gets_english_from_then_on(
    browser: Browser, server: LiveServer
) -> None:
    en, nl = LANGUAGES[0], LANGUAGES[1]
    _store_language(server, ADMIN, "nl")
    context = new_context(browser, en)
    page = context.new_page()
    _sign_in(page, server, en)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    _choose_in_menu(page, nl, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Contoso Admin")
    page.goto(f"{server.url}/billing/invoices")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoices")
    context.close()
    # Another browser, which asks for Dutch: the menu's choice is the user's own.
    context = new_context(browser, nl)
    page = context.new_page()
    _sign_in(page, server, nl)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    context.close()


def test_the_user_menu_has_a_chevron_and_its_controls_in_line_and_the_logo_no_chip_border(
    page: Page, server: LiveServer
) -> None:
    _sign_in(page, server, LANGUAGES[0])
    logo = page.get_by_role("link", name="Settle", exact=True)
    assert logo.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"
    summary = page.locator(".usermenu summary")
    chevron = summary.locator(".chevron")
    expect(chevron).to_be_visible()
    closed = chevron.evaluate("e => getComputedStyle(e).transform")
    summary.click()
    assert chevron.evaluate("e => getComputedStyle(e).transform") != closed  # it turns when the menu opens
    select, apply = page.get_by_label("Language"), page.get_by_role("button", name="Apply")
    select_box, apply_box = select.bounding_box(), apply.bounding_box()
    assert select_box and apply_box
    assert abs(select_box["y"] - apply_box["y"]) <= 1, "Apply sits beside the language, not under it"
    assert abs(select_box["height"] - apply_box["height"]) <= 1
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out
    assert abs(sign_out["x"] - select_box["x"]) <= 1, "the menu's controls share one left edge"
    screenshot(page, "user-menu-en-1280", full_page=False)


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_home_shows_the_services_and_what_needs_attention_in_every_language_and_width(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    axe = Axe()
    for width in (1280, 360):
        context = new_context(browser, language, width=width)
        page = context.new_page()
        _sign_in(page, server, language)
        services = page.locator("a.service")
        expect(services).to_have_count(3)
        expect(services.first).to_contain_text(language.service)
        attention = page.locator("section.attention")
        expect(attention.get_by_role("heading", level=2)).to_have_text(language.t("Needs attention"))
        expect(attention.locator(".tile").first).to_contain_text("Contoso Billing")
        expect(attention.locator(".tile .amount").first).to_be_visible()
        late = attention.locator(".past-due li")
        expect(late.first).to_be_visible()
        # Even padding: a card's content starts and ends as far from its edges as from its sides.
        gaps = attention.locator(".tile").first.evaluate(
            """tile => {
              const box = tile.getBoundingClientRect(), kids = [...tile.children];
              const first = kids[0].getBoundingClientRect(), last = kids[kids.length - 1].getBoundingClientRect();
              return [first.top - box.top, box.bottom - last.bottom, first.left - box.left];
            }"""
        )
        assert max(gaps) - min(gaps) <= 2, f"uneven card padding (top, bottom, left): {gaps}"
        found = axe.run(page)
        serious = [v for v in found.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], f"home ({language.code}, {width}px): {[v['id'] for v in serious]}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"home is {overflow}px wider than a {width}px screen"
        screenshot(page, f"home-{language.code}-{width}")
        # Pay now on the longest overdue invoice opens its blade over the Invoices grid.
        number = late.first.locator(".late-id").inner_text().strip()
        late.first.get_by_role("link", name=language.pay_now).click()
        blade = page.get_by_role("dialog", name=language.pay_now)
        expect(blade).to_contain_text(number)
        context.close()
