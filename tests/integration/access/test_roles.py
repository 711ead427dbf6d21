"""The IAM blade's use cases: owners list, add and remove role assignments; others are refused
(readers: 403 naming the permission; strangers: 404); the last account owner stays; invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import (
    LastOwner,
    Permission,
    Role,
    RoleAssignment,
    RoleAssignmentNotFound,
    RoleScopeMismatch,
    Scope,
    can,
)
from settle.access.roles import (
    accept_invitation,
    add_role_assignment,
    invite,
    list_role_assignments,
    remove_role_assignment,
)
from settle.access.tokens import InvitationNotValid, Invited
from settle.accounts.model import BillingAccountNotFound, BillingProfileNotFound
from settle.clock import FixedClock
from settle.errors import Forbidden
from settle.uow import UnitOfWork
from tests.integration.access.people import add_person
from tests.integration.factories import World, make_world

ADDRESS = "203.0.113.9"


def _add(engine: Engine, clock: FixedClock, actor_id: str, email: str, role: Role, scope: Scope) -> object:
    with UnitOfWork(engine) as uow:
        return add_role_assignment(uow, clock, actor_id, email, role, scope, ADDRESS)


def _remove(engine: Engine, clock: FixedClock, actor_id: str, assignment_id: str) -> None:
    with UnitOfWork(engine) as uow:
        remove_role_assignment(uow, clock, actor_id, assignment_id, ADDRESS)


def _roles_of(engine: Engine, user_id: str) -> list[tuple[Role, Scope]]:
    with UnitOfWork(engine, write=False) as uow:
        return [(a.role, a.scope) for a in uow.roles.for_user(user_id)]


def _owner_assignment(engine: Engine, world: World) -> RoleAssignment:
    with UnitOfWork(engine, write=False) as uow:
        return uow.roles.for_user(world.owner.id)[0]


def test_an_owner_sees_the_assignments_at_their_account(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    reader = add_person(engine, clock, Role.BILLING_PROFILE_READER, Scope(world.account.id, world.profile.id))

    with UnitOfWork(engine, write=False) as uow:
        rows = list_role_assignments(uow, world.owner.id, Scope(world.account.id))

    assert [(row.email, row.assignment.role, row.inherited) for row in rows] == [
        (world.owner.email, Role.BILLING_ACCOUNT_OWNER, False),
        (reader.email, Role.BILLING_PROFILE_READER, False),
    ]


def test_a_profile_owner_sees_the_account_owner_as_inherited(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    profile = Scope(world.account.id, world.profile.id)
    profile_owner = add_person(engine, clock, Role.BILLING_PROFILE_OWNER, profile)

    with UnitOfWork(engine, write=False) as uow:
        rows = list_role_assignments(uow, profile_owner.id, profile)

    assert [(row.email, row.inherited) for row in rows] == [(world.owner.email, True), (profile_owner.email, False)]


def test_a_reader_may_not_see_the_assignments_and_is_told_which_permission_is_missing(
    engine: Engine, clock: FixedClock
) -> None:
    world = make_world(engine, clock)
    reader = add_person(engine, clock, Role.BILLING_ACCOUNT_READER, Scope(world.account.id))

    with pytest.raises(Forbidden) as caught, UnitOfWork(engine, write=False) as uow:
        list_role_assignments(uow, reader.id, Scope(world.account.id))

    assert caught.value.params == {"permission": Permission.MANAGE_ROLES.value}


def test_another_customers_owner_is_told_the_account_does_not_exist(engine: Engine, clock: FixedClock) -> None:
    world, stranger = make_world(engine, clock), make_world(engine, clock, name="Fabrikam").owner

    with pytest.raises(BillingAccountNotFound), UnitOfWork(engine, write=False) as uow:
        list_role_assignments(uow, stranger.id, Scope(world.account.id))
    with pytest.raises(BillingAccountNotFound), UnitOfWork(engine, write=False) as uow:
        list_role_assignments(uow, stranger.id, Scope("no-such-account"))


def test_an_owner_adds_a_role_by_email_and_the_change_is_audited(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    person = add_person(engine, clock)
    profile = Scope(world.account.id, world.profile.id)

    added = _add(engine, clock, world.owner.id, person.email.upper(), Role.INVOICE_MANAGER, profile)

    assert isinstance(added, RoleAssignment)
    assert _roles_of(engine, person.id) == [(Role.INVOICE_MANAGER, profile)]
    with UnitOfWork(engine, write=False) as uow:
        event = uow.audit.list(resource=f"billingAccounts/{world.account.id}/billingProfiles/{world.profile.id}")[0]
    assert (event.action, event.actor_id, event.client_address) == ("role_assignment.created", world.owner.id, ADDRESS)
    assert event.details == {"user": person.email, "role": Role.INVOICE_MANAGER.value}


def test_a_role_must_fit_the_kind_of_scope(engine: Engine, clock: FixedClock) -> None:
    world, person = make_world(engine, clock), add_person(engine, clock)

    with pytest.raises(RoleScopeMismatch):
        _add(engine, clock, world.owner.id, person.email, Role.INVOICE_MANAGER, Scope(world.account.id))


def test_a_reader_may_not_add_and_a_stranger_does_not_find_the_scope(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    profile = Scope(world.account.id, world.profile.id)
    reader = add_person(engine, clock, Role.BILLING_PROFILE_READER, profile)
    stranger, person = make_world(engine, clock, name="Fabrikam").owner, add_person(engine, clock)

    with pytest.raises(Forbidden):
        _add(engine, clock, reader.id, person.email, Role.BILLING_PROFILE_OWNER, profile)
    with pytest.raises(BillingProfileNotFound):
        _add(engine, clock, stranger.id, person.email, Role.BILLING_PROFILE_OWNER, profile)
    assert _roles_of(engine, person.id) == []


def test_a_profile_owner_manages_their_profile_but_not_the_account(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    profile = Scope(world.account.id, world.profile.id)
    profile_owner, person = add_person(engine, clock, Role.BILLING_PROFILE_OWNER, profile), add_person(engine, clock)

    _add(engine, clock, profile_owner.id, person.email, Role.BILLING_PROFILE_READER, profile)
    with pytest.raises(Forbidden):
        _add(engine, clock, profile_owner.id, person.email, Role.BILLING_ACCOUNT_OWNER, Scope(world.account.id))

    assert _roles_of(engine, person.id) == [(Role.BILLING_PROFILE_READER, profile)]


def test_an_owner_removes_an_assignment(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    reader = add_person(engine, clock, Role.BILLING_ACCOUNT_READER, Scope(world.account.id))
    with UnitOfWork(engine, write=False) as uow:
        assignment = uow.roles.for_user(reader.id)[0]

    _remove(engine, clock, world.owner.id, assignment.id)

    assert _roles_of(engine, reader.id) == []
    with UnitOfWork(engine, write=False) as uow:
        event = uow.audit.list(resource=f"billingAccounts/{world.account.id}")[0]
    assert (event.action, event.actor_id, event.client_address) == ("role_assignment.deleted", world.owner.id, ADDRESS)


def test_readers_and_strangers_may_not_remove_assignments(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    reader = add_person(engine, clock, Role.BILLING_ACCOUNT_READER, Scope(world.account.id))
    stranger = make_world(engine, clock, name="Fabrikam").owner
    owners = _owner_assignment(engine, world)

    with pytest.raises(Forbidden):
        _remove(engine, clock, reader.id, owners.id)
    with pytest.raises(RoleAssignmentNotFound):
        _remove(engine, clock, stranger.id, owners.id)
    assert _roles_of(engine, world.owner.id) == [(Role.BILLING_ACCOUNT_OWNER, Scope(world.account.id))]


def test_the_last_owner_of_a_billing_account_cannot_be_removed(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)

    with pytest.raises(LastOwner):
        _remove(engine, clock, world.owner.id, _owner_assignment(engine, world).id)

    assert _roles_of(engine, world.owner.id) == [(Role.BILLING_ACCOUNT_OWNER, Scope(world.account.id))]


def test_one_of_two_owners_can_be_removed_but_then_not_the_other(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    second = add_person(engine, clock, Role.BILLING_ACCOUNT_OWNER, Scope(world.account.id))

    _remove(engine, clock, second.id, _owner_assignment(engine, world).id)

    with UnitOfWork(engine, write=False) as uow:
        seconds = uow.roles.for_user(second.id)[0]
    with pytest.raises(LastOwner):
        _remove(engine, clock, second.id, seconds.id)


def test_an_unknown_email_gets_an_invitation_that_is_accepted_once(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    profile = Scope(world.account.id, world.profile.id)

    invited = _add(engine, clock, world.owner.id, "newcomer@example.com", Role.BILLING_PROFILE_READER, profile)
    assert isinstance(invited, Invited)
    newcomer = add_person(engine, clock, email="newcomer@example.com")
    clock.advance(timedelta(days=6))
    with UnitOfWork(engine) as uow:
        accepted = accept_invitation(uow, clock, invited.secret, newcomer.id)

    assert (accepted.role, accepted.scope, accepted.created_by) == (
        Role.BILLING_PROFILE_READER,
        profile,
        world.owner.id,
    )
    latecomer = add_person(engine, clock)
    with pytest.raises(InvitationNotValid), UnitOfWork(engine) as uow:
        accept_invitation(uow, clock, invited.secret, latecomer.id)
    assert _roles_of(engine, newcomer.id) == [(Role.BILLING_PROFILE_READER, profile)]


def test_an_invitation_expires_after_seven_days(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    with UnitOfWork(engine) as uow:
        invited = invite(
            uow, clock, world.owner.id, "late@example.com", Role.BILLING_ACCOUNT_READER, Scope(world.account.id)
        )
    newcomer = add_person(engine, clock)
    clock.advance(timedelta(days=7))

    with pytest.raises(InvitationNotValid), UnitOfWork(engine) as uow:
        accept_invitation(uow, clock, invited.secret, newcomer.id)
    assert _roles_of(engine, newcomer.id) == []


def test_an_invitation_dies_with_its_senders_right_to_manage_roles(engine: Engine, clock: FixedClock) -> None:
    world = make_world(engine, clock)
    profile = Scope(world.account.id, world.profile.id)
    profile_owner = add_person(engine, clock, Role.BILLING_PROFILE_OWNER, profile)
    with UnitOfWork(engine) as uow:
        invited = invite(uow, clock, profile_owner.id, "x@example.com", Role.BILLING_PROFILE_READER, profile)
        _remove_all(uow, profile_owner.id)
    newcomer = add_person(engine, clock)

    with pytest.raises(InvitationNotValid), UnitOfWork(engine) as uow:
        accept_invitation(uow, clock, invited.secret, newcomer.id)
    with UnitOfWork(engine, write=False) as uow:
        assert not can(uow.roles.for_user(newcomer.id), Permission.VIEW, profile)


def test_a_made_up_invitation_secret_is_not_valid(engine: Engine, clock: FixedClock) -> None:
    newcomer = add_person(engine, clock)

    with pytest.raises(InvitationNotValid), UnitOfWork(engine) as uow:
        accept_invitation(uow, clock, "made-up", newcomer.id)


def _remove_all(uow: UnitOfWork, user_id: str) -> None:
    for assignment in uow.roles.for_user(user_id):
        uow.roles.remove(assignment.id)
