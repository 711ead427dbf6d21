"""`settle serve --port N` without SETTLE_BASE_URL builds its links (the 3-D Secure return, invitations,
e-mails) on the port it serves, not on 8000; with a SETTLE_BASE_URL that leads elsewhere it says so at
start, and keeps building links on it (issue 18 item 10)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from settle import demo
from tests.web.test_graceful_shutdown import _free_port, _settle, _wait_for

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _environment(tmp_path: Path) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    env = {
        **base,
        "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}",
        "SETTLE_SECRET_KEY": "serve-base-url-secret-key",
        "SETTLE_RECONCILE_EVERY_SECONDS": "0",
        "SETTLE_LOG_FORMAT": "text",
    }
    for command in (["db", "upgrade"], ["demo"]):
        assert (
            subprocess.run([sys.executable, "-m", "settle.cli", *command], env=env, capture_output=True).returncode == 0
        )
    return env


def _invitation_link(url: str) -> str:
    """The one-time link the IAM blade shows for an address without a user: built on the base URL."""
    with httpx.Client(base_url=url) as client:
        csrf = CSRF.search(client.get("/signin").text)
        assert csrf
        form = {"email": "admin@contoso.example", "password": demo.PASSWORD, "next": "/", "csrf_token": csrf.group(1)}
        assert client.post("/signin", data=form).status_code in (200, 303)
        page = client.get("/billing/access").text
        csrf = CSRF.search(page)
        assert csrf
        added = client.post(
            "/billing/access/add",
            data={"csrf_token": csrf.group(1), "email": "new@contoso.example", "role": "billing_account_reader"},
        )
    link = re.search(r'value="(http[^"]+)/invitations/', added.text)
    assert link, added.text[:500]
    return link.group(1)


def test_links_lead_to_the_port_served_when_no_base_url_is_set(tmp_path: Path) -> None:
    env, port = _environment(tmp_path), _free_port()
    server = _settle(env, "serve", "--port", str(port), log=tmp_path / "s.log")
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        assert _invitation_link(f"http://127.0.0.1:{port}") == f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Warning" not in (tmp_path / "s.log").read_text()


def test_a_base_url_elsewhere_is_warned_about_at_start_and_still_used(tmp_path: Path) -> None:
    env, port = _environment(tmp_path), _free_port()
    env["SETTLE_BASE_URL"] = "http://127.0.0.1:8000"
    server = _settle(env, "serve", "--port", str(port), log=tmp_path / "s.log")
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        assert _invitation_link(f"http://127.0.0.1:{port}") == "http://127.0.0.1:8000"
    finally:
        server.terminate()
        server.wait(timeout=30)
    said = " ".join((tmp_path / "s.log").read_text().split())
    assert (
        f"Warning: SETTLE_BASE_URL is http://127.0.0.1:8000, but this server listens on http://127.0.0.1:{port}" in said
    )
