"""The API fuzzed with positive (schema-valid) requests: see fuzz_api.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from schemathesis import GenerationMode

from tests.faults.fuzz_api import Fuzzed, check_enough_requests, check_every_operation, serve_for_fuzzing
from tests.faults.harness import PrivatePostgres


@pytest.fixture(scope="module")
def fuzzed(cluster: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    yield from serve_for_fuzzing(cluster, tmp_path_factory, GenerationMode.POSITIVE)


def test_every_positive_request_gets_an_answer_the_document_describes(fuzzed: Fuzzed) -> None:
    check_every_operation(fuzzed)


def test_the_fuzzer_sent_enough_positive_requests(fuzzed: Fuzzed) -> None:
    check_enough_requests(fuzzed)
