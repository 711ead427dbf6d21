"""People for the access tests: a user holding one role at one scope, in one line."""

from __future__ import annotations

from itertools import count

from sqlalchemy.engine import Engine

from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.model import User
from settle.accounts.service import add_user
from settle.clock import Clock
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD

_numbers = count(1)


def add_person(
    engine: Engine,
    clock: Clock,
    role: Role | None = None,
    scope: Scope | None = None,
    *,
    email: str | None = None,
    verified: bool = True,
) -> User:
    """A new user (by default with a verified address, as the operator makes them), holding `role` at
    `scope` when given (granted by the operator)."""
    with UnitOfWork(engine) as uow:
        name = f"person-{next(_numbers)}"
        email = email or f"{name}@example.com"
        user = add_user(uow, clock, verified=verified, email=email, display_name=name.title(), password=PASSWORD)
        if role is not None and scope is not None:
            grant_role(uow, clock, actor_id=None, user_id=user.id, role=role, scope=scope)
    return user
