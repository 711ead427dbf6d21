"""The Invoices list as a person reads it: the invoice id opens its details with its payments and
receipts, dates in one style of the viewer's language, each amount with its currency once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from settle import demo
from settle.clock import SystemClock, today
from settle.invoices.model import STATUS_LABELS, Invoice, InvoiceQuery, InvoiceStatus
from settle.money import Money, format_money
from settle.uow import UnitOfWork
from settle.web.portal.invoice_routes import ReversedDates
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.test_pay_path import LANGUAGES, Language, first_payable_row, new_context, open_invoices

# A short date ("10/1/26", "01-10-2026", "1.10.26"): the style the grid must not mix with "1 okt 2026".
UNPAID = (InvoiceStatus.DUE, InvoiceStatus.PAST_DUE, InvoiceStatus.PARTIALLY_PAID)
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
    page.goto(f"{server.url}/billing/invoices/{number}/pay")  # the Pay now blade names it once too
    pay_due = page.get_by_role("dialog").locator(".due dd").inner_text().strip()
    assert "EUR" not in pay_due and pay_due.count("€") == 1, pay_due
    context.close()


def _listed_numbers(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("table.invoices tbody th").all_inner_texts()]


def _demo_invoices(server: LiveServer) -> list[Invoice]:
    profiles = frozenset({demo.CONTOSO_BILLING, demo.CONTOSO_RND})
    with UnitOfWork(server.engine, write=False) as uow:  # type: ignore[arg-type]
        return uow.invoices.page(InvoiceQuery(profiles, limit=10_000), today(SystemClock()))


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_unpaid_lists_due_past_due_and_partially_paid_with_the_total_due_per_currency(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    open_invoices(page, server, language)
    page.get_by_label(language.t("Status"), exact=True).select_option(label=language.t("Unpaid"))
    page.get_by_role("button", name=language.t("Apply")).click()

    day = today(SystemClock())
    unpaid = [invoice for invoice in _demo_invoices(server) if invoice.display_status(day, False) in UNPAID]
    assert {invoice.display_status(day, False) for invoice in unpaid} == set(UNPAID)
    badges = set(page.locator("table.invoices tbody .badge").all_inner_texts())
    assert badges == {language.t(STATUS_LABELS[status]) for status in UNPAID}
    assert sorted(_listed_numbers(page)) == sorted(invoice.id for invoice in unpaid)
    totals = {currency: Money.zero(currency) for currency in {invoice.currency for invoice in unpaid}}
    for invoice in unpaid:
        totals[invoice.currency] += invoice.amount_due
    shown = page.locator(".totals-due strong").all_inner_texts()
    assert shown == [format_money(totals[currency], language.code) for currency in sorted(totals)]
    screenshot(page, f"invoices-unpaid-{language.code}", full_page=False)
    context.close()


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_a_from_date_after_the_to_date_is_refused_with_a_message_in_the_users_language(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    open_invoices(page, server, language)
    page.locator("#filter-from").fill("2026-10-01")
    page.locator("#filter-to").fill("2026-09-01")
    page.get_by_role("button", name=language.t("Apply")).click()
    expect(page.get_by_role("alert")).to_have_text(language.t(ReversedDates.message))
    expect(page.locator(".empty")).to_have_count(0)
    context.close()


def test_the_columns_sort_by_their_heading_descending_then_ascending(browser: Browser, server: LiveServer) -> None:
    context = new_context(browser, LANGUAGES[1])
    page = context.new_page()
    open_invoices(page, server, LANGUAGES[1])
    invoices = _demo_invoices(server)
    heads = page.locator("table.invoices thead")
    for heading, key in (
        ("Vervaldatum", lambda invoice: (invoice.due_date, invoice.id)),
        ("Te betalen bedrag", lambda invoice: (invoice.amount_due.minor, invoice.id)),
        ("Factuur-id", lambda invoice: (invoice.id, invoice.id)),
    ):
        for direction in ("descending", "ascending"):
            heads.get_by_role("link", name=heading).click()
            expect(heads.get_by_role("columnheader", name=heading)).to_have_attribute("aria-sort", direction)
            wanted = sorted(invoices, key=key, reverse=direction == "descending")[:50]
            assert _listed_numbers(page) == [invoice.id for invoice in wanted], (heading, direction)
    context.close()


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_the_command_bar_downloads_refreshes_and_leads_to_the_filters(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = new_context(browser, language)
    page = context.new_page()
    open_invoices(page, server, language)
    page.get_by_label(language.t("Status"), exact=True).select_option(label=language.t("Unpaid"))
    page.get_by_role("button", name=language.t("Apply")).click()
    listed = _listed_numbers(page)
    bar = page.locator(".command-bar")
    with page.expect_download() as download:
        bar.get_by_role("link", name=language.t("Download as CSV")).click()
    assert download.value.suggested_filename.endswith(".csv")
    assert all(number in Path(download.value.path()).read_text() for number in listed)
    bar.get_by_role("link", name=language.t("Refresh")).click()
    expect(page).to_have_url(re.compile(r"status=unpaid"))
    assert _listed_numbers(page) == listed
    bar.get_by_role("link", name=language.t("Filters")).click()
    expect(page.get_by_label(language.t("Status"), exact=True)).to_be_in_viewport()
    screenshot(page, f"invoices-command-bar-{language.code}", full_page=False)
    page.goto(f"{server.url}/billing/payments")
    expect(page.locator(".command-bar").get_by_role("link", name=language.t("Refresh"))).to_be_visible()
    screenshot(page, f"payments-{language.code}", full_page=False)
    context.close()
