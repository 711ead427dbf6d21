"""What every answer tells, and to whom: /metrics only to the scraper holding its token; no Server-Timing
unless asked for; HSTS over HTTPS; nothing for one person kept in a cache; and a 500 as hardened as any
other answer."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from settle import demo
from settle.web.app import create_app
from tests.configured import settings_for_tests
from tests.web.api.conftest import ADMIN, CONTOSO, Api

TOKEN = "metrics-scraper-token-0123456789"


def test_metrics_answer_only_the_scraper_with_the_configured_token(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 404  # no token configured: no such page
    api.app.state.settings = replace(api.app.state.settings, metrics_token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, api.headers(ADMIN), {"Authorization": TOKEN}):
        refused = api.client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and "settle_payments" not in refused.text
    scraped = api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and "settle_payments_in_flight" in scraped.text


def test_server_timing_is_sent_only_when_a_setting_asks_for_it(api: Api) -> None:
    path = f"{CONTOSO}/invoices/G000100020"
    assert "server-timing" not in api.get(path).headers
    assert "server-timing" not in api.get(f"{CONTOSO}/invoices/G999999999").headers  # unknown id: no timing either
    # The setting is read when the app is built: a second app, as the portal benchmark builds it.
    timed = create_app(
        settings_for_tests(database_url=str(api.engine.url), server_timing=True, reconcile_every_seconds=0),
        api.engine,
        api.processor,
        api.clock,
    )
    answer = TestClient(timed).get("/healthz")
    assert answer.headers["server-timing"].startswith("app;dur=")


def test_answers_over_https_carry_hsts_and_plain_http_does_not(api: Api) -> None:
    secure = TestClient(api.app, base_url="https://billing.example")
    assert secure.get("/healthz").headers["strict-transport-security"].startswith("max-age=63072000")
    assert "strict-transport-security" not in api.client.get("/healthz").headers


def test_nothing_for_one_person_is_stored_in_a_cache(api: Api) -> None:
    assert api.get(f"{CONTOSO}/invoices").headers["cache-control"] == "no-store"  # an API caller's data
    browser = TestClient(api.app)
    csrf = browser.get("/signin").text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"email": ADMIN, "password": demo.PASSWORD, "next": "/", "csrf_token": csrf}
    assert browser.post("/signin", data=form, follow_redirects=False).status_code == 303
    assert browser.get("/settings/tokens").headers["cache-control"] == "no-store"  # where a new token's secret is shown
    assert browser.get("/billing/invoices").headers["cache-control"] == "no-store"
    assert "no-store" not in browser.get("/static/portal.css").headers.get("cache-control", "")


@pytest.mark.parametrize("path", ["/boom", f"{CONTOSO}/boom"])
def test_a_500_carries_the_security_headers_and_says_nothing_of_the_failure(api: Api, path: str) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    api.app.add_api_route(path, broken)
    try:
        answer = TestClient(api.app, raise_server_exceptions=False).get(path, headers={"Accept-Language": "nl"})
    finally:
        api.app.router.routes.pop()
    assert answer.status_code == 500 and "secret internals" not in answer.text
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    if path.startswith("/providers/"):
        assert answer.json()["error"]["code"] == "InternalServerError"


def test_the_request_log_keeps_no_secret_of_a_path_or_a_query(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    invitation = "inv-" + "S3cretInvitationSecret" * 2
    challenge = "chl_" + "Th3ChallengeLinksSecret" * 2
    with caplog.at_level(logging.INFO, logger="settle.request"):
        api.client.get(f"/invitations/{invitation}")
        api.client.get(f"/processor/challenge/{challenge}", params={"return_url": "x"})
        api.client.get(f"/no/such/{invitation}/page", params={"token": "query-secret-value"})
    logged = [record for record in caplog.records if record.name == "settle.request"]  # not the test client's
    lines = [record.getMessage() + json.dumps(record.__dict__, default=str) for record in logged]
    text = "\n".join(lines)
    assert invitation not in text and challenge not in text and "query-secret-value" not in text
    assert "/invitations/{secret}" in text and "/processor/challenge/{challenge}" in text and "/no/such/…/page" in text
