"""DESIGN §1 in Chromium, in English, Dutch and Danish, pressing the labels a user reads: sign in, search
for Cost Management + Billing, Billing › Invoices, Pay now, Select a payment method, Pay now, Paid."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from settle import demo
from settle.help.service import get_article
from settle.i18n import gettext
from settle.payments.model import DECLINE_MESSAGES, DeclineCode
from settle.processor.interface import ChargeStatus
from tests.browser.conftest import LiveServer


@dataclass(frozen=True)
class Language:
    """The terms of DESIGN §7, exactly as the reference help articles print them."""

    code: str
    browser_locale: str
    typed: str  # what the user types in the search box
    service: str
    invoices: str
    pay_now: str
    select_method: str
    paid: str
    due: str

    def t(self, msgid: str) -> str:
        return gettext(self.code, msgid)


LANGUAGES = [
    Language("en", "en-US", "Cost Management + Billing", "Cost Management + Billing", "Invoices", "Pay now",
             "Select a payment method", "Paid", "Due"),
    Language("nl", "nl-NL", "Kostenbeheer", "Kostenbeheer + facturering", "Facturen", "Nu betalen",
             "Selecteer een betalingswijze", "Betaald", "Verschuldigd"),
    Language("da", "da-DK", "fakturering", "Cost Management + Fakturering", "Fakturaer", "Betal nu",
             "Vælg en betalingsmetode", "Betalt", "Forfalder"),
]  # fmt: skip


def open_invoices(page: Page, server: LiveServer, language: Language, email: str = "admin@contoso.example") -> None:
    """Steps 1–4: sign in, search, pick the service, Billing › Invoices in the left pane."""
    page.goto(f"{server.url}/")
    page.get_by_label(language.t("E-mail address")).fill(email)
    page.get_by_label(language.t("Password")).fill(demo.PASSWORD)
    page.get_by_role("button", name=language.t("Sign in")).click()
    search = page.get_by_role("combobox", name=language.t("Search resources, services and docs"))
    search.fill(language.typed)
    expect(page.get_by_role("option", name=re.compile(re.escape(language.service)))).to_be_visible()
    search.press("Enter")
    pane = page.get_by_role("navigation", name=language.service)
    pane.get_by_role("link", name=language.invoices, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(language.invoices)


def first_payable_row(page: Page, language: Language, currency_hint: str = "€"):  # type: ignore[no-untyped-def]
    rows = page.locator("table.invoices tbody tr").filter(has=page.get_by_role("link", name=language.pay_now))
    return rows.filter(has_text=currency_hint).first


def open_pay_blade(page: Page, language: Language) -> tuple[str, Locator]:
    """Pay now on the first payable euro invoice: its number and the blade."""
    row = first_payable_row(page, language)
    number = row.locator("th").inner_text().strip()
    row.get_by_role("link", name=language.pay_now).click()
    return number, page.get_by_role("dialog", name=language.pay_now)


def new_context(browser: Browser, language: Language, width: int = 1280) -> BrowserContext:
    return browser.new_context(viewport={"width": width, "height": 900}, locale=language.browser_locale)


def open_methods(blade: Locator, language: Language) -> Locator:
    """Click Select a payment method, as the article says: the saved methods and Add a new card open."""
    chooser = blade.get_by_role("button", name=re.compile(re.escape(language.select_method)))
    if chooser.get_attribute("aria-expanded") != "true":
        chooser.click()
    expect(chooser).to_have_attribute("aria-expanded", "true")
    return blade.get_by_role("group", name=language.select_method)


def add_new_card(blade: Locator, language: Language, number: str) -> None:
    """Add a new card in the blade, as a person types it."""
    open_methods(blade, language).get_by_role("radio", name=language.t("Add a new card")).check()
    blade.get_by_label(language.t("Card number")).fill(number)
    blade.get_by_label(language.t("Expiry date (MM/YY)")).fill("12/34")
    blade.get_by_label(language.t("Security code (CVC)")).fill("123")
    blade.get_by_label(language.t("Name on card")).fill("Contoso Admin")


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_billing_administrator_pays_with_the_saved_card_then_a_new_one(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    open_invoices(page, server, language)

    number, blade = open_pay_blade(page, language)
    expect(blade.locator("#blade-title")).to_be_focused()
    methods = open_methods(blade, language)
    expect(methods).to_be_visible()
    methods.get_by_role("radio", name=re.compile("4242")).check()
    blade.get_by_role("button", name=language.pay_now).click()

    paid_row = page.locator(f"#row-{number}")
    expect(paid_row.locator(".badge")).to_have_text(language.paid)
    expect(page.get_by_role("status")).to_contain_text(number)
    assert server.processor.count_charges(description=f"Invoice {number}", status=ChargeStatus.SUCCEEDED) == 1

    # A second invoice, with a new card added on the spot.
    second, blade = open_pay_blade(page, language)
    add_new_card(blade, language, "4242 4242 4242 4242")
    blade.get_by_role("button", name=language.pay_now).click()
    expect(page.locator(f"#row-{second} .badge")).to_have_text(language.paid)
    assert server.processor.count_charges(description=f"Invoice {second}", status=ChargeStatus.SUCCEEDED) == 1
    context.close()


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_a_declined_card_says_why_in_the_users_language_and_leaves_the_invoice_payable(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    open_invoices(page, server, language)
    status_before = first_payable_row(page, language).locator(".badge").inner_text()
    number, blade = open_pay_blade(page, language)
    add_new_card(blade, language, "4000 0000 0000 0002")
    blade.get_by_role("button", name=language.pay_now).click()

    message = language.t(DECLINE_MESSAGES[DeclineCode.CARD_DECLINED])
    expect(page.get_by_role("alert")).to_contain_text(message)
    expect(page.get_by_role("alert")).to_contain_text("•••• 0002")
    assert message != DECLINE_MESSAGES[DeclineCode.CARD_DECLINED] or language.code == "en"
    expect(page.locator(f"#row-{number} .badge")).to_have_text(status_before)
    expect(page.locator(f"#row-{number}").get_by_role("link", name=language.pay_now)).to_be_visible()
    assert server.processor.count_charges(description=f"Invoice {number}", status=ChargeStatus.SUCCEEDED) == 0
    context.close()


PROBLEMS = {
    "en": "how do I pay my invoice",
    "nl": "hoe betaal ik mijn factuur",
    "da": "hvordan betaler jeg min faktura",
}
GO_TO_INVOICES = {"en": "Go to Invoices", "nl": "Ga naar Facturen", "da": "Gå til Fakturaer"}


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_the_recommended_steps_article_leads_to_a_paid_invoice(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    page.goto(f"{server.url}/")
    page.get_by_label(language.t("E-mail address")).fill("admin@contoso.example")
    page.get_by_label(language.t("Password")).fill(demo.PASSWORD)
    page.get_by_role("button", name=language.t("Sign in")).click()
    page.get_by_role("link", name=language.t("Help + support")).first.click()
    page.get_by_label(language.t("Describe your problem")).fill(PROBLEMS[language.code])
    page.get_by_role("button", name=language.t("Find a solution")).click()
    article = page.locator("article")
    expect(article.get_by_role("heading", level=2)).to_have_text(get_article("pay-invoice", language.code).title)
    expect(article).to_contain_text(language.select_method)
    expect(page.get_by_role("heading", name=language.t("Recommended documents"))).to_be_visible()
    article.get_by_role("link", name=GO_TO_INVOICES[language.code]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(language.invoices)
    number, blade = open_pay_blade(page, language)
    blade.get_by_role("button", name=language.pay_now).click()
    expect(page.locator(f"#row-{number} .badge")).to_have_text(language.paid)
    context.close()
