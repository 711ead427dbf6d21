"""`settle operators add|remove|list`: operator rights by explicit grant to an existing user, audited;
SETTLE_OPERATORS (rights by e-mail address alone) is refused, not silently ignored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from settle import db
from settle.clock import SystemClock
from settle.notify.sender import run_mail
from settle.uow import UnitOfWork
from settle.web.app import create_app
from tests.configured import settings_for_tests
from tests.integration.notify.smtp_server import smtp_server


def _settle(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "settle.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    values |= {"SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}", "SETTLE_SECRET_KEY": "cli-operators"}
    assert _settle(values, "db", "upgrade").returncode == 0
    return values


def test_operators_are_granted_to_existing_users_listed_removed_and_audited(env: dict[str, str]) -> None:
    unknown = _settle(env, "operators", "add", "ops@provider.example")
    assert unknown.returncode == 1 and "was not found" in unknown.stderr and "Traceback" not in unknown.stderr
    added = _settle(env, "users", "add", "ops@provider.example", "--name", "Ops", "--password", "a long password here")
    assert added.returncode == 0, added.stderr
    granted = _settle(env, "operators", "add", "OPS@provider.example")
    assert granted.returncode == 0 and "ops@provider.example is now an operator" in granted.stdout
    again = _settle(env, "operators", "add", "ops@provider.example")
    assert again.returncode == 1 and "already an operator" in again.stderr
    listed = _settle(env, "operators", "list")
    assert "ops@provider.example" in listed.stdout and "Ops" in listed.stdout
    removed = _settle(env, "operators", "remove", "ops@provider.example")
    assert removed.returncode == 0 and "no longer an operator" in removed.stdout
    assert "No operators." in _settle(env, "operators", "list").stdout
    assert _settle(env, "operators", "remove", "ops@provider.example").returncode == 1
    engine = db.create_engine(env["SETTLE_DATABASE_URL"])
    with UnitOfWork(engine, write=False) as uow:
        user = uow.users.get_by_email("ops@provider.example")
        actions = [event.action for event in uow.audit.list(f"users/{user.id}")]
    engine.dispose()
    assert sorted(action for action in actions if action.startswith("operator.")) == [
        "operator.granted",
        "operator.revoked",
    ]


def test_settle_operators_in_the_environment_is_refused_not_ignored(env: dict[str, str]) -> None:
    answer = _settle({**env, "SETTLE_OPERATORS": "ops@provider.example"}, "operators", "list")
    assert answer.returncode == 1 and "settle operators add" in answer.stderr and "Traceback" not in answer.stderr


def test_a_user_who_has_not_proved_the_address_is_not_made_an_operator(env: dict[str, str]) -> None:
    """A stranger signs up with the address the provider's new operator will have; the provider, meaning
    their colleague, runs `settle operators add`. Refused until the address is proved by its mail."""
    engine = db.create_engine(env["SETTLE_DATABASE_URL"])
    settings = settings_for_tests(database_url=env["SETTLE_DATABASE_URL"], secret_key=env["SETTLE_SECRET_KEY"])
    browser = TestClient(create_app(settings, engine))
    form = {
        "email": "ops@provider.example", "name": "Ops?", "password": "a long password here", "company": "Impostor",
        "currency": "EUR", "country": "NL", "csrf_token": _csrf(browser, "/signup"),
    }  # fmt: skip
    assert browser.post("/signup", data=form).status_code == 200

    refused = _settle(env, "operators", "add", "ops@provider.example")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "has not verified their e-mail address yet" in refused.stderr
    assert "No operators." in _settle(env, "operators", "list").stdout
    with UnitOfWork(engine, write=False) as uow:
        user = uow.users.get_by_email("ops@provider.example")
        assert not uow.operators.is_operator(user.id)
        assert "operator.granted" not in [event.action for event in uow.audit.list(f"users/{user.id}")]

    with smtp_server() as (inbox, port):
        run_mail(engine, SystemClock(), replace(settings, smtp_url=f"smtp://127.0.0.1:{port}"))
    [message] = inbox.to("ops@provider.example")
    text = message.get_body(("plain",))
    assert text is not None
    link = re.search(r"/verify-email/[A-Za-z0-9_-]{43}", str(text.get_content()))  # type: ignore[attr-defined]
    assert link
    assert browser.post(link.group(0), data={"csrf_token": _csrf(browser, link.group(0))}).status_code == 200
    granted = _settle(env, "operators", "add", "ops@provider.example")
    assert granted.returncode == 0, granted.stderr
    engine.dispose()


def _csrf(browser: TestClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(path).text)
    assert match
    return match.group(1)
