"""Item 5, the API fuzzed: schemathesis generates requests for every operation of /openapi.json, valid
and invalid ones, sent as the demo's billing account owner. No answer may be a 5xx, and every answer
must match the document: its status, content type, headers and body schema.

The valid and the invalid requests are two test files (test_fuzz_api_positive.py, _negative.py), each
with its server, so that under pytest-xdist they run on two workers at once (together they were the
longest file of the suite); this module is what they share."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi import from_url
from schemathesis.schemas import APIOperation

from settle import db, demo
from settle.clock import FixedClock
from tests.faults.harness import PrivatePostgres, running, scaled, settle_server, summarise
from tests.web.api.conftest import ADMIN, DUE_NOW, build_api

EXAMPLES = scaled(64, 640)  # per operation and generation mode: 41 operations × 64 ≥ 2,500 requests a mode
MINIMUM = scaled(2_500, 25_000)  # a mode
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
REAL = {
    "billingAccountName": demo.CONTOSO,
    "billingProfileName": demo.CONTOSO_BILLING,
    "invoiceName": DUE_NOW,
}


@dataclass
class Fuzzed:
    url: str  # a `settle serve` of its own: the fuzzer and the server each have a core
    headers: dict[str, str]
    mode: GenerationMode
    seen: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def serve_for_fuzzing(
    cluster: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory, mode: GenerationMode
) -> Iterator[Fuzzed]:
    """The API on the demo data, on PostgreSQL (which refuses more than SQLite: a NUL, too long a text);
    a module's fixture, summarised when the module is done."""
    directory = tmp_path_factory.mktemp("fuzz")
    url = cluster.create_database()
    engine = db.create_engine(url)
    api = build_api(engine, url, FixedClock(datetime(2026, 3, 15, 12, 0, tzinfo=UTC)), directory)
    api.processor.close()
    engine.dispose()
    ledger = f"sqlite:///{directory / 'processor.db'}"  # the demo's cards, tokenised by the built-in processor
    server = settle_server("settle", url, "", directory, SETTLE_PROCESSOR_DATABASE_URL=ledger)
    client_log = logging.getLogger("urllib3")
    level = client_log.level
    # The fuzzer's own request lines are not Settle's log: thousands of them, with random digits that can
    # pass for a card number in the suite's check of test-results/pytest.log.
    client_log.setLevel(logging.INFO)
    try:
        with running(server):
            fuzzed = Fuzzed(server.url, api.headers(ADMIN), mode)
            yield fuzzed
    finally:
        client_log.setLevel(level)
    summarise(
        f"fuzz-api-{mode}",
        trials=fuzzed.seen[str(mode)],
        faults=fuzzed.seen[str(GenerationMode.NEGATIVE)],
        violations=len(fuzzed.failures),
        answers_2xx=fuzzed.seen["2xx"],
        answers_4xx=fuzzed.seen["4xx"],
        answers_5xx=fuzzed.seen["5xx"],
    )


def check_every_operation(fuzzed: Fuzzed) -> None:
    """Every generated request of the mode gets an answer the document describes."""
    schema = from_url(f"{fuzzed.url}/openapi.json")
    with requests.Session() as session:
        for found in schema.get_all_operations():
            fuzzed.failures.extend(_fuzz(found.ok(), fuzzed.mode, fuzzed, session))
    assert not fuzzed.failures, "\n".join(fuzzed.failures[:5])


def check_enough_requests(fuzzed: Fuzzed) -> None:
    assert fuzzed.seen[str(fuzzed.mode)] >= MINIMUM, dict(fuzzed.seen)


def _fuzz(operation: APIOperation, mode: GenerationMode, fuzzed: Fuzzed, session: requests.Session) -> list[str]:
    """Send EXAMPLES generated requests to one operation: the first answer that breaks a check, if any."""
    broken: list[str] = []

    @given(case=_cases(operation, mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def send(case: schemathesis.Case) -> None:
        response = case.call(base_url=fuzzed.url, session=session, headers=fuzzed.headers)
        fuzzed.seen[f"{response.status_code // 100}xx"] += 1
        fuzzed.seen[str(mode)] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=fuzzed.headers)
        except FailureGroup as failure:
            if not broken:  # the first of each operation is enough to go on
                broken.append(f"{operation.label} ({mode}): {failure}")

    send()
    return broken


def _cases(operation: APIOperation, mode: GenerationMode) -> st.SearchStrategy[schemathesis.Case]:
    """Made-up names (mostly 404s) and, as often, the names of the demo's real resources, so that the
    requests reach the code behind the lookups too."""
    names = {name: REAL[name] for name in re.findall(r"{(\w+)}", operation.path) if name in REAL}
    made_up = operation.as_strategy(generation_mode=mode)
    return st.one_of(made_up, operation.as_strategy(generation_mode=mode, path_parameters=names)) if names else made_up
