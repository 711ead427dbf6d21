"""The one time source. Services take a Clock so tests can say what "now" and "today" are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until told to move (tests, demo data, benchmarks)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 15, 12, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current = self.current + delta


def today(clock: Clock, tz: str = "UTC") -> date:
    """The date it is now in time zone `tz` (due dates are compared with this)."""
    return clock.now().astimezone(ZoneInfo(tz)).date()
