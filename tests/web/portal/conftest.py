"""A portal to click through: the app on the test's database, a browser-like client, a known user."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.processor.simulated import SimulatedProcessor
from tests.apps import app_for
from tests.configured import settings_for_tests
from tests.integration.factories import PASSWORD, World, make_world
from tests.integration.notify.smtp_server import Inbox, smtp_server

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Portal:
    client: TestClient
    world: World
    clock: FixedClock
    engine: Engine

    def csrf(self, path: str = "/signin") -> str:
        match = CSRF.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, email: str | None = None, password: str = PASSWORD, next: str = "/"):  # type: ignore[no-untyped-def]
        data = {"email": email or self.world.owner.email, "password": password, "next": next, "csrf_token": self.csrf()}
        return self.client.post("/signin", data=data, follow_redirects=False)


def make_portal(engine: Engine, database_url: str, clock: FixedClock, tmp_path: Path, **settings: object) -> Portal:
    config = settings_for_tests(database_url=database_url, **settings)
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    app = app_for(config, engine, processor, clock)
    return Portal(TestClient(app), make_world(engine, clock), clock, engine)


@pytest.fixture
def portal(engine: Engine, database_url: str, clock: FixedClock, tmp_path: Path) -> Portal:
    return make_portal(engine, database_url, clock, tmp_path, reconcile_every_seconds=0)


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, str]]:
    """A real SMTP server on 127.0.0.1: what it received, and its URL for SETTLE_SMTP_URL."""
    with smtp_server() as (inbox, port):
        yield inbox, f"smtp://127.0.0.1:{port}"
