"""Personal access tokens for the REST API, and one-time invitations to a billing role.

Both are bearer secrets shown once; Settle keeps their hash. A token acts with its user's roles,
never more: it stores no roles of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from settle.access.model import Role, Scope
from settle.card_numbers import redact_card_numbers
from settle.errors import N_, Forbidden, Invalid, NotFound

# last_used_at is written at most this often, to spare a write per API call.
TOUCH_EVERY = timedelta(minutes=1)
INVITATION_LIFETIME = timedelta(days=7)
TOKEN_NAME_LENGTH = 100


class ApiTokenNotFound(NotFound):
    code = "ApiTokenNotFound"
    message = N_("API token '{id}' was not found.")


class InvalidTokenName(Invalid):
    code = "InvalidTokenName"
    message = N_("Give the token a name of 1 to {maximum} characters.")


class TokenExpiryInPast(Invalid):
    code = "TokenExpiryInPast"
    message = N_("A token's expiry date must lie in the future.")


class InvitationNotValid(NotFound):
    code = "InvitationNotValid"
    message = N_("This invitation is not valid: it was used already, it expired, or it was withdrawn.")

    def __init__(self) -> None:
        super().__init__()


class InvitationForAnotherAddress(Forbidden):
    """Who holds the link is not who it was sent to: an invitation is bound to the invited address."""

    code = "InvitationForAnotherAddress"
    message = N_(
        "This invitation was sent to {invited}, not to {email}. Sign in with the invited address to accept it, "
        "or ask the sender to invite {email}."
    )


def masked(email: str) -> str:
    """An address as shown to someone it may not belong to: `j•••@contoso.example`."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def check_token_name(name: str) -> str:
    """The name as kept: trimmed, without card numbers (anything typed may hold one)."""
    cleaned = redact_card_numbers(name.strip())
    if not 1 <= len(cleaned) <= TOKEN_NAME_LENGTH:
        raise InvalidTokenName(maximum=TOKEN_NAME_LENGTH)
    return cleaned


@dataclass(frozen=True)
class ApiToken:
    id: str
    user_id: str
    name: str
    prefix: str  # the first characters of the secret, for display; never enough to use it
    secret_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.usable(now) else "expired"

    def needs_touch(self, now: datetime) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= TOUCH_EVERY


@dataclass(frozen=True)
class Invitation:
    """An offer of a role at a scope, sent to an e-mail address that has no user yet."""

    id: str
    secret_hash: str
    email: str
    role: Role
    scope: Scope
    created_at: datetime
    expires_at: datetime
    invited_by: str | None = None
    accepted_at: datetime | None = None
    accepted_by: str | None = None

    def is_open(self, now: datetime) -> bool:
        return self.accepted_at is None and now < self.expires_at


@dataclass(frozen=True)
class Invited:
    """What adding a role for an unknown e-mail address gives: the invitation and its one-time secret
    (for the link the caller e-mails; it is not kept)."""

    secret: str
    invitation: Invitation
