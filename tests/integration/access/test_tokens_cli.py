"""`settle tokens create|list|revoke`: the secret printed once, a list without secrets, revocation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from settle.access.api_tokens import authenticate_token
from settle.clock import FixedClock, SystemClock
from settle.commands.tokens import tokens_app
from settle.uow import UnitOfWork
from tests.integration.factories import make_world


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SETTLE_DATABASE_URL", database_url)
    monkeypatch.setenv("SETTLE_SECRET_KEY", "test-secret-key")
    return CliRunner()


def test_create_prints_the_secret_once_list_hides_it_and_revoke_ends_it(
    engine: Engine, clock: FixedClock, runner: CliRunner
) -> None:
    owner = make_world(engine, clock).owner

    created = runner.invoke(tokens_app, ["create", owner.email, "--name", "deploy", "--expires", "30d"])
    assert created.exit_code == 0, created.output
    secret = re.search(r"stl_[A-Za-z0-9_-]{40}", created.stdout).group()  # type: ignore[union-attr]
    assert "will not be shown again" in created.output
    with UnitOfWork(engine) as uow:
        assert authenticate_token(uow, SystemClock(), secret) == owner
        token = uow.api_tokens.for_user(owner.id)[0]

    listed = runner.invoke(tokens_app, ["list", owner.email])
    assert listed.exit_code == 0, listed.output
    assert token.id in listed.stdout and secret[:8] in listed.stdout and secret not in listed.stdout

    revoked = runner.invoke(tokens_app, ["revoke", token.id])
    assert revoked.exit_code == 0, revoked.output
    with UnitOfWork(engine) as uow:
        assert authenticate_token(uow, SystemClock(), secret) is None
