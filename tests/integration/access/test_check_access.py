"""checkAccess and billingPermissions answer from the role assignments in the database."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import Role, Scope
from settle.access.service import billing_permissions, check_access
from settle.accounts.model import BillingAccountNotFound, BillingProfileNotFound, InvoiceSectionNotFound
from settle.clock import FixedClock
from settle.uow import UnitOfWork
from tests.integration.access.people import add_person
from tests.integration.factories import make_world

BP = "Microsoft.Billing/billingAccounts/billingProfiles"
READ, PAY, CARDS = f"{BP}/invoices/read", f"{BP}/invoices/pay/action", f"{BP}/paymentMethodLinks/write"
ROLES = f"{BP}/createBillingRoleAssignment/write"


@pytest.mark.parametrize(
    ("role", "answers"),
    [
        (Role.BILLING_PROFILE_OWNER, [True, True, True, True]),
        (Role.BILLING_PROFILE_CONTRIBUTOR, [True, True, True, False]),
        (Role.INVOICE_MANAGER, [True, True, False, False]),
        (Role.BILLING_PROFILE_READER, [True, False, False, False]),
    ],
)
def test_check_access_answers_each_action_for_the_users_role(
    engine: Engine, clock: FixedClock, role: Role, answers: list[bool]
) -> None:
    world = make_world(engine, clock)
    profile = Scope(world.account.id, world.profile.id)
    person = add_person(engine, clock, role, profile)

    with UnitOfWork(engine, write=False) as uow:
        result = check_access(uow, person.id, profile, [READ, PAY, CARDS, ROLES])

    assert result == list(zip([READ, PAY, CARDS, ROLES], answers, strict=True))


def test_an_unknown_action_is_answered_not_allowed(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)

    with UnitOfWork(engine, write=False) as uow:
        result = check_access(uow, world.owner.id, Scope(world.account.id), ["Microsoft.Compute/virtualMachines/read"])

    assert result == [("Microsoft.Compute/virtualMachines/read", False)]


def test_a_scope_the_user_cannot_see_is_not_found_whether_or_not_it_exists(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    stranger = make_world(engine, clock, name="Fabrikam").owner
    section = world.sections[0]
    cases = [
        (Scope(world.account.id), BillingAccountNotFound),
        (Scope(world.account.id, world.profile.id), BillingProfileNotFound),
        (Scope(world.account.id, world.profile.id, section.id), InvoiceSectionNotFound),
        (Scope("no-such-account"), BillingAccountNotFound),
    ]

    for scope, error in cases:
        with pytest.raises(error), UnitOfWork(engine, write=False) as uow:
            check_access(uow, stranger.id, scope, [READ])


def test_billing_permissions_lists_what_the_user_may_do_there(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    section = Scope(world.account.id, world.profile.id, world.sections[0].id)
    section_owner = add_person(engine, clock, Role.INVOICE_SECTION_OWNER, section)

    with UnitOfWork(engine, write=False) as uow:
        allowed = billing_permissions(uow, section_owner.id, section)

    assert f"{BP}/invoiceSections/createBillingRoleAssignment/write" in allowed
    assert READ not in allowed
    assert PAY not in allowed
