"""The sign-in throttle: five failures a minute are allowed, the sixth attempt waits and says how long."""

from datetime import datetime, timedelta

import pytest

from settle.access.throttle import SignInThrottled, ThrottleRule, account_key, address_key
from settle.errors import ErrorKind
from tests.unit.factories import NOW

RULE = ThrottleRule()


def _failures(*seconds_ago: float) -> list[datetime]:
    return [NOW - timedelta(seconds=ago) for ago in seconds_ago]


def test_an_attempt_after_four_failures_in_a_minute_goes_ahead() -> None:
    assert RULE.retry_after(_failures(40, 30, 20, 10), NOW) is None


def test_the_attempt_after_five_failures_in_a_minute_waits_until_the_first_is_a_minute_old() -> None:
    assert RULE.retry_after(_failures(40, 30, 20, 10, 0), NOW) == 20


def test_five_failures_at_the_same_moment_make_the_next_attempt_wait_a_whole_minute() -> None:
    assert RULE.retry_after(_failures(0, 0, 0, 0, 0), NOW) == 60


def test_a_failure_exactly_a_minute_old_is_forgotten() -> None:
    assert RULE.retry_after(_failures(60, 30, 20, 10, 0), NOW) is None


def test_a_failure_just_under_a_minute_old_still_counts() -> None:
    assert RULE.retry_after(_failures(59.5, 30, 20, 10, 0), NOW) == 1


def test_with_more_than_five_failures_the_wait_lasts_until_only_four_remain() -> None:
    # Seven failures: the three oldest must be forgotten before the next attempt; the third is 30 s old.
    assert RULE.retry_after(_failures(50, 40, 30, 20, 10, 5, 0), NOW) == 30


def test_the_wait_is_rounded_up_to_whole_seconds() -> None:
    assert RULE.retry_after(_failures(10.5, 0, 0, 0, 0), NOW) == 50


def test_failures_older_than_the_window_are_dropped_from_the_recent_ones() -> None:
    assert RULE.recent(_failures(120, 61, 59, 1), NOW) == _failures(59, 1)


def test_check_refuses_with_the_longest_wait_of_the_account_and_the_address() -> None:
    account, address = _failures(50, 40, 30, 20, 10), _failures(10, 5, 4, 3, 2)

    with pytest.raises(SignInThrottled) as caught:
        RULE.check([account, address], NOW)

    assert caught.value.retry_after == 50
    assert str(caught.value) == "Too many failed sign-in attempts. Wait 50 seconds, then try again."
    assert caught.value.code == "SignInThrottled"
    assert caught.value.kind is ErrorKind.THROTTLED


def test_check_lets_an_attempt_through_when_neither_key_has_five_failures() -> None:
    RULE.check([_failures(4, 3, 2, 1), _failures(1)], NOW)  # raises when throttled


def test_the_account_key_ignores_case_and_blanks_and_differs_from_the_address_key() -> None:
    assert account_key("  Ada@Example.COM ") == account_key("ada@example.com")
    assert account_key("10.0.0.1") != address_key("10.0.0.1")


def test_the_account_key_of_an_absurdly_long_address_fits_its_column() -> None:
    assert len(account_key("a" * 1000 + "@example.com")) <= 320
