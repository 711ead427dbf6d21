"""`settle operators add|remove|list`: operator rights by explicit grant to an existing user, audited;
SETTLE_OPERATORS (rights by e-mail address alone) is refused, not silently ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settle import db
from settle.uow import UnitOfWork


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
