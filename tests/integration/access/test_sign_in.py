"""Signing in: one generic refusal, a new session secret at every sign-in, sessions that expire."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from settle.access.credentials import hash_secret
from settle.access.sessions import InvalidCredentials, Session
from settle.access.sign_in import resolve_session, sign_in, sign_out
from settle.accounts import passwords
from settle.accounts.model import User
from settle.accounts.passwords import needs_rehash
from settle.clock import FixedClock
from settle.uow import UnitOfWork
from tests.configured import settings_for_tests
from tests.integration.factories import PASSWORD, make_world

ADDRESS, BROWSER = "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def _sign_in(engine: Engine, clock: FixedClock, email: str, password: str = PASSWORD, **kwargs: str) -> str:
    with UnitOfWork(engine) as uow:
        secret, _ = sign_in(uow, clock, email, password, kwargs.pop("address", ADDRESS), BROWSER, **kwargs)
    return secret


def _resolve(engine: Engine, clock: FixedClock, secret: str, **kwargs: timedelta) -> tuple[User, Session] | None:
    with UnitOfWork(engine) as uow:
        return resolve_session(uow, clock, secret, **kwargs)


def _refusal(engine: Engine, clock: FixedClock, email: str, password: str) -> InvalidCredentials:
    with pytest.raises(InvalidCredentials) as caught, UnitOfWork(engine) as uow:
        sign_in(uow, clock, email, password, ADDRESS, BROWSER)
    return caught.value


def test_signing_in_opens_a_session_that_resolves_to_the_user(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner

    secret = _sign_in(engine, clock, "  " + owner.email.upper())

    resolved = _resolve(engine, clock, secret)
    assert resolved is not None
    user, session = resolved
    assert user.id == owner.id
    assert (session.client_address, session.user_agent, session.created_at) == (ADDRESS, BROWSER, clock.now())


def test_wrong_password_unknown_email_and_disabled_user_get_the_same_refusal(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    with UnitOfWork(engine) as uow:
        disabled = replace(owner, id="disabled-user", email="gone@example.com", disabled=True)
        uow.users.add(disabled)

    refusals = [
        _refusal(engine, clock, owner.email, "not the password"),
        _refusal(engine, clock, "nobody@example.com", PASSWORD),
        _refusal(engine, clock, disabled.email, PASSWORD),
    ]

    assert {(type(error), str(error), error.code) for error in refusals} == {
        (InvalidCredentials, "The e-mail address or password is incorrect.", "InvalidCredentials")
    }


def test_an_unknown_email_costs_the_same_argon2_work_as_a_known_one(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_world(engine, clock)
    verified: list[str] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    current = passwords._hashing.hasher
    monkeypatch.setattr(
        passwords._hashing, "hasher", Recording(current.time_cost, current.memory_cost, current.parallelism)
    )

    _refusal(engine, clock, "nobody@example.com", PASSWORD)

    assert len(verified) == 1
    assert verified[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")  # the configured cost, as a real user's


def test_a_new_sign_in_ends_the_browsers_previous_session(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    planted = _sign_in(engine, clock, owner.email)  # a secret someone else may know (session fixation)

    renewed = _sign_in(engine, clock, owner.email, previous_session_secret=planted)

    assert renewed != planted
    assert _resolve(engine, clock, planted) is None
    assert _resolve(engine, clock, renewed) is not None


def test_an_unknown_previous_session_secret_does_not_stop_a_sign_in(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner

    secret = _sign_in(engine, clock, owner.email, previous_session_secret="made-up")

    assert _resolve(engine, clock, secret) is not None


def test_a_session_idle_for_thirty_minutes_no_longer_resolves(engine: Engine, clock: FixedClock) -> None:
    secret = _sign_in(engine, clock, make_world(engine, clock).owner.email)

    clock.advance(timedelta(minutes=29))
    assert _resolve(engine, clock, secret) is not None
    clock.advance(timedelta(minutes=29))  # 58 minutes in, but only 29 idle
    assert _resolve(engine, clock, secret) is not None
    clock.advance(timedelta(minutes=30))

    assert _resolve(engine, clock, secret) is None
    with UnitOfWork(engine, write=False) as uow:
        assert uow.sessions.find_by_hash(hash_secret(secret)) is None  # an expired session is deleted


def test_a_busy_session_ends_twelve_hours_after_sign_in(engine: Engine, clock: FixedClock) -> None:
    secret = _sign_in(engine, clock, make_world(engine, clock).owner.email)

    for _ in range(35):  # every 20 minutes for 11 h 40 min
        clock.advance(timedelta(minutes=20))
        assert _resolve(engine, clock, secret) is not None
    clock.advance(timedelta(minutes=20))

    assert _resolve(engine, clock, secret) is None


def test_the_timeouts_come_from_the_caller(engine: Engine, clock: FixedClock) -> None:
    secret = _sign_in(engine, clock, make_world(engine, clock).owner.email)
    clock.advance(timedelta(minutes=6))

    assert _resolve(engine, clock, secret, idle_timeout=timedelta(minutes=10)) is not None
    clock.advance(timedelta(minutes=6))
    assert _resolve(engine, clock, secret, idle_timeout=timedelta(minutes=5)) is None


def test_last_seen_is_written_at_most_once_a_minute(engine: Engine, clock: FixedClock) -> None:
    secret = _sign_in(engine, clock, make_world(engine, clock).owner.email)
    signed_in_at = clock.now()

    clock.advance(timedelta(seconds=50))
    _resolve(engine, clock, secret)
    with UnitOfWork(engine, write=False) as uow:
        assert uow.sessions.find_by_hash(hash_secret(secret)).last_seen_at == signed_in_at  # type: ignore[union-attr]
    clock.advance(timedelta(seconds=20))
    _resolve(engine, clock, secret)

    with UnitOfWork(engine, write=False) as uow:
        assert uow.sessions.find_by_hash(hash_secret(secret)).last_seen_at == clock.now()  # type: ignore[union-attr]


def test_a_disabled_users_session_stops_resolving(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    secret = _sign_in(engine, clock, owner.email)
    with UnitOfWork(engine) as uow:
        uow.users.update(replace(uow.users.get(owner.id), disabled=True))

    assert _resolve(engine, clock, secret) is None


def test_signing_out_ends_the_session_and_is_audited(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    secret = _sign_in(engine, clock, owner.email)

    with UnitOfWork(engine) as uow:
        sign_out(uow, clock, secret, ADDRESS)

    assert _resolve(engine, clock, secret) is None
    with UnitOfWork(engine, write=False) as uow:
        events = uow.audit.list(resource=f"users/{owner.id}")
    assert [(e.action, e.actor_id, e.client_address) for e in events[:2]] == [
        ("session.ended", owner.id, ADDRESS),
        ("session.sign_in", owner.id, ADDRESS),
    ]


@pytest.fixture
def stronger_hashing() -> Iterator[None]:
    """The configured cost raised above the suite's (as when an operator raises SETTLE_PASSWORD_*)."""
    passwords.configure(settings_for_tests(password_time_cost=2, password_memory_kib=16))
    yield
    passwords.configure(settings_for_tests())


