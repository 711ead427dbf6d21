"""Use cases of the Access control (IAM) blade: who holds which role here, add one (or invite someone
without a user yet), remove one. Only those who may manage roles at a scope see its assignments; the
last owner of a billing account stays. A role given to a user who has not verified their address yet is
listed as pending, and can be removed like any other. Every change is an audit event."""

from __future__ import annotations

from dataclasses import dataclass

from settle.access.credentials import hash_secret, new_id, new_secret
from settle.access.model import (
    ROLE_SCOPE,
    Permission,
    Role,
    RoleAssignment,
    RoleAssignmentNotFound,
    RoleScopeMismatch,
    Scope,
    can,
    last_owner_kept,
    require,
)
from settle.access.service import grant_role, held_at_visible_scope, record, resource_of, scope_not_found
from settle.access.tokens import (
    INVITATION_LIFETIME,
    Invitation,
    InvitationForAnotherAddress,
    InvitationNotValid,
    Invited,
    masked,
)
from settle.access.verification import VerifyEmailFirst
from settle.accounts.model import normalise_email
from settle.clock import Clock
from settle.errors import SettleError
from settle.uow import UnitOfWork


@dataclass(frozen=True)
class RoleAssignmentRow:
    """One line of the IAM blade: the assignment and who holds it."""

    assignment: RoleAssignment
    email: str
    display_name: str
    inherited: bool  # held at a scope above the one shown, so it cannot be removed from here
    kept: SettleError | None = None  # why it cannot be removed (the last owner), said before anyone tries

    @property
    def pending(self) -> bool:
        """Waiting for its holder to verify their e-mail address: no effect yet."""
        return self.assignment.pending


def list_role_assignments(uow: UnitOfWork, actor_id: str, scope: Scope) -> list[RoleAssignmentRow]:
    """The assignments that apply at the scope (held there or above) and those held below it."""
    _require_manage_roles(uow, actor_id, scope)
    rows = []
    in_account = uow.roles.in_account(scope.billing_account_id) + uow.pending_roles.in_account(scope.billing_account_id)
    account = Scope(scope.billing_account_id)
    owners = [a for a in in_account if a.role is Role.BILLING_ACCOUNT_OWNER and a.scope == account]
    for assignment in in_account:
        if assignment.scope.related(scope):
            user = uow.users.get(assignment.user_id)
            inherited = assignment.scope != scope and assignment.scope.contains(scope)
            kept = last_owner_kept(assignment, owners)
            rows.append(RoleAssignmentRow(assignment, user.email, user.display_name, inherited, kept))
    return rows


def add_role_assignment(
    uow: UnitOfWork,
    clock: Clock,
    actor_id: str,
    email: str,
    role: Role,
    scope: Scope,
    client_address: str | None = None,
) -> RoleAssignment | Invited:
    """Give the user with this e-mail address the role at the scope; for an address without a user,
    an invitation instead (see `invite`). For a user who has not verified the address, the role is
    pending until they do (an address someone signed up with proves nothing)."""
    _require_manage_roles(uow, actor_id, scope)
    _check_role_fits(role, scope)
    user = uow.users.find_by_email(normalise_email(email))
    if user is None:
        return invite(uow, clock, actor_id, email, role, scope, client_address)
    return grant_role(
        uow, clock, actor_id=actor_id, user_id=user.id, role=role, scope=scope, client_address=client_address
    )


def invite(
    uow: UnitOfWork,
    clock: Clock,
    actor_id: str,
    email: str,
    role: Role,
    scope: Scope,
    client_address: str | None = None,
) -> Invited:
    """A one-time invitation to the role at the scope, valid for 7 days. The secret returned goes into
    the link e-mailed to the address; Settle keeps only its hash."""
    _require_manage_roles(uow, actor_id, scope)
    _check_role_fits(role, scope)
    secret, now = new_secret(), clock.now()
    invitation = Invitation(
        id=new_id(),
        secret_hash=hash_secret(secret),
        email=normalise_email(email),
        role=role,
        scope=scope,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
        invited_by=actor_id,
    )
    uow.invitations.add(invitation)
    details = {"email": invitation.email, "role": role.value}
    record(
        uow, clock, actor_id, "invitation.created", resource_of(scope), client_address=client_address, details=details
    )
    return Invited(secret, invitation)


