"""Personal access tokens: shown once, stored hashed, revocable, expiring, acting as their user exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from settle.access.api_tokens import authenticate_token, create_api_token, list_api_tokens, revoke_api_token
from settle.access.model import Role, Scope
from settle.access.service import billing_permissions
from settle.access.tokens import ApiToken, ApiTokenNotFound, TokenExpiryInPast
from settle.accounts.model import User
from settle.clock import FixedClock
from settle.uow import UnitOfWork
from tests.integration.access.people import add_person
from tests.integration.factories import make_world


def _create(engine: Engine, clock: FixedClock, user: User, **kwargs: object) -> tuple[str, ApiToken]:
    with UnitOfWork(engine) as uow:
        return create_api_token(uow, clock, user.id, "deploy bot", **kwargs)  # type: ignore[arg-type]


def _authenticate(engine: Engine, clock: FixedClock, secret: str) -> User | None:
    with UnitOfWork(engine) as uow:
        return authenticate_token(uow, clock, secret)


def test_a_new_token_authenticates_as_its_user(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner

    secret, token = _create(engine, clock, owner)

    assert secret.startswith("stl_") and len(secret) == 44
    assert token.prefix == secret[:8]
    assert _authenticate(engine, clock, secret) == owner


def test_a_revoked_token_no_longer_authenticates(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    secret, token = _create(engine, clock, owner)

    with UnitOfWork(engine) as uow:
        revoked = revoke_api_token(uow, clock, owner.id, token.id)

    assert revoked.revoked_at == clock.now()
    assert _authenticate(engine, clock, secret) is None
    with UnitOfWork(engine, write=False) as uow:
        assert uow.audit.list(resource=f"users/{owner.id}/apiTokens/{token.id}")[0].action == "api_token.revoked"


def test_an_expired_token_no_longer_authenticates(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    secret, _ = _create(engine, clock, owner, expires_at=clock.now() + timedelta(days=90))

    clock.advance(timedelta(days=90) - timedelta(seconds=1))
    assert _authenticate(engine, clock, secret) == owner
    clock.advance(timedelta(seconds=1))

    assert _authenticate(engine, clock, secret) is None


def test_a_token_cannot_be_made_already_expired(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner

    with pytest.raises(TokenExpiryInPast):
        _create(engine, clock, owner, expires_at=clock.now())


@pytest.mark.parametrize("secret", ["", "stl_" + "x" * 40, "not a token"])
def test_unknown_or_malformed_tokens_do_not_authenticate(engine: Engine, clock: FixedClock, secret: str) -> None:
    _create(engine, clock, make_world(engine, clock).owner)

    assert _authenticate(engine, clock, secret) is None


def test_only_the_owner_may_revoke_a_token_and_to_anyone_else_it_does_not_exist(
    engine: Engine, clock: FixedClock
) -> None:
    owner, other = make_world(engine, clock).owner, add_person(engine, clock)
    secret, token = _create(engine, clock, owner)

    with pytest.raises(ApiTokenNotFound), UnitOfWork(engine) as uow:
        revoke_api_token(uow, clock, other.id, token.id)

    assert _authenticate(engine, clock, secret) == owner


def test_the_operator_may_revoke_any_token(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    secret, token = _create(engine, clock, owner)

    with UnitOfWork(engine) as uow:
        revoke_api_token(uow, clock, None, token.id)

    assert _authenticate(engine, clock, secret) is None


def test_a_user_lists_their_tokens_with_status_but_no_secret(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    _, first = _create(engine, clock, owner)
    clock.advance(timedelta(seconds=1))
    _, second = _create(engine, clock, owner)
    with UnitOfWork(engine) as uow:
        revoke_api_token(uow, clock, owner.id, first.id)

    with UnitOfWork(engine, write=False) as uow:
        tokens = list_api_tokens(uow, owner.id)

    assert [(t.id, t.status(clock.now())) for t in tokens] == [(first.id, "revoked"), (second.id, "active")]


def test_last_use_is_written_at_most_once_a_minute(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    secret, token = _create(engine, clock, owner)
    first_use = clock.now()

    _authenticate(engine, clock, secret)
    clock.advance(timedelta(seconds=30))
    _authenticate(engine, clock, secret)
    with UnitOfWork(engine, write=False) as uow:
        assert uow.api_tokens.get(token.id).last_used_at == first_use
    clock.advance(timedelta(seconds=30))
    _authenticate(engine, clock, secret)

    with UnitOfWork(engine, write=False) as uow:
        assert uow.api_tokens.get(token.id).last_used_at == clock.now()


def test_a_tokens_user_has_exactly_the_users_permissions(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    profile = Scope(world.account.id, world.profile.id)
    reader = add_person(engine, clock, Role.BILLING_PROFILE_READER, profile)
    secret, _ = _create(engine, clock, reader)

    principal = _authenticate(engine, clock, secret)

    assert principal is not None
    with UnitOfWork(engine, write=False) as uow:
        through_token = billing_permissions(uow, principal.id, profile)
        directly = billing_permissions(uow, reader.id, profile)
    assert through_token == directly
    assert "Microsoft.Billing/billingAccounts/billingProfiles/invoices/read" in through_token
    assert "Microsoft.Billing/billingAccounts/billingProfiles/invoices/pay/action" not in through_token
