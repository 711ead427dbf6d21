"""The article's step in every language: at 1280 and 1024 px the first Pay now link and its row's Status
are on screen without scrolling, and the grids do not overflow; at 360 px the grids are cards whose
labels and values never break inside a word."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import LiveServer, screenshot
from tests.browser.test_pay_path import LANGUAGES, Language, first_payable_row, open_invoices

NO_GRID_OVERFLOW = "[...document.querySelectorAll('.grid-wrap')].map(w => w.scrollWidth - w.clientWidth)"

# A word split over two lines has a range with two client rects; a label is a ::before, so its wrapping
# rules are read from the computed style (a label that may not break and does not overflow is whole).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.grid tbody th, .grid tbody td')) {
    const label = getComputedStyle(cell, '::before');
    if (cell.dataset.label && (label.overflowWrap !== 'normal' || label.wordBreak !== 'normal'
        || label.hyphens === 'auto')) broken.push('label may break: ' + cell.dataset.label);
    if (cell.scrollWidth > cell.clientWidth + 1) broken.push('overflows: ' + cell.dataset.label);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.visually-hidden')) continue;
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push('word broken: ' + match[0]);
      }
    }
  }
  return broken;
}"""


def _on_screen(page: Page, element: Locator) -> None:
    box = element.bounding_box()
    view = page.viewport_size
    assert box and view
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"], (box, view)
    assert box["y"] >= 0 and box["y"] + box["height"] <= view["height"], (box, view)


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_pay_now_and_its_status_are_on_screen_at_1280_and_1024_px_and_the_grids_do_not_overflow(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    for width, height in ((1280, 860), (1024, 768)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=language.browser_locale)
        context.set_default_timeout(30_000)
        page = context.new_page()
        open_invoices(page, server, language)
        row = first_payable_row(page, language)
        expect(row).to_be_visible()
        assert page.evaluate("window.scrollY") == 0
        _on_screen(page, row.get_by_role("link", name=language.pay_now))
        badge = row.locator(".badge")
        _on_screen(page, badge)
        assert badge.evaluate("b => b.scrollWidth <= b.clientWidth"), "the status badge is cut"
        assert page.evaluate(NO_GRID_OVERFLOW) == [0], f"invoices grid overflows at {width}px"
        screenshot(page, f"invoices-fit-{language.code}-{width}", full_page=False)
        page.goto(f"{server.url}/billing/profiles")
        expect(page.locator("table.grid")).to_be_visible()
        assert all(extra <= 0 for extra in page.evaluate(NO_GRID_OVERFLOW)), f"profiles overflow at {width}px"
        _on_screen(page, page.locator("table.grid thead th").last)
        screenshot(page, f"profiles-fit-{language.code}-{width}", full_page=False)
        context.close()


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_at_360_px_the_grids_are_cards_and_no_word_breaks_inside_a_label(
    browser: Browser, server: LiveServer, language: Language
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=language.browser_locale)
    context.set_default_timeout(30_000)
    page = context.new_page()
    open_invoices(page, server, language)
    for name in ("invoices", "profiles"):
        if name == "profiles":
            page.goto(f"{server.url}/billing/profiles")
        row = page.locator("table.grid tbody tr").first
        expect(row).to_be_visible()
        assert row.evaluate("r => getComputedStyle(r).display") == "block", "rows are cards"
        assert page.evaluate(BROKEN_WORDS) == [], f"{name} ({language.code})"
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        screenshot(page, f"{name}-cards-{language.code}-360")
    context.close()
