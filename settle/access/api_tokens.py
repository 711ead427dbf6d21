"""Use cases of personal access tokens: create one (its secret shown once), list, revoke, and find the
user a bearer token speaks for. A token acts with its user's roles, never more."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from settle.access.credentials import display_prefix, hash_secret, looks_like_api_token, new_api_token, new_id
from settle.access.service import record
from settle.access.tokens import ApiToken, ApiTokenNotFound, TokenExpiryInPast, check_token_name
from settle.accounts.model import User
from settle.clock import Clock
from settle.uow import UnitOfWork


def create_api_token(
    uow: UnitOfWork,
    clock: Clock,
    user_id: str,
    name: str,
    expires_at: datetime | None = None,
    *,
    by_operator: bool = False,
    client_address: str | None = None,
) -> tuple[str, ApiToken]:
    """A new token for the user; returns its secret, which is kept nowhere and cannot be shown again.

    `by_operator`: created at the command line on the user's behalf (the audit trail says so)."""
    user = uow.users.get(user_id)
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise TokenExpiryInPast()
    secret = new_api_token()
    token = ApiToken(
        id=new_id(),
        user_id=user.id,
        name=check_token_name(name),
        prefix=display_prefix(secret),
        secret_hash=hash_secret(secret),
        created_at=now,
        expires_at=expires_at,
    )
    uow.api_tokens.add(token)
    actor = None if by_operator else user.id
    record(uow, clock, actor, "api_token.created", _resource(token), client_address=client_address)
    return secret, token


def list_api_tokens(uow: UnitOfWork, user_id: str) -> list[ApiToken]:
    """The user's tokens, oldest first, revoked and expired ones included (they show as such)."""
    return uow.api_tokens.for_user(user_id)


def revoke_api_token(
    uow: UnitOfWork, clock: Clock, actor_id: str | None, token_id: str, client_address: str | None = None
) -> ApiToken:
    """Revoke a token at once. Only its owner may (`actor_id` None: the operator at the command line);
    anyone else's token is as unknown as a token that does not exist."""
    token = uow.api_tokens.get(token_id)
    if actor_id is not None and token.user_id != actor_id:
        raise ApiTokenNotFound(id=token_id)
    if token.revoked_at is not None:
        return token
    revoked = replace(token, revoked_at=clock.now())
    uow.api_tokens.revoke(token.id, clock.now())
    record(uow, clock, actor_id, "api_token.revoked", _resource(token), client_address=client_address)
    return revoked


def authenticate_token(uow: UnitOfWork, clock: Clock, secret: str) -> User | None:
    """The user an `Authorization: Bearer` token speaks for; None for an unknown, revoked or expired
    token, or a disabled user. Notes the use at most once a minute."""
    if not looks_like_api_token(secret):
        return None
    token = uow.api_tokens.find_by_hash(hash_secret(secret))
    now = clock.now()
    if token is None or not token.usable(now):
        return None
    user = uow.users.find(token.user_id)
    if user is None or user.disabled:
        return None
    if token.needs_touch(now):
        uow.api_tokens.touch(token.id, now)
    return user


def _resource(token: ApiToken) -> str:
    return f"users/{token.user_id}/apiTokens/{token.id}"
