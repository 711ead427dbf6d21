"""E-mail verification: the single-use link that proves a user reads the mail of their address, and the
rules for sending it. An address proves nothing until then (anyone can sign up with any address), so an
unverified user holds only what they made themselves or an operator gave them (DESIGN §10).

The link's secret is derived from the link's id and the server's secret key (credentials.derived_secret):
the outbox composes the e-mail when it sends it, from the id alone, and Settle keeps only the hash."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from settle.errors import N_, Conflict, ErrorKind, Forbidden, NotFound, SettleError

PURPOSE = "email-verification"
LINK_LIFETIME = timedelta(hours=48)
RESEND_GAP = timedelta(minutes=5)  # at most one link every five minutes…
RESEND_DAY = timedelta(days=1)
LINKS_A_DAY = 5  # …and five in any 24 hours, per user: nobody's mailbox is flooded from the portal


class VerificationLinkNotValid(NotFound):
    code = "VerificationLinkNotValid"
    message = N_("This verification link is not valid. Sign in and send yourself a new one.")

    def __init__(self) -> None:
        super().__init__()


class VerificationLinkUsed(Conflict):
    code = "VerificationLinkUsed"
    message = N_("This verification link was used already. Each link works once; sign in to go on.")

    def __init__(self) -> None:
        super().__init__()


class VerificationLinkExpired(Conflict):
    code = "VerificationLinkExpired"
    message = N_("This verification link has expired (a link works for 48 hours). Sign in and send a new one.")

    def __init__(self) -> None:
        super().__init__()


class VerificationThrottled(SettleError):
    """Too many links asked for: the web faces answer 429 with Retry-After."""

    kind = ErrorKind.THROTTLED
    code = "VerificationThrottled"
    message = N_(
        "A new link can be sent in {minutes} minutes (at most one every 5 minutes and five a day). "
        "Look for the last one in your inbox and your spam folder."
    )

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after, minutes=max(1, math.ceil(retry_after / 60)))


class AlreadyVerified(Conflict):
    code = "AlreadyVerified"
    message = N_("Your e-mail address is verified already.")

    def __init__(self) -> None:
        super().__init__()


class VerifyEmailFirst(Forbidden):
    code = "VerifyEmailFirst"
    message = N_(
        "Verify your e-mail address first: open the link we e-mailed you, or send a new one from the banner "
        "at the top of the page. Then try again."
    )

    def __init__(self) -> None:
        super().__init__()


@dataclass(frozen=True)
class EmailVerification:
    """One link sent to one address of one user; it proves that address, once, for 48 hours."""

    id: str
    user_id: str
    email: str  # the address it proves: a link sent before the address changed proves nothing
    secret_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def check_usable(self, now: datetime) -> None:
        if self.used_at is not None:
            raise VerificationLinkUsed()
        if now >= self.expires_at:
            raise VerificationLinkExpired()


def resend_wait(sent: Iterable[datetime], now: datetime) -> int | None:
    """None when another link may be sent now; else the whole seconds until one may."""
    recent = sorted((at for at in sent if now - at < RESEND_DAY), reverse=True)
    waits = []
    if recent and now - recent[0] < RESEND_GAP:
        waits.append(recent[0] + RESEND_GAP - now)
    if len(recent) >= LINKS_A_DAY:
        waits.append(recent[LINKS_A_DAY - 1] + RESEND_DAY - now)
    if not waits:
        return None
    return max(1, math.ceil(max(waits).total_seconds()))