@pytest.mark.usefixtures("stronger_hashing")
def test_a_password_hashed_with_weaker_settings_is_rehashed_at_sign_in(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with UnitOfWork(engine) as uow:
        uow.users.update(replace(owner, password_hash=weak))

    _sign_in(engine, clock, owner.email)

    with UnitOfWork(engine, write=False) as uow:
        stored = uow.users.get(owner.id).password_hash
    assert stored != weak
    assert stored.startswith("$argon2id$v=19$m=16,t=2,p=1$")
    assert not needs_rehash(stored)


def test_a_password_hashed_at_production_cost_still_signs_in_under_a_cheaper_one(
    engine: Engine, clock: FixedClock
) -> None:
    owner = make_world(engine, clock).owner
    strong = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    with UnitOfWork(engine) as uow:
        uow.users.update(replace(owner, password_hash=strong))

    assert _resolve(engine, clock, _sign_in(engine, clock, owner.email)) is not None
    with pytest.raises(InvalidCredentials):
        _sign_in(engine, clock, owner.email, "not the password")


def test_a_failed_sign_in_is_in_the_audit_trail_even_though_the_caller_rolled_back(
    engine: Engine, clock: FixedClock
) -> None:
    owner = make_world(engine, clock).owner

    _refusal(engine, clock, owner.email, "wrong password")

    with UnitOfWork(engine, write=False) as uow:
        event = uow.audit.list(resource=f"users/{owner.id}")[0]
    assert (event.action, event.outcome, event.client_address) == ("session.sign_in", "failure", ADDRESS)
