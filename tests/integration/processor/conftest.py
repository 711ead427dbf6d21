"""The simulated processor on its own database: a SQLite file per test, and a PostgreSQL database of
its own for the run (created and dropped here) when SETTLE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from settle import db
from settle.clock import FixedClock
from settle.processor import store
from settle.processor.simulated import SimulatedProcessor

POSTGRES_URL = os.environ.get("SETTLE_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def processor_postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database for the processor alone, dropped after the run."""
    if not POSTGRES_URL:
        pytest.skip("SETTLE_TEST_POSTGRES_URL is not set")
    name = f"settle_processor_test_{uuid.uuid4().hex[:12]}"
    admin = db.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def processor_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database without the processor's tables (the processor creates them on start)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'processor.db'}"
    url: str = request.getfixturevalue("processor_postgres_database")
    engine = db.create_engine(url)
    store.metadata.drop_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def processor(processor_url: str, clock: FixedClock) -> Iterator[SimulatedProcessor]:
    created = SimulatedProcessor(processor_url, clock)
    yield created
    created.close()