def accept_invitation(
    uow: UnitOfWork, clock: Clock, secret: str, user_id: str, client_address: str | None = None
) -> RoleAssignment:
    """Turn an invitation into the role for the signed-in user, once. Refused when it was used, has
    expired, or the person who sent it may no longer manage roles there; and unless the user has
    verified their address and it is the invited one (a forwarded or leaked link is no one else's).
    Refused, nothing is written: the invitation stays open for the invited person."""
    invitation = uow.invitations.find_by_hash(hash_secret(secret))
    now = clock.now()
    if invitation is None or not invitation.is_open(now) or not _inviter_still_may(uow, invitation):
        raise InvitationNotValid()
    user = uow.users.get(user_id)
    if not user.verified:
        raise VerifyEmailFirst()
    if user.email != invitation.email:
        raise InvitationForAnotherAddress(invited=masked(invitation.email), email=user.email)
    if not uow.invitations.accept(invitation.id, user_id, now):
        raise InvitationNotValid()  # accepted a moment ago, by another request
    details = {"invitation": invitation.id, "email": invitation.email, "role": invitation.role.value}
    record(
        uow,
        clock,
        user_id,
        "invitation.accepted",
        resource_of(invitation.scope),
        client_address=client_address,
        details=details,
    )
    return _grant_once(uow, clock, invitation, user_id, client_address)


def remove_role_assignment(
    uow: UnitOfWork, clock: Clock, actor_id: str, assignment_id: str, client_address: str | None = None
) -> None:
    """Remove an assignment, in effect or pending. Someone who cannot see its scope gets
    RoleAssignmentNotFound; the last billing account owner of an account cannot be removed."""
    assignment = uow.roles.find(assignment_id) or uow.pending_roles.find(assignment_id)
    if assignment is None:
        raise RoleAssignmentNotFound(id=assignment_id)
    held = uow.roles.for_user(actor_id)
    require(held, Permission.MANAGE_ROLES, assignment.scope, not_found=RoleAssignmentNotFound(id=assignment_id))
    if assignment.pending:
        uow.pending_roles.remove(assignment.id)
    else:
        if assignment.role is Role.BILLING_ACCOUNT_OWNER:
            owners = uow.roles.holders(Role.BILLING_ACCOUNT_OWNER, assignment.scope, for_update=True)
            kept = last_owner_kept(assignment, owners)
            if kept is not None:
                raise kept
        uow.roles.remove(assignment.id)
    user = uow.users.get(assignment.user_id)
    details = {"user": user.email, "role": assignment.role.value}
    if assignment.pending:
        details["pending"] = "it had not taken effect"
    record(
        uow,
        clock,
        actor_id,
        "role_assignment.deleted",
        resource_of(assignment.scope),
        client_address=client_address,
        details=details,
    )


def _require_manage_roles(uow: UnitOfWork, actor_id: str, scope: Scope) -> None:
    held = held_at_visible_scope(uow, actor_id, scope)
    require(held, Permission.MANAGE_ROLES, scope, not_found=scope_not_found(scope))


def _check_role_fits(role: Role, scope: Scope) -> None:
    if ROLE_SCOPE[role] is not scope.kind:
        raise RoleScopeMismatch(role=role.value, scope=scope.kind.value)


def _inviter_still_may(uow: UnitOfWork, invitation: Invitation) -> bool:
    """An invitation dies with its sender's right to manage roles there."""
    if invitation.invited_by is None:
        return True
    return can(uow.roles.for_user(invitation.invited_by), Permission.MANAGE_ROLES, invitation.scope)


def _grant_once(
    uow: UnitOfWork, clock: Clock, invitation: Invitation, user_id: str, client_address: str | None
) -> RoleAssignment:
    """The role the invitation offers; the user's existing assignment when they hold it already."""
    for held in uow.roles.for_user(user_id):
        if held.role is invitation.role and held.scope == invitation.scope:
            return held
    return grant_role(
        uow,
        clock,
        actor_id=invitation.invited_by,
        user_id=user_id,
        role=invitation.role,
        scope=invitation.scope,
        client_address=client_address,
    )
