"""The fault suite's shared pieces: a private PostgreSQL cluster for the whole run, a directory for the
processes' logs, and one summary line per item at the end of the run (whatever pytest's -s says)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.harness import SUMMARY, SUMMARY_PROPERTY, PrivatePostgres


@pytest.fixture(scope="session")
def cluster() -> Iterator[PrivatePostgres]:
    """PostgreSQL of the suite's own: the tests fill its connections and crash its clients freely."""
    postgres = PrivatePostgres()
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.destroy()


@pytest.fixture
def logs(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Where a test's processes write; kept (and named in the failure) only when the test failed."""
    directory = Path(tempfile.mkdtemp(prefix=f"settle-faults-{request.node.name[:40]}-"))
    yield directory
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"\nprocess logs kept in {directory}")
    else:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    # The item's summary lines travel with its report: under pytest-xdist they were written in a worker.
    report.user_properties.extend((SUMMARY_PROPERTY, line) for line in SUMMARY)
    SUMMARY.clear()
    return report
