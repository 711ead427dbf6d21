"""The Invoices list as a person reads it: the invoice id opens its details with its payments and
receipts, dates in one style of the viewer's language, each amount with its currency once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveServer, screenshot
from tests.browser.test_pay_path import LANGUAGES, Language, first_payable_row, new_context, open_invoices

# A short date ("10/1/26", "01-10-2026", "1.10.26"): the style the grid must not mix with "1 okt 2026".
SHORT_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_the_invoice_id_opens_its_details_which_list_its_payment_and_receipt(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    open_invoices(page, server, language)
    row = first_payable_row(page, language)
    number = row.locator("th").inner_text().strip()
    row.get_by_role("link", name=language.pay_now).click()
    page.get_by_role("dialog", name=language.pay_now).get_by_role("button", name=language.pay_now).click()
    expect(page.locator(f"#row-{number} .badge")).to_have_text(language.paid)

    page.locator(f"#row-{number}").get_by_role("link", name=number, exact=True).click()
    details = page.get_by_role("dialog", name=f"{language.t('Invoice')} {number}")
    expect(details).to_be_visible()
    payments = details.get_by_role("list", name=language.t("Payments and receipts"))
    expect(payments.get_by_role("listitem")).to_have_count(1)
    expect(payments).to_contain_text(language.t("Succeeded"))
    receipt = payments.get_by_role("link", name=re.compile(re.escape(language.t("Receipt %(number)s")[:7])))
    with page.expect_download() as download:
        receipt.click()
    assert download.value.suggested_filename.endswith(".pdf")
    screenshot(page, f"invoice-details-{language.code}", full_page=False)
    context.close()


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_dates_have_one_style_and_amounts_name_their_currency_once(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language, width=1440)
    page = context.new_page()
    open_invoices(page, server, language)
    grid = page.locator("table.invoices tbody")
    expect(grid.locator("tr").first).to_be_visible()
    assert not SHORT_DATE.findall(grid.inner_text()), "a short date beside the medium ones"
    period = grid.locator("tr").first.locator("td").nth(2).inner_text()
    assert period.endswith("2026") and period.count("2026") == 1, period

    row = first_payable_row(page, language)
    number = row.locator("th").inner_text().strip()
    row.get_by_role("link", name=number, exact=True).click()
    details = page.get_by_role("dialog", name=f"{language.t('Invoice')} {number}")
    blade_text = details.inner_text()
    assert not SHORT_DATE.findall(blade_text), blade_text
    amount_due = details.locator(".due dd").inner_text().strip()
    assert "EUR" not in amount_due and amount_due.count("€") == 1, amount_due
    context.close()
