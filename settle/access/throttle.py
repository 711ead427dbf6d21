"""Throttling of failed sign-ins: five failures a minute per account and per client address, then wait.

The rule is counted separately for the e-mail address typed (guessing one account's password) and
for the client address (trying many accounts from one place); either can make the next attempt wait."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from settle.errors import N_, ErrorKind, SettleError

ALLOWED_FAILURES = 5
EMAIL_LENGTH = 254  # what is typed is cut to the longest e-mail address there can be
WINDOW = timedelta(seconds=60)


class SignInThrottled(SettleError):
    """Too many recent failures: the attempt was refused without looking at the password.

    The web faces answer 429 with a Retry-After header of `retry_after` seconds."""

    kind = ErrorKind.THROTTLED
    code = "SignInThrottled"
    message = N_("Too many failed sign-in attempts. Wait {retry_after} seconds, then try again.")

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)

    @property
    def retry_after(self) -> int:
        return int(self.params["retry_after"])


def account_key(email: str) -> str:
    """The throttle key of the e-mail address typed, whether or not such a user exists."""
    return "account:" + email.strip().lower()[:EMAIL_LENGTH]


def address_key(client_address: str) -> str:
    return "address:" + client_address


@dataclass(frozen=True)
class ThrottleRule:
    allowed_failures: int = ALLOWED_FAILURES
    window: timedelta = WINDOW

    def recent(self, failures: Iterable[datetime], now: datetime) -> list[datetime]:
        """The failures still remembered at `now`, oldest first; older ones are forgotten."""
        return sorted(at for at in failures if now - at < self.window)

    def retry_after(self, failures: Iterable[datetime], now: datetime) -> int | None:
        """None when another attempt may go ahead; else the whole seconds until one may."""
        recent = self.recent(failures, now)
        if len(recent) < self.allowed_failures:
            return None
        # The next attempt may go ahead once all but allowed_failures - 1 of them are forgotten.
        must_age_out = recent[len(recent) - self.allowed_failures]
        wait = (must_age_out + self.window - now).total_seconds()
        return max(1, math.ceil(wait))

    def check(self, failures_by_key: Iterable[Iterable[datetime]], now: datetime) -> None:
        """Raise SignInThrottled with the longest wait when any key has had too many failures."""
        waits = [wait for failures in failures_by_key if (wait := self.retry_after(failures, now)) is not None]
        if waits:
            raise SignInThrottled(retry_after=max(waits))
