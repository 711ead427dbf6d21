"""Sign-in sessions: what the server keeps of a signed-in browser, and when it stops counting.

The cookie carries a random secret; the server keeps its hash. A session ends after a spell of
idleness or, however busy, after an absolute lifetime, whichever comes first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from settle.errors import N_, Invalid

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often: one write a minute per busy browser, not one per request.
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_LENGTH = 500


class InvalidCredentials(Invalid):
    """One message for an unknown e-mail, a wrong password and a disabled user alike."""

    code = "InvalidCredentials"
    message = N_("The e-mail address or password is incorrect.")

    def __init__(self) -> None:
        super().__init__()


@dataclass(frozen=True)
class SessionLifetime:
    idle: timedelta = IDLE_TIMEOUT
    absolute: timedelta = ABSOLUTE_TIMEOUT

    def __post_init__(self) -> None:
        if self.idle <= timedelta(0) or self.absolute <= timedelta(0):
            raise ValueError("session timeouts must be positive")


@dataclass(frozen=True)
class Session:
    id: str
    secret_hash: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    client_address: str | None = None
    user_agent: str | None = None

    def expired(self, now: datetime, lifetime: SessionLifetime) -> bool:
        """True once the session has been idle for `lifetime.idle`, or has lived `lifetime.absolute`."""
        return now - self.last_seen_at >= lifetime.idle or now - self.created_at >= lifetime.absolute

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY


def clip_user_agent(user_agent: str | None) -> str | None:
    """User agents are only a hint for the person reviewing their sessions; long ones are cut."""
    return user_agent[:USER_AGENT_LENGTH] if user_agent else None
