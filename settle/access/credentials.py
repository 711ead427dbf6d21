"""Secrets handed to people (session cookies, API tokens, invitation and reset links) and what Settle keeps of them.

A secret is shown once; the database keeps only its SHA-256 digest, so a copy of the database opens
nothing. The secrets are 240 bits of randomness, or an HMAC under the secret key (a link e-mailed
later, made again when the outbox sends it), so a fast hash is enough (no password stretching)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

API_TOKEN_PREFIX = "stl_"  # noqa: S105 (a public marker, not a secret)
API_TOKEN_RANDOM_LENGTH = 40
API_TOKEN_DISPLAY_LENGTH = len(API_TOKEN_PREFIX) + 4
_API_TOKEN = re.compile(rf"^{API_TOKEN_PREFIX}[A-Za-z0-9_-]{{{API_TOKEN_RANDOM_LENGTH}}}$")
_RANDOM_BYTES = API_TOKEN_RANDOM_LENGTH * 3 // 4  # base64 turns 3 bytes into 4 characters


def new_secret() -> str:
    """40 URL-safe characters (240 random bits): a session secret or an invitation link's secret."""
    return secrets.token_urlsafe(_RANDOM_BYTES)


def new_api_token() -> str:
    """`stl_` and 40 URL-safe characters; the prefix lets secret scanners and people recognise it."""
    return API_TOKEN_PREFIX + new_secret()


def looks_like_api_token(text: str) -> bool:
    """True when `text` has the shape of an API token (checked before touching the database)."""
    return bool(_API_TOKEN.match(text))


def display_prefix(token: str) -> str:
    """The first characters of a token, kept in clear so people can tell their tokens apart."""
    return token[:API_TOKEN_DISPLAY_LENGTH]


def hash_secret(secret: str) -> str:
    """The SHA-256 digest of a secret, base64url without padding (43 characters).

    Base64 rather than hex: a hex digest can begin or end with a long run of decimal digits,
    which card-number scanners of the database would rightly flag."""
    digest = hashlib.sha256(secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def derived_secret(secret_key: str, purpose: str, reference: str) -> str:
    """A link's secret that is kept nowhere, yet can be made again from `reference` by whoever holds the
    key: base64url (no padding) of HMAC-SHA256(key, "purpose:reference"). The outbox composes an e-mail
    when it is sent, from the message's reference alone; this lets it write the link then. The purpose
    keeps a secret made for one kind of link from opening another kind with the same reference."""
    if not secret_key:
        raise ValueError("no secret key: a link's secret is never derived from an empty key")
    digest = hmac.new(secret_key.encode("utf-8"), f"{purpose}:{reference}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_id() -> str:
    """An identifier for a session, token or invitation: 24 characters of a-z and 2-7 (base32).

    Never starts with a dash (safe as a command-line argument) and has no long runs of digits."""
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()
