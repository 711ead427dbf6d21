"""The `Settle-Signature` header: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the
endpoint's signing secret (its UTF-8 bytes, `whsec_` prefix included). The time is signed with the
body so that a captured request cannot be replayed later; receivers refuse an old `t`.

`verify` is the recipe receivers follow (docs/webhooks.md), written once here for Settle's tests."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

HEADER = "Settle-Signature"
TOLERANCE = timedelta(minutes=5)


def digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, at: datetime) -> str:
    """The header's value for `body` sent at `at`."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: datetime, tolerance: timedelta = TOLERANCE) -> bool:
    """True if `header` signs exactly `body` with `secret`, at a time within `tolerance` of `now`.
    Several v1 values are allowed (one of them must match), so that a secret can be rolled over."""
    timestamp: int | None = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = digest(secret, timestamp, body)
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError instead of False).
    return any(hmac.compare_digest(expected.encode(), signature.encode()) for signature in signatures)
