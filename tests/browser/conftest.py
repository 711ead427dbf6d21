"""Chromium, driven by Playwright, against a real Settle server on 127.0.0.1 with the demo data.

Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`): `playwright install` cannot download
browsers here. One server per test (its own SQLite database and processor ledger, the demo data
loaded as `make run` loads it); one fresh browser context per test."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from settle import db, demo
from settle.clock import SystemClock
from settle.config import Settings
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from settle.web.app import create_app
from tests.configured import settings_for_tests

CHROMIUM = os.environ.get("SETTLE_TEST_CHROMIUM", "/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PASSWORD = demo.PASSWORD


@dataclass
class LiveServer:
    url: str
    engine: object
    processor: SimulatedProcessor
    settings: Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'settle.db'}"
    engine = db.create_engine(url)
    db.upgrade(engine)
    clock = SystemClock()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    processor = SimulatedProcessor(
        f"sqlite:///{folder / 'processor.db'}", clock, challenge_base_url=f"{base}/processor"
    )
    with UnitOfWork(engine) as uow:
        demo.load(uow, clock, processor)
    settings = settings_for_tests(database_url=url, base_url=base, reconcile_every_seconds=0)
    app = create_app(settings, engine, processor, clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    yield LiveServer(base, engine, processor, settings)
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run .ci/run, or apt-get install chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    launched = playwright_session.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    opened.set_default_timeout(10_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, server: LiveServer, email: str, *, labels: tuple[str, str, str] | None = None) -> None:
    """Sign in through the form, as a person does (labels: e-mail, password and button, in the page's language)."""
    email_label, password_label, button = labels or ("E-mail address", "Password", "Sign in")
    page.goto(f"{server.url}/")
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r".*/$"))


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A picture of the page under test-results/screenshots (kept by CI as an artifact)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path
