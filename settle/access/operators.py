"""Use cases of the provider's operators: granted to an existing user explicitly, removed, listed, each
audited. Operator rights never come from an e-mail address alone (anyone can sign up with any address)."""

from __future__ import annotations

from settle.access.operator_store import OperatorGrant
from settle.access.service import record
from settle.accounts.model import User
from settle.clock import Clock
from settle.errors import N_, Conflict, NotFound
from settle.uow import UnitOfWork


class AlreadyOperator(Conflict):
    code = "AlreadyOperator"
    message = N_("{email} is already an operator.")


class OperatorNotVerified(Conflict):
    code = "OperatorNotVerified"
    message = N_(
        "{email} has not verified their e-mail address yet, and operator rights go only to a proved address. "
        "Ask them to sign in and open the link Settle e-mails them (the banner sends a new one), then try again."
    )


class NotAnOperator(NotFound):
    code = "NotAnOperator"
    message = N_("{email} is not an operator.")


def is_operator(uow: UnitOfWork, user_id: str) -> bool:
    return uow.operators.is_operator(user_id)


def grant_operator(uow: UnitOfWork, clock: Clock, email: str, *, actor_id: str | None = None) -> User:
    """Make an existing user one of the provider's operators (UserNotFound when no user has the address,
    OperatorNotVerified until they have proved it: an address someone signed up with proves nothing)."""
    user = uow.users.get_by_email(email.strip().lower())
    if not user.verified:
        raise OperatorNotVerified(email=user.email)
    if uow.operators.is_operator(user.id):
        raise AlreadyOperator(email=user.email)
    uow.operators.add(OperatorGrant(user.id, actor_id, clock.now()))
    record(uow, clock, actor_id, "operator.granted", f"users/{user.id}", details={"email": user.email})
    return user


def revoke_operator(uow: UnitOfWork, clock: Clock, email: str, *, actor_id: str | None = None) -> User:
    user = uow.users.get_by_email(email.strip().lower())
    if not uow.operators.remove(user.id):
        raise NotAnOperator(email=user.email)
    record(uow, clock, actor_id, "operator.revoked", f"users/{user.id}", details={"email": user.email})
    return user


def list_operators(uow: UnitOfWork) -> list[tuple[User, OperatorGrant]]:
    return [(uow.users.get(grant.user_id), grant) for grant in uow.operators.all()]
