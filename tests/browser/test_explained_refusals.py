"""What a person sees when the portal says no: the reason in words (their role, the role that would do,
the owners to ask), an unknown address as a page of the portal, and removals that would break a rule
refused before any confirmation (issue 18 items 6, 7 and 15)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, screenshot, sign_in
from tests.browser.test_pay_path import LANGUAGES, Language

CONTOSO_INVOICE = "G000100023"  # a Contoso Billing invoice of the demo data


def _page_in(browser: Browser, language: Language) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale=language.browser_locale)
    context.set_default_timeout(10_000)
    return context.new_page()


def _sign_in(page: Page, server: LiveServer, email: str, language: Language) -> None:
    labels = (language.t("E-mail address"), language.t("Password"), language.t("Sign in"))
    sign_in(page, server, email, labels=labels)


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_a_reader_reads_which_role_pays_and_which_owner_to_ask(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    page = _page_in(browser, language)
    _sign_in(page, server, "reader@contoso.example", language)
    page.goto(f"{server.url}/billing/invoices/{CONTOSO_INVOICE}/pay")
    alert = page.locator(".blade [role=alert]")
    expect(alert).to_contain_text(language.t("Billing account reader"))
    expect(alert).to_contain_text(language.t("Invoice manager"))
    expect(alert).to_contain_text("Contoso Admin")
    expect(alert).not_to_contain_text("pay_invoices")
    screenshot(page, f"refusal-reader-blade-{language.code}", full_page=False)
    page.context.close()


def test_an_invoice_manager_reads_why_there_is_no_new_card(browser: Browser, server: LiveServer) -> None:
    language = LANGUAGES[1]
    page = _page_in(browser, language)
    _sign_in(page, server, "invoices@contoso.example", language)
    page.goto(f"{server.url}/billing/invoices/{CONTOSO_INVOICE}/pay")
    why = page.locator("#add-card-why")
    expect(why).to_be_visible()
    expect(why).to_contain_text(language.t("Invoice manager"))
    expect(why).to_contain_text("Contoso Admin")
    expect(page.locator("#method-new")).to_have_count(0)
    screenshot(page, "refusal-invoice-manager-blade-nl", full_page=False)
    page.context.close()


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_an_unknown_address_is_a_portal_page_with_a_way_back(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    page = _page_in(browser, language)
    _sign_in(page, server, "admin@contoso.example", language)
    answer = page.goto(f"{server.url}/billing/nothing-here")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(language.t("This page does not exist"))
    expect(page.locator("body")).not_to_contain_text('"detail"')
    screenshot(page, f"error-404-{language.code}", full_page=False)
    page.get_by_role("link", name=language.service).last.click()
    expect(page).to_have_url(f"{server.url}/billing")
    page.context.close()
