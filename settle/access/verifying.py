"""Use cases of e-mail verification: send a link (at sign-up, and again from the portal's banner,
throttled), look at one, and use it. Using it proves the address: the user is verified (audited) and the
roles others granted them meanwhile take effect."""

from __future__ import annotations

from settle.access.credentials import derived_secret, hash_secret, new_id
from settle.access.service import activate_pending_roles, record
from settle.access.verification import (
    LINK_LIFETIME,
    PURPOSE,
    RESEND_DAY,
    AlreadyVerified,
    EmailVerification,
    VerificationLinkNotValid,
    VerificationLinkUsed,
    VerificationThrottled,
    resend_wait,
)
from settle.accounts.model import User
from settle.clock import Clock
from settle.notify.model import MessageKind, Recipient
from settle.notify.service import enqueue
from settle.uow import UnitOfWork


def send_verification(
    uow: UnitOfWork, clock: Clock, secret_key: str, user: User, locale: str, client_address: str | None = None
) -> EmailVerification:
    """A new link to the user's address, e-mailed through the outbox in `locale`. The outbox composes
    the e-mail from the link's id, deriving the secret again with the same key; Settle keeps its hash."""
    now, link_id = clock.now(), new_id()
    link = EmailVerification(
        id=link_id,
        user_id=user.id,
        email=user.email,
        secret_hash=hash_secret(derived_secret(secret_key, PURPOSE, link_id)),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    uow.email_verifications.add(link)
    enqueue(uow, clock, MessageKind.EMAIL_VERIFICATION, link.id, [Recipient(user.email, locale)])
    details = {"email": user.email, "link": link.id}
    record(
        uow,
        clock,
        user.id,
        "user.verification_sent",
        f"users/{user.id}",
        client_address=client_address,
        details=details,
    )
    return link


def resend_verification(
    uow: UnitOfWork, clock: Clock, secret_key: str, user_id: str, locale: str, client_address: str | None = None
) -> EmailVerification:
    """Another link, from the banner: at most one every five minutes and five a day (VerificationThrottled)."""
    user = uow.users.get(user_id)
    if user.verified:
        raise AlreadyVerified()
    now = clock.now()
    wait = resend_wait(uow.email_verifications.sent_since(user.id, now - RESEND_DAY), now)
    if wait is not None:
        raise VerificationThrottled(wait)
    return send_verification(uow, clock, secret_key, user, locale, client_address)


def open_link(uow: UnitOfWork, clock: Clock, secret: str) -> EmailVerification:
    """The link of a secret, when it can still be used (its page shows a button; a GET changes nothing,
    so a mail scanner that follows links uses none up)."""
    link = uow.email_verifications.find_by_hash(hash_secret(secret))
    if link is None:
        raise VerificationLinkNotValid()
    link.check_usable(clock.now())
    user = uow.users.find(link.user_id)
    if user is None or user.email != link.email:  # sent to an address the user no longer has
        raise VerificationLinkNotValid()
    return link


def verify_email(uow: UnitOfWork, clock: Clock, secret: str, client_address: str | None = None) -> User:
    """Use a link, once: its user's address is verified, and what others granted them takes effect."""
    link = open_link(uow, clock, secret)
    now = clock.now()
    if not uow.email_verifications.use(link.id, now):
        raise VerificationLinkUsed()  # used a moment ago, by another request
    prove_address(uow, clock, link.user_id, link.email, {"link": link.id}, client_address)
    return uow.users.get(link.user_id)


def prove_address(
    uow: UnitOfWork, clock: Clock, user_id: str, email: str, how: dict[str, str], client_address: str | None
) -> bool:
    """The user has shown they read the mail of `email` (a verification or a password reset link sent
    there): it is verified, audited, and the roles others granted them meanwhile take effect. False
    when it was verified already, or is no longer the user's address."""
    if not uow.users.mark_verified(user_id, email, clock.now()):
        return False
    details = {"email": email, **how}
    record(
        uow, clock, user_id, "user.email_verified", f"users/{user_id}", client_address=client_address, details=details
    )
    activate_pending_roles(uow, clock, user_id)
    return True
