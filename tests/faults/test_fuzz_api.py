"""Item 5, the API fuzzed: schemathesis generates requests for every operation of /openapi.json, valid
and invalid ones, sent as the demo's billing account owner. No answer may be a 5xx, and every answer
must match the document: its status, content type, headers and body schema."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
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

EXAMPLES = scaled(64, 640)  # per operation and generation mode: 41 operations × 2 × 64 ≥ 5,000 requests
MINIMUM = scaled(5_000, 50_000)
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
seen: Counter[str] = Counter()
failures: list[str] = []


@dataclass(frozen=True)
class Fuzzed:
    url: str  # a `settle serve` of its own: the fuzzer and the server each have a core
    headers: dict[str, str]


@pytest.fixture(scope="module")
def fuzzed(cluster: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """The API on the demo data, on PostgreSQL (which refuses more than SQLite: a NUL, too long a text)."""
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
            yield Fuzzed(server.url, api.headers(ADMIN))
    finally:
        client_log.setLevel(level)
    summarise(
        "fuzz-api",
        trials=_requests(),
        faults=seen[str(GenerationMode.NEGATIVE)],
        violations=len(failures),
        answers_2xx=seen["2xx"],
        answers_4xx=seen["4xx"],
        answers_5xx=seen["5xx"],
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_generated_request_gets_an_answer_the_document_describes(fuzzed: Fuzzed, mode: GenerationMode) -> None:
    schema = from_url(f"{fuzzed.url}/openapi.json")
    with requests.Session() as session:
        for found in schema.get_all_operations():
            failures.extend(_fuzz(found.ok(), mode, fuzzed, session))
    assert not failures, "\n".join(failures[:5])


def _fuzz(operation: APIOperation, mode: GenerationMode, fuzzed: Fuzzed, session: requests.Session) -> list[str]:
    """Send EXAMPLES generated requests to one operation: the first answer that breaks a check, if any."""
    broken: list[str] = []

    @given(case=_cases(operation, mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def send(case: schemathesis.Case) -> None:
        response = case.call(base_url=fuzzed.url, session=session, headers=fuzzed.headers)
        seen[f"{response.status_code // 100}xx"] += 1
        seen[str(mode)] += 1
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


def _requests() -> int:
    return seen[str(GenerationMode.POSITIVE)] + seen[str(GenerationMode.NEGATIVE)]


def test_the_fuzzer_sent_enough_requests() -> None:
    assert _requests() >= MINIMUM, dict(seen)
