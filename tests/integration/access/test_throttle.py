"""Throttled sign-in: the sixth failure within a minute waits, per account and per client address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from settle.access.sessions import InvalidCredentials
from settle.access.sign_in import sign_in
from settle.access.throttle import SignInThrottled
from settle.clock import FixedClock
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD, make_world

HOME, ELSEWHERE = "198.51.100.1", "198.51.100.2"


def _attempt(engine: Engine, clock: FixedClock, email: str, password: str, address: str = HOME) -> str:
    with UnitOfWork(engine) as uow:
        secret, _ = sign_in(uow, clock, email, password, address, "test")
    return secret


def _fail(engine: Engine, clock: FixedClock, email: str, times: int, address: str = HOME) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            _attempt(engine, clock, email, "wrong password", address)
        clock.advance(timedelta(seconds=1))


def test_the_sixth_attempt_in_a_minute_is_refused_with_how_long_to_wait(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    _fail(engine, clock, owner.email, 5)  # failures at 0..4 s; now 5 s

    with pytest.raises(SignInThrottled) as caught:
        _attempt(engine, clock, owner.email, PASSWORD)  # even the right password is not looked at

    assert caught.value.retry_after == 55
    assert "Wait 55 seconds" in str(caught.value)


def test_after_the_wait_the_right_password_signs_in(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    _fail(engine, clock, owner.email, 5)
    clock.advance(timedelta(seconds=55))

    assert _attempt(engine, clock, owner.email, PASSWORD)


def test_five_failures_are_allowed_before_the_throttle(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    _fail(engine, clock, owner.email, 4)

    with pytest.raises(InvalidCredentials):  # the fifth attempt is still checked
        _attempt(engine, clock, owner.email, "wrong again")


def test_failures_on_other_accounts_from_one_address_throttle_that_address(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    for number in range(5):
        _fail(engine, clock, f"guess-{number}@example.com", 1)

    with pytest.raises(SignInThrottled):
        _attempt(engine, clock, world.owner.email, PASSWORD)
    assert _attempt(engine, clock, world.owner.email, PASSWORD, address=ELSEWHERE)


def test_an_account_under_attack_from_many_addresses_is_throttled_everywhere(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    for number in range(5):
        _fail(engine, clock, owner.email, 1, address=f"192.0.2.{number}")

    with pytest.raises(SignInThrottled):
        _attempt(engine, clock, owner.email, PASSWORD, address=ELSEWHERE)


def test_a_successful_sign_in_forgets_the_accounts_failures(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    _fail(engine, clock, owner.email, 4)
    _attempt(engine, clock, owner.email, PASSWORD)
    for number in range(4):  # from four other addresses, so only the account's count matters
        _fail(engine, clock, owner.email, 1, address=f"192.0.2.{number}")

    with pytest.raises(InvalidCredentials):  # 4 failures since the success, not 8: still checked
        _attempt(engine, clock, owner.email, "wrong again", address=ELSEWHERE)


def test_a_throttled_attempt_is_audited(engine: Engine, clock: FixedClock) -> None:
    owner = make_world(engine, clock).owner
    _fail(engine, clock, owner.email, 5)

    with pytest.raises(SignInThrottled):
        _attempt(engine, clock, owner.email, PASSWORD)

    with UnitOfWork(engine, write=False) as uow:
        event = uow.audit.list(resource="sessions")[0]
    assert (event.action, event.outcome, event.client_address) == ("session.sign_in", "throttled", HOME)
    assert event.details == {"email": owner.email, "retry_after": "55"}
