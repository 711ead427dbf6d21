"""Forgotten passwords: a single-use link, e-mailed to the user's address, valid for an hour.

The link's secret is derived from the secret key and the reset's id (credentials.derived_secret), so
the outbox can make the link again when it sends the e-mail; Settle keeps only the secret's hash.
Asking for links is throttled per address typed (whether or not a user has it: the answer must not
tell) and per client address, so the form can be used neither to flood an inbox nor to probe."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from settle.access.throttle import EMAIL_LENGTH, ThrottleRule
from settle.accounts.model import User, check_password
from settle.errors import N_, ErrorKind, Invalid, NotFound, SettleError

PURPOSE = "password-reset"  # the HMAC's purpose: a reset link's secret opens nothing else
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of an HMAC-SHA256, no padding
LIFETIME = timedelta(hours=1)
LIFETIME_TEXT = N_("1 hour")  # LIFETIME in words, as the page and the e-mail say it
# The sign-in throttle's rule, counting requests instead of failures: 3 links an hour to one address typed,
# 10 an hour asked from one client address.
PER_EMAIL = ThrottleRule(allowed_failures=3, window=timedelta(hours=1))
PER_CLIENT = ThrottleRule(allowed_failures=10, window=timedelta(hours=1))


class ResetLinkNotValid(NotFound):
    """One answer for a link that never existed, was used, expired or was outdated by a new password."""

    code = "ResetLinkNotValid"
    message = N_("This link has expired or was used already. Ask for a new one.")

    def __init__(self) -> None:
        super().__init__()


class PasswordsDiffer(Invalid):
    code = "PasswordsDiffer"
    message = N_("The two passwords are not the same. Type the new password twice.")

    def __init__(self) -> None:
        super().__init__()


class ResetsThrottled(SettleError):
    """Too many reset links asked for, for this address or from this client: answered 429 with
    Retry-After, the same for an address that has a user and one that has none."""

    kind = ErrorKind.THROTTLED
    code = "ResetsThrottled"
    message = N_("Too many reset links were asked for. Try again in {minutes} minutes.")

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after, minutes=max(1, math.ceil(retry_after / 60)))

    @property
    def retry_after(self) -> int:
        return int(self.params["retry_after"])


@dataclass(frozen=True)
class PasswordReset:
    id: str
    user_id: str
    email: str  # the address the link was sent to
    secret_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None  # used, or outdated by another change of the password

    @classmethod
    def new(cls, reset_id: str, user: User, secret_hash: str, now: datetime) -> PasswordReset:
        return cls(reset_id, user.id, user.email, secret_hash, now, now + LIFETIME)

    def is_open(self, now: datetime, user: User | None) -> bool:
        """Whether the link may still set a password: unused, not expired, and its user still enabled
        at the address it was sent to (a link to an address the user has left proves nothing)."""
        return (
            self.used_at is None
            and now < self.expires_at
            and user is not None
            and user.id == self.user_id
            and not user.disabled
            and user.email == self.email
        )


def looks_like_secret(text: str) -> bool:
    """True when `text` has the shape of a reset link's secret (checked before touching the database)."""
    return bool(_SECRET.match(text))


def email_key(email: str) -> str:
    """The throttle key of the address typed, whether or not a user has it."""
    return "email:" + email.strip().lower()[:EMAIL_LENGTH]


def client_key(client_address: str) -> str:
    return "client:" + client_address


def check_throttle(per_email: Iterable[datetime], per_client: Iterable[datetime] | None, now: datetime) -> None:
    """Raise ResetsThrottled with the longer wait when either count is used up."""
    waits = [PER_EMAIL.retry_after(per_email, now)]
    if per_client is not None:
        waits.append(PER_CLIENT.retry_after(per_client, now))
    found = [wait for wait in waits if wait is not None]
    if found:
        raise ResetsThrottled(retry_after=max(found))


def check_new_password(password: str, again: str, related: Iterable[str] = ()) -> None:
    """The same rules as at sign-up (accounts.check_password, `related` what the user is known by), and
    typed the same twice."""
    if password != again:
        raise PasswordsDiffer()
    check_password(password, related)
