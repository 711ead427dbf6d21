"""Use cases of signing in: sign in with e-mail and password, find the user of a session, sign out.

Use a writing unit of work for each: a failed sign-in is recorded (for throttling and the audit
trail) and committed before the error is raised, so it outlives the caller's rollback."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from settle.access.credentials import hash_secret, new_id, new_secret
from settle.access.service import record
from settle.access.sessions import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    InvalidCredentials,
    Session,
    SessionLifetime,
    clip_user_agent,
)
from settle.access.throttle import EMAIL_LENGTH, SignInThrottled, ThrottleRule, account_key, address_key
from settle.accounts.model import User
from settle.accounts.passwords import hash_password, needs_rehash, verify_password
from settle.clock import Clock
from settle.uow import UnitOfWork

THROTTLE = ThrottleRule()


def sign_in(
    uow: UnitOfWork,
    clock: Clock,
    email: str,
    password: str,
    client_address: str | None,
    user_agent: str | None,
    previous_session_secret: str | None = None,
) -> tuple[str, Session]:
    """Check the e-mail address and password and open a new session; returns its secret (for the cookie).

    Any session the browser had before is ended (a new secret at every sign-in: no session fixation).
    Raises SignInThrottled after too many recent failures, InvalidCredentials for any other refusal."""
    keys = [account_key(email)] + ([address_key(client_address)] if client_address else [])
    _check_throttle(uow, clock, keys, email, client_address)
    user = uow.users.find_by_email(email.strip().lower())
    # An unknown address costs the same Argon2 work as a known one: timing does not tell them apart.
    verified = verify_password(user.password_hash if user else None, password)
    if user is None or user.disabled or not verified:
        _record_failure(uow, clock, keys, user, email, client_address)
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        uow.users.update(replace(user, password_hash=hash_password(password)))
    uow.sign_in_failures.clear(keys[0])
    if previous_session_secret:
        end_session(uow, previous_session_secret)
    return _open_session(uow, clock, user, client_address, user_agent)


def resolve_session(
    uow: UnitOfWork,
    clock: Clock,
    secret: str | None,
    *,
    idle_timeout: timedelta = IDLE_TIMEOUT,
    absolute_timeout: timedelta = ABSOLUTE_TIMEOUT,
) -> tuple[User, Session] | None:
    """The signed-in user and their session for a cookie's secret; None when there is none, it has
    expired (idle or absolute) or the user was disabled. Notes the activity at most once a minute."""
    if not secret:
        return None
    session = uow.sessions.find_by_hash(hash_secret(secret))
    if session is None:
        return None
    now = clock.now()
    user = uow.users.find(session.user_id)
    if user is None or user.disabled or session.expired(now, SessionLifetime(idle_timeout, absolute_timeout)):
        uow.sessions.remove(session.id)
        return None
    if session.needs_touch(now):
        session = replace(session, last_seen_at=now)
        uow.sessions.touch(session.id, now)
    return user, session


def sign_out(uow: UnitOfWork, clock: Clock, secret: str | None, client_address: str | None = None) -> None:
    """End the session of a cookie's secret (nothing happens for an unknown or expired one)."""
    session = end_session(uow, secret) if secret else None
    if session is not None:
        record(uow, clock, session.user_id, "session.ended", f"users/{session.user_id}", client_address=client_address)


def end_session(uow: UnitOfWork, secret: str) -> Session | None:
    session = uow.sessions.find_by_hash(hash_secret(secret))
    if session is not None:
        uow.sessions.remove(session.id)
    return session


def _check_throttle(uow: UnitOfWork, clock: Clock, keys: list[str], email: str, client_address: str | None) -> None:
    now = clock.now()
    try:
        THROTTLE.check([uow.sign_in_failures.since(key, now - THROTTLE.window) for key in keys], now)
    except SignInThrottled as throttled:
        details = {"email": email.strip().lower()[:EMAIL_LENGTH], "retry_after": str(throttled.retry_after)}
        record(
            uow,
            clock,
            None,
            "session.sign_in",
            "sessions",
            outcome="throttled",
            client_address=client_address,
            details=details,
        )
        uow.commit()
        raise


def _record_failure(
    uow: UnitOfWork, clock: Clock, keys: list[str], user: User | None, email: str, client_address: str | None
) -> None:
    now = clock.now()
    uow.sign_in_failures.forget_before(now - THROTTLE.window)
    uow.sign_in_failures.add(keys, now)
    actor, resource = (user.id, f"users/{user.id}") if user else (None, "sessions")
    details = {"email": email.strip().lower()[:EMAIL_LENGTH]}
    record(
        uow,
        clock,
        actor,
        "session.sign_in",
        resource,
        outcome="failure",
        client_address=client_address,
        details=details,
    )
    uow.commit()


def _open_session(
    uow: UnitOfWork, clock: Clock, user: User, client_address: str | None, user_agent: str | None
) -> tuple[str, Session]:
    secret, now = new_secret(), clock.now()
    session = Session(
        id=new_id(),
        secret_hash=hash_secret(secret),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        client_address=client_address,
        user_agent=clip_user_agent(user_agent),
    )
    uow.sessions.add(session)
    record(uow, clock, user.id, "session.sign_in", f"users/{user.id}", client_address=client_address)
    return secret, session
