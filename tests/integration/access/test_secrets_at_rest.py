"""The database keeps no session, token or invitation secret in clear: only their hashes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settle.access.api_tokens import create_api_token
from settle.access.credentials import hash_secret
from settle.access.model import Role, Scope
from settle.access.roles import invite
from settle.access.sign_in import sign_in
from settle.clock import FixedClock
from settle.schema import metadata
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD, make_world


def _everything_stored(engine: Engine) -> str:
    with engine.connect() as connection:
        return "\n".join(
            str(tuple(row)) for table in metadata.sorted_tables for row in connection.execute(sa.select(table))
        )


def test_no_secret_is_stored_in_clear_only_its_hash(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    with UnitOfWork(engine) as uow:
        session_secret, _ = sign_in(uow, clock, world.owner.email, PASSWORD, "203.0.113.1", "test")
        token_secret, _ = create_api_token(uow, clock, world.owner.id, "ci")
        invited = invite(
            uow, clock, world.owner.id, "new@example.com", Role.BILLING_ACCOUNT_READER, Scope(world.account.id)
        )

    stored = _everything_stored(engine)

    for secret in (session_secret, token_secret, invited.secret):
        assert secret not in stored
        assert secret[8:24] not in stored  # not even a part beyond the display prefix
        assert hash_secret(secret) in stored
    assert PASSWORD not in stored
