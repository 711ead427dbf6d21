"""`settle serve --port N` builds its links on the address it serves unless SETTLE_BASE_URL says otherwise,
and knows when a configured SETTLE_BASE_URL does not lead to it (issue 18 item 10)."""

from __future__ import annotations

import pytest

from settle.config import base_url_reaches, served_base_url


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 9000, "http://127.0.0.1:9000"),
        ("0.0.0.0", 8080, "http://localhost:8080"),
        ("::1", 9000, "http://[::1]:9000"),
        ("billing.internal", 8000, "http://billing.internal:8000"),
    ],
)
def test_the_default_base_url_is_the_address_served(host: str, port: int, expected: str) -> None:
    assert served_base_url(host, port) == expected


@pytest.mark.parametrize(
    ("base_url", "host", "port", "reaches"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1", 9000, False),  # the hanging Pay now of the issue
        ("http://127.0.0.1:9000", "127.0.0.1", 9000, True),
        ("http://localhost:9000", "127.0.0.1", 9000, True),
        ("http://billing.example:9000", "0.0.0.0", 9000, True),
        ("https://billing.example", "127.0.0.1", 8000, False),  # a proxy, perhaps: worth a warning
        ("http://other.example:9000", "127.0.0.1", 9000, False),
        ("http://127.0.0.1:notaport", "127.0.0.1", 9000, False),
    ],
)
def test_a_base_url_reaches_the_server_only_on_its_host_and_port(
    base_url: str, host: str, port: int, reaches: bool
) -> None:
    assert base_url_reaches(base_url, host, port) is reaches
