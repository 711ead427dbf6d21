"""Help + support as a person uses it: a support request opened through the form, the staff's answer
on its page, a follow-up; and from the Pay now blade, the Payment method FAQ in the user's language."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine

from settle.clock import SystemClock
from settle.help.service import answer_support_request, get_article
from settle.uow import UnitOfWork
from tests.browser.conftest import LiveServer, screenshot, sign_in
from tests.browser.test_pay_path import LANGUAGES, new_context, open_invoices, open_pay_blade

ADMIN = "admin@contoso.example"


def test_a_support_request_is_opened_answered_and_followed_up(page: Page, server: LiveServer) -> None:
    sign_in(page, server, ADMIN)
    page.goto(f"{server.url}/help/requests/new")
    page.get_by_label("Problem type").select_option(label="Payment methods")
    page.get_by_label("Billing profile").select_option(label="Contoso Billing")
    page.get_by_label("Invoice ID").fill("G000100023")
    page.get_by_label("Description", exact=True).fill("My Visa card is declined every time.")
    page.get_by_label("By phone").check()
    page.get_by_label("Phone number").fill("+31 20 123 4567")
    page.get_by_role("button", name="Send the support request").click()
    expect(page.get_by_role("status")).to_contain_text("was sent")
    number = re.search(r"/help/requests/(\d{6}-\d{8})", page.url)
    assert number, page.url
    expect(page.locator("dl.properties")).to_contain_text("By phone: +31 20 123 4567")

    engine = server.engine
    assert isinstance(engine, Engine)
    with UnitOfWork(engine) as uow:
        answer_support_request(uow, SystemClock(), number.group(1), "Please add the card again: it expired.")
    page.reload()
    expect(page.locator(".message.from-support")).to_contain_text("Please add the card again")
    expect(page.locator("dl.properties")).to_contain_text("Answered")
    page.get_by_label("Your message").fill("Done, it works now.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message").last).to_contain_text("Done, it works now.")
    expect(page.locator("dl.properties")).to_contain_text("Open")
    screenshot(page, "support-request-en")
    page.goto(f"{server.url}/help")
    expect(page.get_by_role("link", name=number.group(1))).to_be_visible()


def test_the_pay_now_blade_leads_to_the_payment_method_faq_in_each_language(
    browser: Browser, server: LiveServer
) -> None:
    for language in LANGUAGES:
        context = new_context(browser, language)
        page = context.new_page()
        open_invoices(page, server, language)
        _, blade = open_pay_blade(page, language)
        title = get_article("payment-method-faq", language.code).title
        blade.get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", language.code)
        context.close()
