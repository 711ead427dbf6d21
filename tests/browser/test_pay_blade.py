"""The Pay now blade when things go wrong or go back (issue 18): failed cards are not saved and the blade
says which card failed and why; reload and Back never send a payment again; Back after paying shows the
receipt; Select a payment method is a control; Escape, the backdrop and the scroll position; the 3-D
Secure page in the payer's language; autopay and bank transfer said in the blade; the Payment methods form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from settle import demo
from settle.documents.model import PROVIDER
from settle.money import format_money
from settle.payments.model import DECLINE_MESSAGES, DeclineCode
from settle.processor.interface import ChargeStatus
from settle.uow import UnitOfWork
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.test_pay_path import (
    LANGUAGES,
    Language,
    add_new_card,
    new_context,
    open_invoices,
    open_pay_blade,
)

EN, NL, DA = LANGUAGES
FAILING_CARDS = [
    ("4000000000000002", DeclineCode.CARD_DECLINED),
    ("4000000000009995", DeclineCode.INSUFFICIENT_FUNDS),
    ("4000000000000069", DeclineCode.EXPIRED_CARD),
    ("4000000000000119", DeclineCode.PROCESSING_ERROR),
]
THREE_D_SECURE = "4000002500003155"


def saved_cards(server: LiveServer) -> int:
    with UnitOfWork(server.engine, write=False) as uow:
        return len(uow.payment_methods.list_for_profile(demo.CONTOSO_BILLING))


def amount_due(server: LiveServer, number: str):  # type: ignore[no-untyped-def]
    with UnitOfWork(server.engine, write=False) as uow:
        return uow.invoices.get(number).amount_due


def pay_button(blade: Locator, language: Language) -> Locator:
    return blade.get_by_role("button", name=language.pay_now, exact=True)


def test_failed_new_cards_are_not_saved_and_the_blade_names_the_card_and_the_reason(
    browser: Browser, server: LiveServer
) -> None:
    context = new_context(browser, EN)
    page = context.new_page()
    open_invoices(page, server, EN)
    before = saved_cards(server)
    number, blade = open_pay_blade(page, EN)
    for card, code in FAILING_CARDS:
        add_new_card(blade, EN, card)
        pay_button(blade, EN).click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text(f"Visa •••• {card[-4:]}")
        expect(alert).to_contain_text(DECLINE_MESSAGES[code])
        expect(alert).to_contain_text("The card was not saved.")
        # The card the payer tried stays chosen: Add a new card, open, to type it again or another one.
        expect(blade.get_by_role("radio", name="Add a new card")).to_be_checked()
        expect(blade.get_by_label("Card number")).to_be_visible()
        assert saved_cards(server) == before, f"the failed card {card} was saved"
    screenshot(page, "pay-blade-failed-card-en")

    add_new_card(blade, EN, THREE_D_SECURE)
    pay_button(blade, EN).click()
    page.get_by_role("button", name="Fail").click()
    expect(page.get_by_role("alert")).to_contain_text(DECLINE_MESSAGES[DeclineCode.AUTHENTICATION_FAILED])
    expect(page.get_by_role("alert")).to_contain_text("•••• 3155")
    assert saved_cards(server) == before

    page.goto(f"{server.url}/billing/payment-methods")
    table = page.locator("section", has=page.get_by_role("heading", name="Contoso Billing")).locator("tbody tr")
    expect(table).to_have_count(before)
    expect(page.locator("main")).not_to_contain_text("0002")
    expect(page.locator("main")).not_to_contain_text("0069")
    assert server.processor.count_charges(description=f"Invoice {number}", status=ChargeStatus.SUCCEEDED) == 0
    context.close()


def test_a_new_card_that_pays_is_kept(browser: Browser, server: LiveServer) -> None:
    context = new_context(browser, EN)
    page = context.new_page()
    open_invoices(page, server, EN)
    before = saved_cards(server)
    number, blade = open_pay_blade(page, EN)
    add_new_card(blade, EN, "5555555555554444")
    pay_button(blade, EN).click()
    expect(page.locator(f"#row-{number} .badge")).to_have_text("Paid")
    assert saved_cards(server) == before + 1
    context.close()


def test_reload_and_back_after_a_decline_send_nothing_again(browser: Browser, server: LiveServer) -> None:
    context = new_context(browser, NL)
    page = context.new_page()
    open_invoices(page, server, NL)
    before = saved_cards(server)
    number, blade = open_pay_blade(page, NL)
    add_new_card(blade, NL, "4000000000000002")
    pay_button(blade, NL).click()
    expect(page.get_by_role("alert")).to_contain_text("•••• 0002")
    charges = server.processor.count_charges(description=f"Invoice {number}")
    assert charges == 1

    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("•••• 0002")
    page.go_back()
    expect(page.get_by_role("dialog", name=NL.pay_now)).to_be_visible()
    page.go_forward()
    expect(page.get_by_role("alert")).to_contain_text("•••• 0002")
    for text in ("idempotentiesleutel", "idempotency"):
        assert text not in page.locator("body").inner_text().lower()
    assert server.processor.count_charges(description=f"Invoice {number}") == charges
    assert saved_cards(server) == before
    context.close()


def test_back_after_paying_shows_the_receipt_and_back_after_sign_out_shows_no_invoices(
    browser: Browser, server: LiveServer
) -> None:
    context = new_context(browser, EN)
    page = context.new_page()
    open_invoices(page, server, EN)
    number, blade = open_pay_blade(page, EN)
    pay_button(blade, EN).click()
    expect(page.locator(f"#row-{number} .badge")).to_have_text("Paid")

    page.go_back()
    blade = page.get_by_role("dialog", name=EN.pay_now)
    expect(blade.locator("#paid-receipt")).to_contain_text(f"Invoice {number} is paid")
    expect(blade.get_by_role("link", name=re.compile("Download the receipt"))).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    screenshot(page, "pay-blade-back-after-paying-en")

    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("E-mail address")).to_be_visible()
    page.go_back()
    expect(page.get_by_label("E-mail address")).to_be_visible()
    expect(page.locator("table.invoices")).to_have_count(0)
    context.close()


def test_select_a_payment_method_is_a_chooser_that_works_with_the_keyboard(
    browser: Browser, server: LiveServer
) -> None:
    context = new_context(browser, DA)
    page = context.new_page()
    open_invoices(page, server, DA)
    _, blade = open_pay_blade(page, DA)
    chooser = blade.get_by_role("button", name=re.compile(re.escape(DA.select_method)))
    expect(chooser).to_have_attribute("aria-expanded", "false")
    expect(chooser).to_contain_text("Visa •••• 4242")
    saved = blade.get_by_role("radio", name=re.compile("4242"))
    expect(saved).to_be_hidden()

    chooser.focus()
    page.keyboard.press("Enter")
    expect(chooser).to_have_attribute("aria-expanded", "true")
    expect(saved).to_be_focused()
    page.keyboard.press("ArrowDown")
    new_card = blade.get_by_role("radio", name=DA.t("Add a new card"))
    expect(new_card).to_be_checked()
    expect(blade.get_by_label(DA.t("Card number"))).to_be_visible()
    expect(chooser).to_contain_text(DA.t("Add a new card"))
    screenshot(page, "pay-blade-chooser-da")
    page.keyboard.press("Escape")  # the list closes first; the blade stays
    expect(chooser).to_have_attribute("aria-expanded", "false")
    expect(chooser).to_be_focused()
    expect(blade).to_be_visible()
    context.close()


def test_the_blade_keeps_the_scroll_position_and_closes_by_backdrop_and_escape(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 360}, locale="en-US")
    page = context.new_page()
    open_invoices(page, server, EN)
    link = page.locator("table.invoices a.paynow").last
    link.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 100, "the Pay now link should be below the fold for this test"
    link.click()
    expect(page.get_by_role("dialog", name=EN.pay_now)).to_be_visible()
    assert abs(page.evaluate("window.scrollY") - scrolled) <= 2

    page.mouse.click(100, 200)  # the backdrop, left of the blade
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert "/pay" not in page.url
    assert abs(page.evaluate("window.scrollY") - scrolled) <= 2

    page.locator("table.invoices a.paynow").last.click()
    expect(page.get_by_role("dialog", name=EN.pay_now)).to_be_visible()
    page.evaluate("document.activeElement.blur()")  # focus outside the blade
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    context.close()


@pytest.mark.parametrize("language", [NL, DA], ids=lambda language: language.code)
def test_the_3d_secure_page_is_styled_in_the_payers_language_and_back_does_not_offer_it_again(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    open_invoices(page, server, language)
    number, blade = open_pay_blade(page, language)
    add_new_card(blade, language, THREE_D_SECURE)
    pay_button(blade, language).click()

    complete = page.get_by_role("button", name=language.t("Complete"))
    expect(complete).to_be_visible()
    assert language.t("Complete") != "Complete"
    expect(page.locator("html")).to_have_attribute("lang", language.code)
    expect(page.locator("main")).to_contain_text(format_money(amount_due(server, number), language.code))
    expect(page.locator("main")).not_to_contain_text(" EUR")
    expect(complete).to_have_css("background-color", "rgb(15, 108, 189)")  # its stylesheet, not a bare page
    screenshot(page, f"processor-3ds-{language.code}")
    complete.click()
    expect(page.locator(f"#row-{number} .badge")).to_have_text(language.paid)

    page.go_back()
    expect(page.get_by_role("status")).to_contain_text(
        language.t("Done: the payment was confirmed. You can close this page.")
    )
    expect(page.get_by_role("button")).to_have_count(0)
    screenshot(page, f"processor-3ds-done-{language.code}")
    assert server.processor.count_charges(description=f"Invoice {number}", status=ChargeStatus.SUCCEEDED) == 1
    context.close()


def test_the_blade_says_when_autopay_will_charge_and_how_to_pay_by_bank_transfer(
    browser: Browser, server: LiveServer
) -> None:
    context = new_context(browser, EN)
    page = context.new_page()
    open_invoices(page, server, EN)
    number, blade = open_pay_blade(page, EN)  # Contoso Billing pays automatically (the demo data)
    with UnitOfWork(server.engine, write=False) as uow:
        due = uow.invoices.get(number).due_date
    note = blade.locator("#autopay-note")
    expect(note).to_contain_text(
        f"Charged automatically on {due.strftime('%b')} {due.day}, {due.year} to Visa •••• 4242"
    )

    transfer = blade.get_by_role("region", name="Pay by bank transfer")
    expect(transfer).to_contain_text(PROVIDER.iban)
    expect(transfer).to_contain_text(PROVIDER.bic)
    expect(transfer.locator("#bank-reference")).to_have_text(number)
    screenshot(page, "pay-blade-autopay-and-bank-transfer-en")
    context.close()


def test_the_payment_methods_form_formats_the_expiry_and_names_the_card_it_replaces(
    page: Page, server: LiveServer
) -> None:
    open_invoices(page, server, EN)
    page.goto(f"{server.url}/billing/payment-methods")
    expiry = page.get_by_label("Expiry date (MM/YY)")
    expiry.press_sequentially("1234")
    expect(expiry).to_have_value("12/34")
    box = expiry.bounding_box()
    assert box is not None and box["width"] < 140, "the expiry field holds five characters"
    number_box = page.get_by_label("Card number").bounding_box()
    assert number_box is not None and number_box["width"] < 320

    page.get_by_role("link", name=re.compile("Replace")).first.click()
    expect(page.get_by_role("heading", name="Replace Visa •••• 4242")).to_be_visible()
    expect(page.locator("#replacing-note")).to_contain_text("Visa •••• 4242")
    screenshot(page, "payment-methods-replace-en")
