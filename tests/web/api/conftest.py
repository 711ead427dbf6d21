"""The API on the demo data: the app with the API router mounted, a token per demo user, an ASGI client,
and (for concurrency and the Azure SDK) the same app served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from settle import demo
from settle.access.api_tokens import create_api_token
from settle.clock import FixedClock, today
from settle.invoices.model import Invoice
from settle.payments.model import PaymentMethod
from settle.payments.service import save_card
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.apps import app_for
from tests.configured import settings_for_tests
from tests.snapshots import Snapshot

API_VERSION = "2024-04-01"
ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"
CONTOSO = f"{ACCOUNTS}/{demo.CONTOSO}"
CONTOSO_BILLING = f"{CONTOSO}/billingProfiles/{demo.CONTOSO_BILLING}"
FABRIKAM = f"{ACCOUNTS}/{demo.FABRIKAM}"
ADMIN, READER, INVOICES, FABRIKAM_ADMIN = (user.email for user in demo.USERS)
DUE_NOW = "G000100023"  # Contoso Billing's invoice of this month: Due
PARTLY_PAID = "G000100022"  # last month's: half paid by bank transfer, now past its due date
VOIDED = "G000100020"
FABRIKAM_DUE = "G000300011"


@dataclass
class Api:
    """The demo data behind the API, an ASGI client for it, and each demo user's API token."""

    app: FastAPI
    client: TestClient
    engine: Engine
    clock: FixedClock
    processor: SimulatedProcessor
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str | None, **extra: str) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return {**auth, **extra}

    def get(self, path: str, user: str | None = ADMIN, **params: Any) -> httpx.Response:
        return self.client.get(path, params={"api-version": API_VERSION, **params}, headers=self.headers(user))

    def post(
        self, path: str, body: Any, user: str | None = ADMIN, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        query = {"api-version": API_VERSION}
        return self.client.post(path, params=query, json=body, headers={**self.headers(user), **(headers or {})})

    def delete(self, path: str, user: str | None = ADMIN) -> httpx.Response:
        return self.client.delete(path, params={"api-version": API_VERSION}, headers=self.headers(user))

    def invoice(self, number: str) -> Invoice:
        with UnitOfWork(self.engine, write=False) as uow:
            return uow.invoices.get(number)

    def user_id(self, email: str) -> str:
        with UnitOfWork(self.engine, write=False) as uow:
            return uow.users.get_by_email(email).id

    def add_card(self, number: str, profile: str = demo.CONTOSO_BILLING, owner: str = ADMIN) -> PaymentMethod:
        token = self.processor.tokenize(number, 12, today(self.clock).year + 2, "123", "Card Holder")
        with UnitOfWork(self.engine) as uow:
            return save_card(uow, self.clock, owner_id=self.user_id(owner), token=token, linked_to=[profile])


@dataclass(frozen=True)
class DemoWorld:
    """The demo data as `demo.load` made it once: Settle's rows and the processor's ledger (its saved card)."""

    rows: Snapshot
    ledger: Path


@pytest.fixture(scope="session")
def demo_worlds() -> dict[tuple[str, datetime], DemoWorld]:
    """Built once per backend and clock, the first time a test asks (see `build_api`)."""
    return {}


def _demo_world(engine: Engine, clock: FixedClock, ledger: Path) -> DemoWorld:
    """Load the demo into this (empty) database, and keep a copy of it for the tests that follow."""
    processor = SimulatedProcessor(f"sqlite:///{ledger}", clock)
    with UnitOfWork(engine) as uow:
        demo.load(uow, clock, processor)
    processor.close()
    return DemoWorld(Snapshot.of(engine), ledger)


def build_api(
    engine: Engine,
    database_url: str,
    clock: FixedClock,
    tmp_path: Path,
    worlds: dict[tuple[str, datetime], DemoWorld] | None = None,
) -> Api:
    """The demo data in this test's empty database (copied from `worlds` when it was built before) and the app."""
    worlds = {} if worlds is None else worlds
    key = (engine.dialect.name, clock.now())
    if key in worlds:
        worlds[key].rows.restore(engine)
    else:
        worlds[key] = _demo_world(engine, clock, tmp_path / "demo-processor.db")
    shutil.copy(worlds[key].ledger, tmp_path / "processor.db")
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    settings = settings_for_tests(database_url=database_url, reconcile_every_seconds=0)
    app = app_for(settings, engine, processor, clock)
    api = Api(app, TestClient(app), engine, clock, processor)
    with UnitOfWork(engine) as uow:
        for person in demo.USERS:
            user = uow.users.get_by_email(person.email)
            api.tokens[person.email], _ = create_api_token(uow, clock, user.id, "tests")
    return api


@pytest.fixture
def api(
    engine: Engine,
    database_url: str,
    clock: FixedClock,
    tmp_path: Path,
    demo_worlds: dict[tuple[str, datetime], DemoWorld],
) -> Iterator[Api]:
    built = build_api(engine, database_url, clock, tmp_path, demo_worlds)
    yield built
    built.processor.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(api: Api) -> Iterator[str]:
    """The API's app served by uvicorn on 127.0.0.1 in a thread; yields its base URL, which is also the
    app's SETTLE_BASE_URL (the links it hands out are built from that)."""
    port = _free_port()
    api.app.state.settings = replace(api.app.state.settings, base_url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(api.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=20)
