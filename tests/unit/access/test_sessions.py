"""Session expiry: idle for 30 minutes or alive for 12 hours, whichever comes first; both configurable."""

from datetime import timedelta
from typing import Any

import pytest

from settle.access.sessions import Session, SessionLifetime, clip_user_agent
from tests.unit.factories import NOW

DEFAULT = SessionLifetime()


def _session(**overrides: Any) -> Session:
    fields: dict[str, Any] = {
        "id": "s1",
        "secret_hash": "hash",
        "user_id": "user-1",
        "created_at": NOW,
        "last_seen_at": NOW,
    }
    fields.update(overrides)
    return Session(**fields)


@pytest.mark.parametrize(
    ("idle", "expired"),
    [
        (timedelta(minutes=29, seconds=59), False),
        (timedelta(minutes=30), True),
        (timedelta(hours=2), True),
    ],
    ids=str,
)
def test_a_session_expires_after_thirty_idle_minutes(idle: timedelta, expired: bool) -> None:
    assert _session().expired(NOW + idle, DEFAULT) is expired


@pytest.mark.parametrize(
    ("age", "expired"), [(timedelta(hours=11, minutes=59), False), (timedelta(hours=12), True)], ids=str
)
def test_a_busy_session_still_expires_twelve_hours_after_sign_in(age: timedelta, expired: bool) -> None:
    busy = _session(last_seen_at=NOW + age - timedelta(seconds=5))

    assert busy.expired(NOW + age, DEFAULT) is expired


def test_both_timeouts_can_be_configured() -> None:
    strict = SessionLifetime(idle=timedelta(minutes=5), absolute=timedelta(hours=1))

    assert _session().expired(NOW + timedelta(minutes=5), strict)
    assert not _session().expired(NOW + timedelta(minutes=5), DEFAULT)
    assert _session(last_seen_at=NOW + timedelta(minutes=59)).expired(NOW + timedelta(hours=1), strict)


@pytest.mark.parametrize("idle", [timedelta(0), timedelta(minutes=-1)], ids=str)
def test_a_lifetime_must_be_positive(idle: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionLifetime(idle=idle)


@pytest.mark.parametrize(
    ("since_last_seen", "touch"), [(timedelta(seconds=59), False), (timedelta(minutes=1), True)], ids=str
)
def test_activity_is_written_down_at_most_once_a_minute(since_last_seen: timedelta, touch: bool) -> None:
    assert _session().needs_touch(NOW + since_last_seen) is touch


def test_long_user_agents_are_cut_and_missing_ones_stay_missing() -> None:
    assert clip_user_agent("x" * 900) == "x" * 500
    assert clip_user_agent("Mozilla/5.0") == "Mozilla/5.0"
    assert clip_user_agent("") is None
    assert clip_user_agent(None) is None
