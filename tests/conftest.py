"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL when SETTLE_TEST_POSTGRES_URL is set.

Each test run gets its own PostgreSQL database (dropped at the end); each test starts from empty
tables. In CI the PostgreSQL URL must be set: the PostgreSQL tests run there, never skip."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from settle import db
from settle.clock import FixedClock
from tests.card_numbers import card_numbers_in, card_numbers_in_database, card_numbers_in_sqlite_files
from tests.configured import use_cheapest_hashing
from tests.faults.harness import SUMMARY_PROPERTY
from tests.snapshots import empty_tables

POSTGRES_URL = os.environ.get("SETTLE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_configure(config: pytest.Config) -> None:
    use_cheapest_hashing()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # each worker of pytest-xdist logs to a file of its own, scanned by that worker at its end
        config.option.log_file = f"test-results/pytest-{worker}.log"
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError("CI must set SETTLE_TEST_POSTGRES_URL: the PostgreSQL tests may not be skipped there")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.create_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    if not POSTGRES_URL:
        pytest.skip("SETTLE_TEST_POSTGRES_URL is not set")
    name = f"settle_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = db.create_engine(url)
    db.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def no_card_numbers_left_behind(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """After the whole suite (or a worker's share of it): no full card number in any of Settle's SQLite
    files or the test log."""
    yield
    leaked = card_numbers_in_sqlite_files(tmp_path_factory.getbasetemp())
    log = Path(request.config.option.log_file or request.config.getini("log_file"))
    if log.exists() and card_numbers_in(log.read_text(errors="replace")):
        leaked[str(log)] = card_numbers_in(log.read_text(errors="replace"))
    assert not leaked, f"full card numbers found where they must never be: {leaked}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "settle.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    engine = db.create_engine(url)
    empty_tables(engine)
    yield url
    leaked = card_numbers_in_database(engine)  # checked before the next test empties the tables
    engine.dispose()
    assert not leaked, f"full card numbers in Settle's PostgreSQL tables: {leaked}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    created = db.create_engine(database_url)
    yield created
    created.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 15, 12, 0, tzinfo=UTC))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on PostgreSQL, so a CI log shows they ran rather than skipped, and what the
    fault suite found."""
    passed = [report for report in terminalreporter.stats.get("passed", []) if "[postgresql" in report.nodeid]
    skipped = [report for report in terminalreporter.stats.get("skipped", []) if "[postgresql" in report.nodeid]
    terminalreporter.write_line(f"PostgreSQL tests: {len(passed)} passed, {len(skipped)} skipped")
    # The fault suite's one line per item (tests/faults/conftest.py), carried by the reports: under
    # pytest-xdist they were written in a worker, and this process never loads tests/faults/conftest.py.
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, line in getattr(report, "user_properties", ()):
                if name == SUMMARY_PROPERTY:
                    terminalreporter.write_line(line)
