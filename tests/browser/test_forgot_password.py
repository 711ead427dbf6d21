"""A person who forgot their password, in Chromium: from the sign-in page to the e-mail (a real SMTP server)
and back in with the new password; the pages on the way are accessible and fit 360 px."""

from __future__ import annotations

import re
from dataclasses import replace

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine

from settle.clock import SystemClock
from settle.notify.sender import run_mail
from tests.browser.conftest import LiveServer
from tests.integration.notify.smtp_server import smtp_server

EMAIL = "admin@contoso.example"
LINK = re.compile(r"https?://\S+/reset-password/[A-Za-z0-9_-]{43}")


def _serious(axe: Axe, page: Page) -> list[str]:
    return [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]


def test_a_forgotten_password_is_reset_through_the_mailed_link_and_the_new_one_signs_in(
    browser: Browser, server: LiveServer
) -> None:
    axe = Axe()
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(f"{server.url}/signin")
    page.get_by_role("link", name="Forgot password?").click()
    assert _serious(axe, page) == []
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text(f"If an account uses {EMAIL}, we sent it a link")
    with smtp_server() as (inbox, port):
        settings = replace(server.settings, smtp_url=f"smtp://127.0.0.1:{port}")
        engine = server.engine
        assert isinstance(engine, Engine)
        run_mail(engine, SystemClock(), settings)
    [message] = inbox.to(EMAIL)
    body = message.get_body(("plain",))
    assert body is not None
    link = LINK.search(str(body.get_content()))  # type: ignore[attr-defined]
    assert link and link.group(0).startswith(server.url)
    page.goto(link.group(0))
    assert _serious(axe, page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.get_by_label("New password", exact=True).fill("my brand new passphrase")
    page.get_by_label("Repeat the new password").fill("my brand new passphrase")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill("my brand new passphrase")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(link.group(0))  # the link again: used, and it says what to do
    expect(page.get_by_role("alert")).to_have_text("This link has expired or was used already. Ask for a new one.")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
    context.close()
