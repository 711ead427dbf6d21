"""Use cases of a forgotten password: ask for a reset link, open it, choose a new password with it.

Asking answers alike for an address with a user, with a disabled user and with none: the same
throttle counts, the same audit write, no Argon2 work in any case, and the e-mail goes out later
from the outbox (no mail server's delay in the answer). Use a writing unit of work for each."""

from __future__ import annotations

from dataclasses import replace

from settle.access.credentials import derived_secret, hash_secret, new_id
from settle.access.resets import (
    PER_CLIENT,
    PER_EMAIL,
    PURPOSE,
    PasswordReset,
    ResetLinkNotValid,
    ResetsThrottled,
    check_new_password,
    check_throttle,
    client_key,
    email_key,
    looks_like_secret,
)
from settle.access.service import record
from settle.access.sign_in import end_session
from settle.access.throttle import account_key
from settle.access.verifying import prove_address
from settle.accounts.model import User, normalise_email
from settle.accounts.passwords import hash_password
from settle.clock import Clock
from settle.notify.model import MessageKind, Recipient
from settle.notify.service import enqueue
from settle.uow import UnitOfWork

REQUESTED = "user.password_reset_requested"


def request_password_reset(
    uow: UnitOfWork, clock: Clock, email: str, *, locale: str, secret_key: str, client_address: str | None
) -> None:
    """E-mail a reset link to the user of `email` (in their language, else `locale`), if there is one
    and they are enabled; otherwise nothing, and the caller cannot tell. Raises InvalidEmail for text
    that is no address, ResetsThrottled after too many requests for the address or from the client."""
    address = normalise_email(email)
    keys = [email_key(address)] + ([client_key(client_address)] if client_address else [])
    _check_throttle(uow, clock, keys, address, client_address)
    now = clock.now()
    uow.reset_requests.forget_before(now - max(PER_EMAIL.window, PER_CLIENT.window))
    uow.reset_requests.add(keys, now)
    user = uow.users.find_by_email(address)
    if user is None or user.disabled:
        outcome, resource = ("unknown_address", "users") if user is None else ("disabled", f"users/{user.id}")
        record(
            uow,
            clock,
            None,
            REQUESTED,
            resource,
            outcome=outcome,
            client_address=client_address,
            details={"email": address},
        )
        return
    reset_id = new_id()
    reset = PasswordReset.new(reset_id, user, hash_secret(derived_secret(secret_key, PURPOSE, reset_id)), now)
    uow.password_resets.add(reset)
    enqueue(uow, clock, MessageKind.PASSWORD_RESET, reset.id, [Recipient(user.email, user.locale or locale)])
    record(uow, clock, None, REQUESTED, f"users/{user.id}", client_address=client_address, details={"email": address})


def open_reset(uow: UnitOfWork, clock: Clock, secret: str) -> tuple[PasswordReset, User]:
    """The reset of a link's secret and its user, while the link may still set a password; else
    ResetLinkNotValid (the same for a link that never was, was used, expired or was outdated)."""
    reset = uow.password_resets.find_by_hash(hash_secret(secret)) if looks_like_secret(secret) else None
    user = uow.users.find(reset.user_id) if reset else None
    if reset is None or user is None or not reset.is_open(clock.now(), user):
        raise ResetLinkNotValid()
    return reset, user


def reset_password(
    uow: UnitOfWork,
    clock: Clock,
    secret: str,
    password: str,
    again: str,
    *,
    client_address: str | None,
    previous_session_secret: str | None = None,
) -> User:
    """Set the password of the link's user, once: the link is used, every session of the user ends (and
    the browser's own, whoever's it was), API tokens stay. Raises ResetLinkNotValid, PasswordsDiffer
    or the sign-up rules' errors (accounts.check_password); then nothing has changed."""
    reset, user = open_reset(uow, clock, secret)
    check_new_password(password, again, related=(user.email, user.display_name))
    if not uow.password_resets.use(reset.id, clock.now()):  # another request used it in the meantime
        raise ResetLinkNotValid()
    user = replace(user, password_hash=hash_password(password))
    uow.users.update(user)
    ended = password_changed(uow, clock, user)
    if previous_session_secret:
        end_session(uow, previous_session_secret)
    # The link reached reset.email, which is_open checked is still the user's: that proves the address.
    prove_address(uow, clock, user.id, reset.email, {"password_reset": reset.id}, client_address)
    details = {"email": reset.email, "sessions_ended": str(ended)}
    record(
        uow, clock, user.id, "user.password_reset", f"users/{user.id}", client_address=client_address, details=details
    )
    return user


def password_changed(uow: UnitOfWork, clock: Clock, user: User) -> int:
    """What follows any change of a user's password: their open reset links die, every session of theirs
    ends, their failed sign-ins are forgotten. Returns how many sessions ended."""
    uow.password_resets.close_open(user.id, clock.now())
    uow.sign_in_failures.clear(account_key(user.email))
    return uow.sessions.remove_for_user(user.id)


def _check_throttle(uow: UnitOfWork, clock: Clock, keys: list[str], address: str, client_address: str | None) -> None:
    now = clock.now()
    per_email = uow.reset_requests.since(keys[0], now - PER_EMAIL.window)
    per_client = uow.reset_requests.since(keys[1], now - PER_CLIENT.window) if len(keys) > 1 else None
    try:
        check_throttle(per_email, per_client, now)
    except ResetsThrottled as throttled:
        details = {"email": address, "retry_after": str(throttled.retry_after)}
        record(
            uow, clock, None, REQUESTED, "users", outcome="throttled", client_address=client_address, details=details
        )
        uow.commit()  # the audit event outlives the caller's rollback
        raise
